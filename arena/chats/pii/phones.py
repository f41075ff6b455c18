"""Phone numbers, international and in the national formats of the US, the UK, Germany,
France, China and India.

python-phonenumbers decides what is a valid number, but only after a number has the shape of
one: tried in enough regions almost any run of digits is valid somewhere (Germany accepts
"2019 2020"), so each candidate is first put in one family by its shape, and checked only in
the regions where that shape is a phone number. A number told as a phone's ("WhatsApp me at")
may also be one only possible, such as the UK's range for fiction, or wrapped over two lines.
"""

import re
from collections.abc import Iterator

import phonenumbers

TRUNK_REGIONS = ("GB", "DE", "FR", "CN", "IN")  # national numbers that start with a 0
# A group may also follow a " / " (German "0151 / 234 567 89") or a line break (a form field
# wrapped in two); _is_phone asks more of a number broken over lines.
_GROUP = r"(?:\(\d{1,5}\)|\d)"
_SEPARATED_GROUPS = (
    rf"{_GROUP}(?:(?:[ .\-/]|[ \t]?/[ \t]|[ \t]?\n)?{_GROUP}|\s\(\d{{1,5}}\)){{5,19}}"
)
_CANDIDATE = re.compile(
    rf"(?<![\w.,+/\-])(?:\+\s?|00)?{_SEPARATED_GROUPS}(?![\w]|[.,/\-]\d)", re.ASCII
)
_PHONE_WORDS = (
    r"phone|\btel\b|\btel\.|call|mobile|\bcell|whatsapp|signal|\bsms\b|text me|\bfax\b|"
    r"hotline|reach me|handy|telefon|téléphone|portable|erreichbar|\botp\b|手机|电话"
)
_CONTEXT = re.compile(rf"(?i:{_PHONE_WORDS}|contact|my number|number is|number:|号码)")
_AROUND = 40  # characters before (and, for a bare number, after) searched for context
_STRONG_CONTEXT = re.compile(rf"(?i:{_PHONE_WORDS})")
_DATE = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}")
_DOTTED_PHONE = re.compile(r"(?:\+\d{1,3}[ .])?(?:\d{3}\.\d{3}\.\d{4}|0\d(?:\.\d\d){4})")
_SLASHED_PHONE = re.compile(r"(?:\+\d{1,3} ?)?\(?0?\d{2,5}\)? ?/ ?\d[\d \-]{3,12}")
_US = re.compile(r"(?:1[ .\-]?)?\(?[2-9]\d\d\)?[ .\-]?[2-9]\d\d[ .\-]?\d{4}")
_CHINESE_MOBILE = re.compile(r"1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}")
_INDIAN_MOBILE = re.compile(r"[6-9]\d{4}[ \-]?\d{5}")
_LOCAL = re.compile(r"\d{3,4}[ \-]\d{4}")
_CODE_BEFORE = re.compile(r"(?<![\w.-])[A-Za-z\d]*(?:[A-Za-z]\d|\d[A-Za-z])[A-Za-z\d]*[ \-]$")


def find_phone_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Spans of phone numbers in the text."""
    for candidate in _CANDIDATE.finditer(text):
        if _CODE_BEFORE.search(text, max(0, candidate.start() - 16), candidate.start()):
            continue  # the tail of a tracking or serial code ("1Z 4E7 W96 03 4512 8830")
        span = _phone_within(text, candidate.start(), candidate.end())
        if span:
            yield span


def _phone_within(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The candidate itself, or, when it ran into neighbouring numbers, the phone number
    left after dropping up to two groups at either end."""
    groups = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    for first in range(min(3, len(groups))):
        for last in range(len(groups), max(first, len(groups) - 3), -1):
            piece_start, piece_end = start + groups[first][0], start + groups[last - 1][1]
            piece = text[piece_start:piece_end]
            if _is_phone(piece, _context(text, piece_start, piece_end)):
                return piece_start, piece_end
    return None


def _context(text: str, start: int, end: int) -> int:
    """2 where words before the number speak of telephones, 1 of some number or where words
    after it speak of telephones ("otp not coming on 98450 12345 ... my phone"), else 0."""
    before = text[max(0, start - _AROUND) : start]
    if _STRONG_CONTEXT.search(before):
        return 2
    return int(bool(_CONTEXT.search(before) or _STRONG_CONTEXT.search(text, end, end + _AROUND)))


def _is_phone(number: str, in_context: int) -> bool:
    if "\n" in number:
        # Wrapped over two lines: only an international number or one told as a phone's.
        if number.count("\n") > 1 or not (number.startswith("+") or in_context == 2):
            return False
        number = number.replace("\n", " ")
    digits = re.sub(r"\D", "", number)
    if not 7 <= len(digits) <= 15 or _DATE.fullmatch(number):
        return False
    groups = re.findall(r"\d+", number)
    if groups[0] == "0" or sum(len(group) == 1 for group in groups) > 2:
        return False  # coordinates, SVG paths and lists of small numbers
    if "." in number and not _DOTTED_PHONE.fullmatch(number):
        return False  # versions, decimals and IP addresses, not phone numbers
    if "/" in number and not _SLASHED_PHONE.fullmatch(number):
        return False  # fractions and dates
    formatted = not number.lstrip("+").isdigit()
    if number.startswith(("+", "00")):
        international = number if number.startswith("+") else "+" + number[2:]
        # Told as a phone's, a number of a range kept for fiction (+44 7700 900...) is one too.
        return _valid(international, None) or (in_context == 2 and _possible(international))
    if digits.startswith("0"):
        return (formatted or in_context or len(digits) >= 11) and any(
            _valid(number, region) for region in TRUNK_REGIONS
        )
    return _national_without_trunk(number, formatted, in_context)


def _national_without_trunk(number: str, formatted: bool, in_context: int) -> bool:
    # An unformatted run of ten digits is as often a count or an id as a phone number.
    plausible = formatted or in_context
    return (
        (plausible and _US.fullmatch(number) is not None and _valid(number, "US"))
        or (_CHINESE_MOBILE.fullmatch(number) is not None and _valid(number, "CN"))
        or (plausible and _INDIAN_MOBILE.fullmatch(number) is not None and _valid(number, "IN"))
        or (in_context == 2 and _LOCAL.fullmatch(number) is not None)
    )


def _valid(number: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, region))
    except phonenumbers.NumberParseException:
        return False


def _possible(number: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    return reason == phonenumbers.ValidationResult.IS_POSSIBLE  # a whole number, not "555-0100"

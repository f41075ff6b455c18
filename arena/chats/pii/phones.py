"""Phone numbers, international and in the national formats of the US, the UK, Germany,
France, China and India.

python-phonenumbers decides what is a valid number, but only after a number has the shape of
one: tried in enough regions almost any run of digits is valid somewhere (Germany accepts
"2019 2020"), so each candidate is first put in one family by its shape, and checked only in
the regions where that shape is a phone number.
"""

import re
from collections.abc import Iterator

import phonenumbers

TRUNK_REGIONS = ("GB", "DE", "FR", "CN", "IN")  # national numbers that start with a 0
_SEPARATED_GROUPS = r"(?:\(\d{1,5}\)|\d)(?:[ .\-/]?(?:\(\d{1,5}\)|\d)|\s\(\d{1,5}\)){5,19}"
_CANDIDATE = re.compile(
    rf"(?<![\w.,+/\-])(?:\+\s?|00)?{_SEPARATED_GROUPS}(?![\w]|[.,/\-]\d)", re.ASCII
)
_PHONE_WORDS = (
    r"phone|\btel\b|\btel\.|call|mobile|\bcell|whatsapp|signal|\bsms\b|text me|\bfax\b|"
    r"hotline|reach me|handy|telefon|téléphone|portable|手机|电话"
)
_CONTEXT = re.compile(rf"(?i:{_PHONE_WORDS}|contact|my number|number is|number:|号码)")
_STRONG_CONTEXT = re.compile(rf"(?i:{_PHONE_WORDS})")
_DATE = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}")
_DOTTED_PHONE = re.compile(r"(?:\+\d{1,3}[ .])?(?:\d{3}\.\d{3}\.\d{4}|0\d(?:\.\d\d){4})")
_SLASHED_PHONE = re.compile(r"(?:\+\d{1,3} ?)?\(?0?\d{2,5}\)? ?/ ?\d[\d \-]{3,12}")
_US = re.compile(r"(?:1[ .\-]?)?\(?[2-9]\d\d\)?[ .\-]?[2-9]\d\d[ .\-]?\d{4}")
_CHINESE_MOBILE = re.compile(r"1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}")
_INDIAN_MOBILE = re.compile(r"[6-9]\d{4}[ \-]?\d{5}")
_LOCAL = re.compile(r"\d{3,4}[ \-]\d{4}")


def find_phone_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Spans of phone numbers in the text."""
    for candidate in _CANDIDATE.finditer(text):
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
            context = text[max(0, piece_start - 40) : piece_start]
            if _is_phone(piece, _context(context)):
                return piece_start, piece_end
    return None


def _context(before: str) -> int:
    """2 where words before the number speak of telephones, 1 of some number, else 0."""
    return 2 if _STRONG_CONTEXT.search(before) else int(bool(_CONTEXT.search(before)))


def _is_phone(number: str, in_context: int) -> bool:
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
        return _valid(number if number.startswith("+") else "+" + number[2:], None)
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

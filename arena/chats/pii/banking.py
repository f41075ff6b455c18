"""Payment card numbers and IBANs wherever their groups are broken: by spaces or dashes, an
IBAN also by a line break (the tail in a code block of its own). Checksums decide (Luhn for
cards, the country's length and mod-97 for IBANs), so the breaks tolerated cost no false
alarms; a card must also start like a card of a network in use, since long numbers in maths
answers pass Luhn one time in ten. A card's last group may also start a new line (OCR, narrow
columns). In a model's answer the test numbers that providers publish are examples."""

import re
from collections.abc import Iterator

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_BREAK = r"(?:[ \t]{0,3}[-\n]?[ \t]{0,3}\n?[ \t]{0,3})"
_CANDIDATE = re.compile(rf"\b[A-Z]{{2}}\d{{2}}(?:{_BREAK}[A-Z0-9]{{1,4}}){{2,9}}(?![A-Za-z0-9])")


# A group may start a new line: a number wrapped by OCR or a narrow column.
_CARD = re.compile(r"(?<![\w.,/+-])\d{4}(?:(?:[ -]|[ \t]?\n)?\d{2,6}){2,4}(?![\w]|[.,/-]\d)")
_CARD_GROUPS = re.compile(
    r"\d{13,19}|\d{4}(?:([ -])\d{4}){2}(?:\1\d{4}|\1\d{1,7})|\d{4}([ -])\d{6}\2\d{4,5}"
)
# Visa, Mastercard (51-55, 2221-2720), American Express, Discover, JCB, Diners, UnionPay, Maestro.
_ISSUED = re.compile(
    r"4|5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|64[4-9]|65|35(?:2[89]|[3-8])|"
    r"3(?:0[0-5]|[689])|62|5[06-8]|6304|6759"
)


# The test numbers payment providers and banks publish: in a model's answer they are examples.
PUBLISHED_TEST_NUMBERS = {
    "4242424242424242", "4111111111111111", "5555555555554444", "5105105105105100",
    "4012888888881881", "378282246310005", "371449635398431", "6011111111111117",
    "4000056655665556", "2223003122003222", "DE89370400440532013000", "GB82WEST12345698765432",
    "GB29NWBK60161331926819", "FR1420041010050500013M02606", "NL91ABNA0417164300",
}  # fmt: skip


def find_card_numbers(text: str, author: str = "user") -> Iterator[tuple[int, int]]:
    for candidate in _CARD.finditer(text):
        number = candidate.group().replace(" \n", " ").replace("\n", " ")
        digits = number.replace(" ", "").replace("-", "")
        if author == "model" and digits in PUBLISHED_TEST_NUMBERS:
            continue
        if (
            13 <= len(digits) <= 19
            and _CARD_GROUPS.fullmatch(number)
            and _ISSUED.match(digits)
            and not set(digits) <= {"0", "1"}
            and _luhn_holds(digits)
        ):
            yield candidate.span()


def _luhn_holds(digits: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def find_ibans(text: str, author: str = "user") -> Iterator[tuple[int, int]]:
    for candidate in _CANDIDATE.finditer(text):
        span = _iban_within(text, candidate.start(), candidate.end())
        if span and not (author == "model" and _compact(text, *span) in PUBLISHED_TEST_NUMBERS):
            yield span


def _compact(text: str, start: int, end: int) -> str:
    return re.sub(r"[^A-Z0-9]", "", text[start:end])


def _iban_within(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The IBAN at the start of the candidate, which may run on into a following code."""
    expected = IBAN_LENGTHS.get(text[start : start + 2])
    if expected is None:
        return None
    seen = 0
    for position in range(start, end):
        if text[position].isalnum():
            seen += 1
            if seen == expected:
                compact = _compact(text, start, position + 1)
                return (start, position + 1) if _checksum_holds(compact) else None
    return None


def _checksum_holds(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1

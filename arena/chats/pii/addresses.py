"""Street addresses of the US, the UK, Germany and France, by their shape: a house number, a
capitalised street name ending in a street-type word, then optionally a unit, a town and a
ZIP code or postcode. pyap does the same for the US, Canada and the UK, but it was last
released in 2020 and drags in its own regexes for every call; these few patterns are enough.
"""

import re
from collections.abc import Iterator

import regex

_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Terr|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Plaza|Loop|"
    r"Close|Crescent|Cres|Gardens|Grove|Mews|Row|Walk|Hill|Rise|Green|Parade|Broadway|Pike|"
    r"Turnpike|Expressway|Freeway|Causeway|Crossing|Point|Ridge|View|Ter|Gate|Embankment|Quay"
)
_WORD = r"\p{Lu}[\p{L}'’-]*"
_UNIT = r"(?:,?\s(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|#)\.?\s?#?[\w-]{1,6})"
_US_STATE = (
    r"A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|P[AR]|RI|"
    r"S[CD]|T[NX]|UT|V[AIT]|W[AIVY]"
)
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_TOWN = rf"(?:,?\s{_WORD}(?:\s{_WORD}){{0,2}})"
_US_OR_UK = regex.compile(
    rf"(?<![\w.,/-])(?:(?:Flat|Apt|Apartment|Unit|Suite)\s\w{{1,5}},?\s)?\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?,?\s(?:(?:{_WORD}|\d{{1,3}}(?:st|nd|rd|th))\s){{1,4}}"
    rf"(?:{_STREET_TYPES})\b\.?(?:\s(?:N|S|E|W|NE|NW|SE|SW)\b\.?)?{_UNIT}?"
    rf"(?:{_TOWN}?,?\s(?:(?:{_US_STATE})\s\d{{5}}(?:-\d{{4}})?|{_UK_POSTCODE})\b|{_TOWN}(?=,?\s"
    rf"(?:{_US_STATE})\b))?"
)
# Found by the street-type ending and the house number, then taken back to the name's start.
_GERMAN = regex.compile(
    rf"(?:(?<=\p{{Ll}})(?:straße|strasse|str\.|weg|allee|platz|gasse|damm|ufer|chaussee)"
    rf"|(?<=\p{{Ll}}[ \t-])(?:Straße|Strasse|Weg|Allee|Platz|Gasse|Damm|Ufer|Chaussee))"
    rf"[ \t]\d{{1,4}}[ \t]?[a-z]?\b(?:,?\s\d{{5}}\s{_WORD})?"
)
_NAME_BEFORE = regex.compile(r"(?:\p{Lu}[\p{L}-]*[ \t])?\p{Lu}[\p{L}-]*[ \t-]?$")
_FRENCH = regex.compile(
    r"(?i:\b\d{1,4}(?:\s?(?:bis|ter))?,?\s(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|"
    r"impasse|quai|route|cours)\s(?:[\p{L}'’-]+\s){0,6}?)(?:\p{Lu}[\p{L}'’-]*)(?:,?\s\d{5}\s\p{Lu}[\p{L}-]+)?"
)
_PO_BOX = re.compile(r"\b(?:P\.?\s?O\.?\s?Box|Postfach)\s\d{1,6}\b")
_POSTCODE = regex.compile(rf"\b(?:\d{{5}}|{_UK_POSTCODE})\b")


def find_street_addresses(text: str, author: str) -> Iterator[tuple[int, int]]:
    """Spans of street addresses. In a model's answer only complete ones, with a postcode:
    models name famous buildings by their street address ("1600 Pennsylvania Avenue")."""
    for pattern in (_US_OR_UK, _GERMAN, _FRENCH, _PO_BOX):
        for found in pattern.finditer(text):
            start, end = found.span()
            if pattern is _GERMAN:
                name = _NAME_BEFORE.search(text, max(0, start - 60), start)
                if not name:
                    continue
                start = name.start()
            if author == "user" or _POSTCODE.search(text, start, end):
                yield start, end

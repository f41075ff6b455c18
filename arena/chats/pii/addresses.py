"""Street addresses of the US, the UK, Germany and France, by their shape: a house number, a
capitalised street name ending in a street-type word, then optionally a unit, a town and a
ZIP code or postcode. pyap does the same for the US, Canada and the UK, but it was last
released in 2020 and drags in its own regexes for every call; these few patterns are enough.
Also German streets named by a preposition ("Am Mühlbach 3a") with their postcode, Dutch and
Spanish streets, UK house names and numberless streets before a postcode, comma-separated
parts after a flat or room number ending in a town and a postcode or Indian PIN, and Chinese
addresses in Chinese script (a road and its 号). Forms' stand-ins (Musterstraße, Anytown) stay.
"""

import re
from collections.abc import Iterator

import regex

STREET_TYPES = (
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
    rf"(?<![\w.,/-])(?:(?:Flat|Apt|Apartment|Unit|Suite)\s\w{{1,5}},?\s)?(?:\d{{1,4}}/)?\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?,?\s(?:(?:{_WORD}|\d{{1,3}}(?:st|nd|rd|th))\s){{1,4}}"
    rf"(?:{STREET_TYPES})\b\.?(?:\s(?:N|S|E|W|NE|NW|SE|SW)\b\.?)?{_UNIT}?"
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
    r"impasse|quai|route|cours)\s(?:[\p{L}'’-]+\s){0,6}?)(?:\p{Lu}[\p{L}'’-]*)"
    r"(?:[ \t]\p{Lu}[\p{L}'’-]*)*(?:,?\s\d{5}\s\p{Lu}[\p{L}-]+)?"
)
_TOWN_AND_CODE = r"\p{Lu}[\p{L}-]+(?:[ \t]\p{Lu}[\p{L}-]+)?"
# "Am Mühlbach 3a, 82131 Gauting": a German street named by a preposition, with its postcode.
_GERMAN_PREPOSITION = regex.compile(
    r"\b(?:Am|An der|An den|Im|In der|In den|Auf der|Auf dem|Zum|Zur|Unter den|Hinter der)"
    rf"[ \t]\p{{Lu}}[\p{{L}}-]+(?:[ \t]\p{{Lu}}[\p{{L}}-]+)?[ \t]\d{{1,4}}[ \t]?[a-z]?,?"
    rf"\s\d{{5}}\s{_TOWN_AND_CODE}"
)
_DUTCH = regex.compile(
    r"\b\p{Lu}\p{Ll}+(?:straat|laan|weg|plein|gracht|kade|singel|dijk|steeg|hof|markt)[ \t]"
    r"\d{1,4}(?:[ -]?(?:[A-Za-z]|I{1,3}V?|hs|bis|\d{1,3})\b)?"
    r"(?:,?\s\d{4}[ \t]?[A-Z]{2}\s\p{Lu}[\p{L}-]+)?"
)
_SPANISH = regex.compile(
    r"(?=[CAPRT])\b(?:Calle|C/|Avenida|Avda\.|Paseo|Plaza|Camino|Carrer|Rua|Travessa|Ronda)[ \t]"
    r"(?:(?:de|del|de la|de los|de las|da|do|dos)[ \t])?\p{Lu}[\p{L}-]+(?:[ \t]\p{Lu}[\p{L}-]+)*,?"
    r"[ \t](?:n\.?º[ \t]?)?\d{1,4}(?:,[ \t]?\d{1,2}[ºª°]?(?:[ \t]?[A-Z]\b)?)?"
    r"(?:,?\s\d{5}\s\p{Lu}[\p{L}-]+)?"
)
# Parts separated by commas after a flat or room number, ending in a town and its postcode
# (UK, a 5-digit one or India's 6-digit PIN): "Flat 402, Sai Residency, ..., Bengaluru 560038".
_UNIT_CHAIN = regex.compile(
    r"(?=[RFAUSHPDN#])\b(?:Room|Rm|Flat|Apt|Apartment|Unit|Suite|House|Plot|Door|No\.|#)"
    r"[ \t]?[\w/-]{1,6},[ \t]"
    r"(?:[^\n,]{2,40},[ \t]){1,6}\p{Lu}[\p{L}-]+(?:[ \t]\p{Lu}[\p{L}-]+)?,?[ \t]"
    rf"(?:[1-9]\d{{2}}[ \t]?\d{{3}}|\d{{5}}|{_UK_POSTCODE})\b"
)
# A house name or a street without a number, then towns, then a UK postcode.
_UK_NAMED = regex.compile(
    r"(?:\b(?:The[ \t])?(?:\p{Lu}[\p{L}'’-]+[ \t]){0,3}\p{Lu}[\p{L}'’-]+,[ \t])?"
    rf"(?:\p{{Lu}}[\p{{L}}'’-]+[ \t]){{1,3}}(?:{STREET_TYPES})\b"
    rf"(?:,?\s\p{{Lu}}[\p{{L}}'’-]+(?:[ \t]\p{{Lu}}[\p{{L}}'’-]+){{0,2}}){{1,3}}"
    rf",?\s{_UK_POSTCODE}\b"
)
# 北京市海淀区学院路35号院2号楼501室: a road and its number, with the units after it.
_HAN = r"[^\P{Han}是的在我你他她家址到寄送]"
_CHINESE = regex.compile(
    rf"(?:{_HAN}{{1,6}}(?:省|市|区|县|镇))*{_HAN}{{1,10}}(?:路|街|道|巷|胡同)\d{{1,5}}号"
    rf"(?:{_HAN}{{0,3}}\d{{1,5}}{_HAN}{{1,3}})*"
)
# Stand-ins of forms and textbooks, nobody's home.
_PLACEHOLDER_PLACES = regex.compile(r"Muster|Anytown|Anycity|Anystate|Any Street|Exampleville")
_PO_BOX = re.compile(r"\b(?:P\.?\s?O\.?\s?Box|Postfach)\s\d{1,6}\b")
# Five digits, India's six, a UK, a Dutch postcode, or a Chinese house number.
_POSTCODE = regex.compile(
    rf"\b(?:\d{{5}}|[1-9]\d{{2}}[ \t]?\d{{3}}|{_UK_POSTCODE})\b|\d{{4}}[ \t]?[A-Z]{{2}}\b|号"
)
_UK_POSTCODE_ALONE = regex.compile(rf"\b{_UK_POSTCODE}\b")
_PATTERNS = (
    _US_OR_UK, _GERMAN, _FRENCH, _PO_BOX, _GERMAN_PREPOSITION, _DUTCH, _SPANISH, _UNIT_CHAIN,
    _UK_NAMED, _CHINESE,
)  # fmt: skip


def find_street_addresses(text: str, author: str) -> Iterator[tuple[int, int]]:
    """Spans of street addresses. In a model's answer only complete ones, with a postcode:
    models name famous buildings by their street address ("1600 Pennsylvania Avenue")."""
    has_uk_postcode = _UK_POSTCODE_ALONE.search(text) is not None
    for pattern in _PATTERNS:
        if pattern is _UK_NAMED and not has_uk_postcode:
            continue  # the pattern ends in one, but would be tried at every capital letter
        for found in pattern.finditer(text):
            start, end = found.span()
            if _PLACEHOLDER_PLACES.search(found.group()):
                continue
            if pattern is _GERMAN:
                name = _NAME_BEFORE.search(text, max(0, start - 60), start)
                if not name:
                    continue
                start = name.start()
            if author == "user" or _POSTCODE.search(text, start, end):
                yield start, end

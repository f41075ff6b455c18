"""Person names, from what is said around them and from a gazetteer.

The gazetteer is the 1990 US census list of first names (5,163) and surnames (88,799), public
data shipped by the `names` package (MIT, offline). No named-entity model is used: none runs
from PyPI alone under a permissive licence with a provenance that can be checked (spaCy's own
models are published on GitHub, not PyPI; the GLiNER-based packages fetch their weights from a
model hub at run time; names-dataset's lists come from the 2021 leak of 533 M Facebook
profiles, itself personal data).

In everyone's text: "Dear X," at the start of a line and a name alone on the line after
"Thanks,"/"Best regards," (a model may be writing back to the person). In a person's text
also: "my name is X", "call me X", "I'm X" (a census first name, a first and last name, or a
name that ends the clause), "Hi X," / "Hello X", a title ("Dr. X") and a census first name
followed by a census surname ("Bob Smith"). In a model's answer "I'm ..." and "my name is ..."
are the model speaking, and the famous people models write about are no one's personal data.

Also in everyone's text: a full name beside an e-mail address or an international number (a
CSV row, a signature), a name above a street address, a "--" signature, "Hi X," opening an
answer, Chinese, Japanese and Korean names by the words around them (联系人, 同事, さん, 씨), and
every other mention of a name once found. In a person's text: relations ("my colleague X",
"meine Tochter X", "the HR lead, X"), account holders ("Kontoinhaberin X", "t.n.v. X"),
"reach X at ...", "J. Müller |" and "— Marcus" signatures.
"""

import functools
import importlib.resources
import re
from collections.abc import Iterator
from typing import NamedTuple

import regex

from arena.chats.pii.addresses import STREET_TYPES

_NAME = r"(?:\p{Lu}'|Mc|Mac|De|Di|Van|Le)?\p{Lu}\p{Ll}+(?:-\p{L}\p{Ll}+)?(?![\p{L}\d])"
_PARTICLE = r"(?:(?:de|van|von|der|den|da|di|del|du|la|le|bin|al|ten|ter)[ \t]+){0,2}"
_NAMES = rf"(?P<name>{_NAME}(?:[ \t]+{_PARTICLE}{_NAME}){{0,2}})"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra)\.?[ \t]+"
_SAID = regex.compile(
    rf"(?:\b[Mm]y (?:(?:first|last|full|real) )?name(?: is|'s|’s)|(?m:^[ \t]*(?:Full )?Name:)|"
    rf"\b[Cc]all me|[Ii]ch heiße|[Jj]e m'appelle|[Jj]e m’appelle|[Mm]e llamo|[Mm]i chiamo|"
    rf"\b[Mm]ein Name ist|\b[Mm]on nom est|\b[Mm]i nombre es|\b[Mm]ijn naam is|\b[Ii]k heet|"
    rf"\b(?:il|elle) s['’]appelle|\bheißt|\bse llama|\bsi chiama|\bchama-se)"
    rf"[ \t]+{_NAMES}"
)
_DEAR = regex.compile(
    rf"(?m:(?:^|[.!?][ \t]+|[\"'“‘„«])[ \t]*(?:Dear|Liebe|Lieber|Cher|Chère|Querido|Querida)[ \t]+"
    rf"(?:{_TITLE})?{_NAMES}(?=[ \t]*(?:[,:!]|$)))"
)
_SIGN_OFF = regex.compile(
    r"(?im:^[ \t]*(?:thanks(?: again| so much| a lot)?|thank you|many thanks|best|best regards|"
    r"kind regards|warm regards|regards|cheers|sincerely|yours sincerely|yours truly|"
    r"yours faithfully|yours|all the best|best wishes|love|cordially|respectfully|take care|"
    r"viele grüße|mit freundlichen grüßen|liebe grüße|grüße|cordialement|bien à vous|saludos|--)"
    r"[ \t]*[,.!]?[ \t]*\n[ \t]*(?:--?|—)?[ \t]*)" + _NAMES + r"(?=[ \t]*(?m:$))"
)
_INTRODUCED = regex.compile(rf"\b(?:I'm|I’m|I am|[Ii]t's|[Ii]t’s|[Tt]his is)[ \t]+{_NAMES}")
_GREETED = regex.compile(
    rf"\b(?:[Hh]i|[Hh]ello|[Hh]ey|[Tt]hanks|[Cc]heers|[Tt]hank you),?[ \t]+{_NAMES}"
    r"(?=[ \t]*(?:,|\n|$))"
)
_TITLED = regex.compile(rf"\b{_TITLE}{_NAMES}")
_RELATIONS = (
    r"colleague|co-?worker|manager|boss|lead|supervisor|son|daughter|child|kid|neighbou?r|friend|"
    r"flatmate|roommate|housemate|wife|husband|partner|fiancée?|girlfriend|boyfriend|brother|"
    r"sister|mother|father|mom|mum|dad|grandma|grandmother|grandpa|grandfather|grandson|"
    r"granddaughter|uncle|aunt|auntie|cousin|nephew|niece|teacher|tutor|landlord|landlady|tenant|"
    r"student|client|counterpart|doctor|dentist|lawyer|coach|intern|kollegin|kollege|tochter|"
    r"sohn|nachbarin|nachbar|chefin|chef|mieterin|mieter|freundin|freund|schwester|bruder|oma|opa|"
    r"collègue|fille|fils|voisine|voisin|directrice|directeur|amie?|sœur|frère|hija|hijo|vecina|"
    r"vecino|compañera|compañero|jefa|jefe|amiga|amigo|collega|dochter|zoon|buurvrouw|buurman"
)
_POSSESSIVE = r"(?i:my|our|his|her|their|mein\w{0,2}|unser\w{0,2}|mon|ma|mes|mi|mis|mijn)"
# "my colleague Priya Raghunathan", "meine Tochter Leonie", "the HR lead, Emeka Nwachukwu".
_RELATED = regex.compile(
    rf"\b(?:{_POSSESSIVE}[ \t]+(?:[\w-]+[ \t]+)?(?i:{_RELATIONS})(?:'s|’s)?,?|"
    rf"[Tt]he[ \t]+(?:[\w-]+[ \t]+)?(?i:{_RELATIONS}),)[ \t]+{_NAMES}"
)
# "Kontoinhaberin Julia Becker", "t.n.v. Daan de Vries", "name Isla McDonald".
_HOLDER = regex.compile(
    r"(?i:account holder|account name|beneficiary|payee|kontoinhaber(?:in)?|empfänger(?:in)?|"
    rf"t\.n\.v\.|titulaire|titular)(?-i::?[ \t]+){_NAMES}"
    rf"|(?:(?<=[,:;(][ \t])|(?m:^))name:?[ \t]+{_NAMES}"
)
# "Ayşe Yılmaz from accounting", "Deepak on leave": a colleague by department or absence.
_AT_WORK = regex.compile(
    rf"(?<![\p{{L}}])(?P<name>{_NAME}(?:[ \t]+{_NAME})?)[ \t]+(?:from[ \t]+(?:the[ \t]+)?"
    r"(?:accounting|accounts|finance|HR|payroll|sales|marketing|legal|IT|procurement|support|"
    r"facilities|compliance|engineering|ops)\b|on[ \t]+(?:leave|vacation|holiday|PTO|sick leave|"
    r"parental leave)\b|(?:is|was)[ \t]+out[ \t]+sick\b)"
)
_REACHED = regex.compile(
    rf"\b(?i:reach|contact|e-?mail|call|text|ping|message)[ \t]+{_NAMES}(?=[ \t]+(?:at|on|via)\b)"
)
# A full name right before an e-mail address or an international number: a CSV row, a
# signature, "Laurent Dubois (laurent.dubois@...)".
_BESIDE_CONTACT = regex.compile(
    rf"(?<![\p{{L}}])(?P<name>{_NAME}(?:[ \t]+{_PARTICLE}{_NAME}){{1,2}})[ \t]*"
    r"(?:[;,|\t(<]|[ \t]-[ \t])[ \t]*(?:[\w.+-]+@|\+\d)"
)
# A letter's heading: the name on the line above the street address.
_ABOVE_ADDRESS = regex.compile(
    rf"(?m:^[ \t]*{_NAMES}[ \t]*\n[ \t]*(?=(?:\d{{1,4}}/)?\d{{1,5}}[a-z]?[ \t]+"
    rf"(?:\p{{Lu}}\p{{L}}+[ \t]+)+(?:{STREET_TYPES})\b|"
    r"\p{Lu}\p{Ll}+(?:straße|strasse|weg|allee|platz|gasse|straat|laan)[ \t]+\d))"
)
# "J. Müller | Vertrieb": not "A. Data Types" or "IV. Conclusion" of an outline.
_INITIAL_SURNAME = regex.compile(rf"(?m:^[ \t]*(?P<name>[A-HJ-UWYZ]\.[ \t]?{_NAME})(?=[ \t]*[|,]))")
_DASH_SIGNATURE = regex.compile(rf"(?m:^[ \t]*(?:--?|—)[ \t]*{_NAMES}[ \t]*$)")
_OPENING = regex.compile(rf"\A[ \t]*(?:Hi|Hello|Hey|Dear)[ \t]+{_NAMES}(?=[ \t]*[,!])")
# Chinese, Japanese and Korean names by the words around them: 联系人王芳, 同事张伟, 田中さん.
_HAN = r"[^\P{Han}的是在我你他她们和给写发说问帮让跟对把被了吗呢吧]"
_CJK_NAMED = regex.compile(
    r"(?:联系人|同事|老板|经理|朋友|老师|我叫|名字是|名字叫|收件人|姓名)"
    rf"[:：]?[ \t]*(?P<name>{_HAN}{{2,3}})"
    rf"|(?P<name>{_HAN}{{1,3}})(?:先生|女士|小姐|さん|様|ちゃん)"
    r"|(?P<name>\p{Hangul}{2,4})[ \t]?(?:씨|님)"
)
_FULL_NAMES_ONLY = {_HOLDER: 2, _BESIDE_CONTACT: 2, _ABOVE_ADDRESS: 2}
# Cheap tests on the lower-cased text that a pattern can match at all: the re module's search
# for literal words is far faster than the regex module's scan with its name classes.
_TRIGGERS = {
    _SAID: re.compile(
        r"my (?:(?:first|last|full|real) )?name|name:|call me|ich heiße|appelle|me llamo|"
        r"mi chiamo|mein name|mon nom|mi nombre|mijn naam|ik heet|heißt|se llama|si chiama|chama-se"
    ),
    _RELATED: re.compile(
        r"\b(?:my|our|his|her|their|mein\w{0,2}|unser\w{0,2}|mon|ma|mes|mi|mis|mijn|the)[ \t]+"
        rf"(?:[\w-]+[ \t]+)?(?:{_RELATIONS})\b"
    ),
    _HOLDER: re.compile(
        r"account holder|account name|beneficiary|payee|kontoinhaber|empfänger|t\.n\.v|titula|"
        r"[,:;(][ \t]name|^name",
        re.MULTILINE,
    ),
    _REACHED: re.compile(
        r"(?:reach|contact|e-?mail|call|text|ping|message) \S+(?: \S+){0,2} (?:at|on|via)\b"
    ),
    _AT_WORK: re.compile(
        r" (?:from (?:the )?(?:accounting|accounts|finance|hr|payroll|sales|marketing|legal|it|"
        r"procurement|support|facilities|compliance|engineering|ops)|on (?:\w+ )?leave|"
        r"on (?:vacation|holiday|pto)|out sick)\b"
    ),
    _CJK_NAMED: re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]"),
    _BESIDE_CONTACT: re.compile(r"@|\+\d"),
}
_FULL_NAME = regex.compile(rf"\b(?P<name>{_NAME}[ \t]+{_NAME})\b")
_NOT_NAMES = {
    "Sir", "Madam", "Team", "All", "Everyone", "Customer", "Customers", "Colleague", "Colleagues",
    "Friend", "Friends", "Hiring", "Manager", "Recruiter", "Valued", "User", "Users", "Recipient",
    "Committee", "Members", "Member", "Parents", "Students", "Diary", "Santa", "Future", "Mom",
    "Dad", "Mum", "Mother", "Father", "Reader", "Readers", "Community", "Support", "Admissions",
    "Landlord", "Neighbor", "Neighbour", "Editor", "Board", "Professor", "Doctor", "Human",
    "Assistant", "There", "World", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday", "Sunday", "Here", "Back", "Again", "Later", "Now", "Soon", "Sorry", "The", "This",
    "That", "And", "Or", "But", "So", "Anyway", "Also", "Please", "Thanks", "Thank", "You", "Yes",
    "No", "Ok", "Okay", "Hello", "Hi", "Hey", "Dear", "Best", "Regards", "Cheers", "Sincerely",
    "Yours", "Love", "Name", "Full", "First", "Last", "Sample", "Example", "Sender", "Signature",
    "Director", "Sales", "Department", "Office", "Service", "Services", "Company", "Inc", "Ltd",
    "Mr", "Mrs", "Ms", "Dr", "Prof", "Guys", "Folks", "God", "Lord", "Jesus", "Christ",
    "Claude", "Gemini", "Bard", "Siri", "Alexa", "Cortana", "Copilot", "Llama", "Mistral", "Grok",
    "Bing", "Chat", "Bot", "Everybody", "Just", "Not", "Very", "Really", "Still",
    "French", "German", "English", "American", "British", "Chinese", "Indian", "Spanish",
    "Italian", "Japanese", "Korean", "Canadian", "Australian", "Mexican", "Brazilian", "Russian",
    "Dutch", "Swiss", "Swedish", "Polish", "Irish", "Scottish", "Welsh", "Jewish", "Muslim",
    "Christian", "Catholic", "Hindu", "Buddhist", "Vegan", "Vegetarian", "Black", "White",
    "Asian", "African", "European", "Latino", "Latina", "Gay", "Trans", "Happy", "Glad", "Fine",
    "Good", "Great", "New", "Groot", "Batman", "Iron", "Legend",
}  # fmt: skip
# Names that are also everyday words, weak evidence alone ("May Day", "Will Power").
_WORD_NAMES = {
    "Will", "May", "Mark", "Bill", "Grace", "Hope", "Joy", "June", "April", "Rose", "Faith",
    "Art", "Guy", "Page", "Major", "Sunny", "Summer", "Dawn", "Ruby", "Pearl", "Iris", "Lily",
    "Olive", "Violet", "Ivy", "Hazel", "Amber", "Crystal", "Destiny", "Honey", "Patience",
    "Chance", "Christian", "Don", "Lane", "Miles", "Hunter", "Chase", "Young", "Long",
    "Royal", "King", "Price", "Sterling", "Gay", "Dusty", "Rich", "Ray", "Cliff",
    "Bud", "Rob", "Pat", "Sue", "Penny", "Rusty", "Gene", "Sky", "Star",
    "Storm", "Golden", "Precious", "Justice", "Harmony", "Melody", "Memory", "Lady", "Else",
    "Ever", "Julia", "Ada", "Fern", "Flora", "Georgia", "Virginia", "Florence",
    "Sydney", "Austin", "Charlotte", "Madison", "Jackson", "Houston", "Dallas", "Phoenix",
    "Lincoln", "Orlando", "Victoria", "Paris", "Jordan", "Troy", "Chelsea", "Israel", "Eden",
    "Salem", "Camden", "Berkeley", "Stanford", "Harvard", "Tesla", "Porsche", "Mercedes",
    "In", "So", "An", "My", "Man", "Many", "See", "Sun", "China", "America", "Argentina",
    "German", "Asia", "India", "France", "Florida", "Denver", "Angeles", "Venus", "Omega",
    "Alpha", "Delta", "Genesis", "Brain", "Diamond", "Cherry", "Forest", "Monte", "August",
    "January", "Sunday", "Prince", "Dot", "Ok", "Mac", "Van", "Von", "Del", "Le", "Ma", "Na",
    "Pa", "Era", "Bee", "Hue", "Min", "Son", "Dia", "Ima", "Roman", "Grant", "Scott",
}  # fmt: skip


def find_person_names(text: str, author: str) -> Iterator[tuple[int, int]]:
    spans = list(_names_in(text, author))
    yield from spans
    yield from _repeated(text, spans)


def _names_in(text: str, author: str) -> Iterator[tuple[int, int]]:
    everyone = (_DEAR, _SIGN_OFF, _OPENING, _BESIDE_CONTACT, _ABOVE_ADDRESS, _CJK_NAMED)
    lowered = text.lower()
    for pattern in everyone:
        if not _may_match(pattern, lowered):
            continue
        for found in pattern.finditer(text):
            yield from _name_span(found, False, _FULL_NAMES_ONLY.get(pattern, 1))
    if author == "model":
        return
    named_by = (_SAID, _INTRODUCED, _GREETED, _TITLED, _RELATED, _HOLDER, _REACHED, _AT_WORK)
    for pattern in named_by:
        if not _may_match(pattern, lowered):
            continue
        for found in pattern.finditer(text):
            yield from _name_span(found, pattern is _INTRODUCED, _FULL_NAMES_ONLY.get(pattern, 1))
    for found in _INITIAL_SURNAME.finditer(text):
        yield found.span("name")
    for found in _DASH_SIGNATURE.finditer(text):
        if _first_name(found["name"].split()[0]):
            yield found.span("name")
    for found in _FULL_NAME.finditer(text, overlapped=True):
        first, last = found["name"].split()
        if _first_name(first) and last in _gazetteer().last and last not in _NOT_NAMES:
            yield found.span("name")


def _may_match(pattern: regex.Pattern, lowered: str) -> bool:
    trigger = _TRIGGERS.get(pattern)
    return trigger is None or trigger.search(lowered) is not None


def _repeated(text: str, spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Once a name is known, its other mentions: "Hi Oliver, ..." then "this is Oliver Bennett"."""
    words = {
        word
        for start, end in spans
        for word in text[start:end].split()
        if len(word) > 2 and word not in _NOT_NAMES and word not in _WORD_NAMES
    }
    if not words:
        return
    alternatives = "|".join(sorted(map(regex.escape, words), key=len, reverse=True))
    pattern = rf"(?<![\p{{L}}\d])(?:{alternatives})(?:[ \t]+{_NAME})?(?![\p{{L}}\d])"
    for found in regex.finditer(pattern, text):
        yield found.span()


def _first_name(word: str) -> bool:
    return len(word) > 2 and word in _gazetteer().first and word not in _WORD_NAMES


def _name_span(
    found: regex.Match, needs_first_name: bool, words_needed: int = 1
) -> Iterator[tuple[int, int]]:
    """The name's words up to the first that is no name. Where the context alone is weak
    ("I'm ..."), one word must be a first name of the gazetteer; a first and a last name,
    or a name the sentence ends on ("I'm Mateo."), need none."""
    words = list(regex.finditer(r"\S+", found["name"]))
    kept = 0
    while kept < len(words) and words[kept].group() not in _NOT_NAMES:
        kept += 1
    if kept < words_needed:
        return
    end = found.start("name") + words[kept - 1].end()
    if needs_first_name and not (
        words[0].group() in _gazetteer().first
        or kept > 1
        or regex.match(r"[ \t]*(?:[,.!;:]|and\b|from\b|here\b|$)", found.string[end:])
    ):
        return
    yield found.start("name"), end


@functools.cache
def _gazetteer() -> "_Gazetteer":
    folder = importlib.resources.files("names")
    first = _census_names(folder, "dist.male.first") | _census_names(folder, "dist.female.first")
    return _Gazetteer(first, _census_names(folder, "dist.all.last"))


def _census_names(folder, file: str) -> frozenset[str]:
    """A census list's names ("SMITH  1.006  1.006  1" a line), as written: "Smith"."""
    text = folder.joinpath(file).read_text(encoding="ascii")
    return frozenset(line.split()[0].title() for line in text.splitlines() if line.strip())


class _Gazetteer(NamedTuple):
    first: frozenset[str]
    last: frozenset[str]

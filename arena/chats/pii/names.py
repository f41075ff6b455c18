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
"""

import functools
import importlib.resources
from collections.abc import Iterator
from typing import NamedTuple

import regex

_NAME = r"(?:\p{Lu}'|Mc|Mac|De|Di|Van|Le)?\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?(?![\p{L}\d])"
_NAMES = rf"(?P<name>{_NAME}(?:[ \t]+{_NAME}){{0,2}})"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra)\.?[ \t]+"
_SAID = regex.compile(
    rf"(?:\b[Mm]y (?:(?:first|last|full|real) )?name(?: is|'s|’s)|(?m:^[ \t]*(?:Full )?Name:)|"
    rf"\b[Cc]all me|[Ii]ch heiße|[Jj]e m'appelle|[Jj]e m’appelle|[Mm]e llamo|[Mm]i chiamo)"
    rf"[ \t]+{_NAMES}"
)
_DEAR = regex.compile(
    rf"(?m:(?:^|[.!?][ \t]+)[ \t]*(?:Dear|Liebe|Lieber|Cher|Chère|Querido|Querida)[ \t]+"
    rf"(?:{_TITLE})?{_NAMES}(?=[ \t]*(?:[,:!]|$)))"
)
_SIGN_OFF = regex.compile(
    r"(?im:^[ \t]*(?:thanks(?: again| so much| a lot)?|thank you|many thanks|best|best regards|"
    r"kind regards|warm regards|regards|cheers|sincerely|yours sincerely|yours truly|"
    r"yours faithfully|yours|all the best|best wishes|love|cordially|respectfully|take care|"
    r"viele grüße|mit freundlichen grüßen|liebe grüße|grüße|cordialement|bien à vous|saludos)"
    r"[ \t]*[,.!]?[ \t]*\n[ \t]*(?:--?|—)?[ \t]*)" + _NAMES + r"(?=[ \t]*$)"
)
_INTRODUCED = regex.compile(rf"\b(?:I'm|I’m|I am|[Ii]t's|[Ii]t’s|[Tt]his is)[ \t]+{_NAMES}")
_GREETED = regex.compile(
    rf"\b(?:[Hh]i|[Hh]ello|[Hh]ey|[Tt]hanks|[Cc]heers|[Tt]hank you),?[ \t]+{_NAMES}"
    r"(?=[ \t]*(?:,|\n|$))"
)
_TITLED = regex.compile(rf"\b{_TITLE}{_NAMES}")
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
    for pattern in (_DEAR, _SIGN_OFF):
        for found in pattern.finditer(text):
            yield from _name_span(found, needs_first_name=False)
    if author == "model":
        return
    for pattern in (_SAID, _INTRODUCED, _GREETED, _TITLED):
        for found in pattern.finditer(text):
            yield from _name_span(found, needs_first_name=pattern is _INTRODUCED)
    for found in _FULL_NAME.finditer(text, overlapped=True):
        first, last = found["name"].split()
        if _first_name(first) and last in _gazetteer().last and last not in _NOT_NAMES:
            yield found.span("name")


def _first_name(word: str) -> bool:
    return len(word) > 2 and word in _gazetteer().first and word not in _WORD_NAMES


def _name_span(found: regex.Match, needs_first_name: bool) -> Iterator[tuple[int, int]]:
    """The name's words up to the first that is no name. Where the context alone is weak
    ("I'm ..."), one word must be a first name of the gazetteer; a first and a last name,
    or a name the sentence ends on ("I'm Mateo."), need none."""
    words = list(regex.finditer(r"\S+", found["name"]))
    kept = 0
    while kept < len(words) and words[kept].group() not in _NOT_NAMES:
        kept += 1
    if not kept:
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

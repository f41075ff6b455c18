"""A copy of a text with its disguises undone, and the map from that copy back to the original.

Personal data hides behind formatting that a reader sees through and a pattern does not:
`alice.smith@**gmail**.com`, `alice.smith&#64;gmail.com`, a zero-width space inside an address,
a phone number's middle group in backticks, CR LF line endings. Detectors run on the normalised
copy; every find is mapped back to a span of the original text that covers the whole disguised
value, markers included.
"""

import bisect
import html
import re
from dataclasses import dataclass

# One character for one character, so these leave every offset where it was.
_SAME_LENGTH = str.maketrans(
    {
        **{code: " " for code in (0x00A0, 0x1680, 0x202F, 0x205F, 0x3000)},
        **{code: " " for code in range(0x2000, 0x200B)},
        **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)},  # fullwidth ASCII
        **{code: "-" for code in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFE63)},
        0xFE6B: "@",
        0x2024: ".",
    }
)
_INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
# Every alternative starts with a fixed character class, so the scan skips plain text quickly;
# whether a "*" or "_" run is emphasis is decided around the match (_kept_as_is).
_EDITS = re.compile(
    "|".join(
        (
            r"(?P<newline>\r\n?)",
            r"(?P<entity>&(?:\#[0-9]{1,7}|\#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)",
            rf"(?P<invisible>[{_INVISIBLE}]+)",
            r"(?P<code>`+)",
            r"(?P<strike>~~)",
            r"(?P<star>\*+)",
            r"(?P<underscore>_+)",
            r"(?P<escape>\\[!-/:-@\[-`{-~])",
            r"(?P<at>[\[({<][ \t]*(?i:at)[ \t]*[\])}>])",
            r"(?P<dot>[\[({<][ \t]*(?i:dot)[ \t]*[\])}>])",
        )
    )
)
_REPLACEMENTS = {"newline": "\n", "at": "@", "dot": "."}


@dataclass(frozen=True)
class Normalised:
    """The normalised text and, for each piece of it, where it came from in the original.

    A piece is a run copied as it was (each character maps to one original character) or the
    replacement of one edit (each of its characters maps to the edit's whole original span).
    Characters the normaliser dropped belong to no piece.
    """

    text: str
    original_length: int
    starts: tuple[int, ...] = ()  # where each piece starts in the normalised text
    origins: tuple[int, ...] = ()  # where it starts in the original
    replaced_ends: tuple[int | None, ...] = ()  # the edit's original end; None for a copied run

    @property
    def unchanged(self) -> bool:
        return not self.starts

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering the normalised characters start..end-1."""
        if self.unchanged:
            return start, end
        return self._origin(start)[0], self._origin(end - 1)[1]

    def _origin(self, position: int) -> tuple[int, int]:
        piece = bisect.bisect_right(self.starts, position) - 1
        origin, replaced_end = self.origins[piece], self.replaced_ends[piece]
        if replaced_end is not None:
            return origin, replaced_end
        at = origin + position - self.starts[piece]
        return at, at + 1


def normalise(text: str) -> Normalised:
    """The text without markdown emphasis and code markers, HTML entities decoded, invisible
    and bidi control characters dropped, line endings unified, spaces and dashes plain."""
    text = text.translate(_SAME_LENGTH)
    starts, origins, replaced_ends, pieces = [], [], [], []
    length = position = 0
    for edit in _EDITS.finditer(text):
        if _kept_as_is(text, edit):
            continue
        edit_start, edit_end = _with_spaces(text, edit, position)
        if edit_start > position:
            starts.append(length), origins.append(position), replaced_ends.append(None)
            pieces.append(text[position:edit_start])
            length += edit_start - position
        replacement = _replacement(edit)
        if replacement:
            starts.append(length), origins.append(edit_start), replaced_ends.append(edit_end)
            pieces.append(replacement)
            length += len(replacement)
        position = edit_end
    if not starts and position == 0:
        return Normalised(text, len(text))
    if position < len(text):
        starts.append(length), origins.append(position), replaced_ends.append(None)
        pieces.append(text[position:])
    return Normalised(
        "".join(pieces), len(text), tuple(starts), tuple(origins), tuple(replaced_ends)
    )


def _kept_as_is(text: str, edit: re.Match) -> bool:
    """A "*" between digits is a multiplication ("2*3"), a "_" between letters or digits part
    of a name (snake_case, jane_doe@...); anywhere else they are emphasis."""
    kind, start, end = edit.lastgroup, edit.start(), edit.end()
    if kind not in ("star", "underscore"):
        return False
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if kind == "star":
        return before.isdigit() and after.isdigit()
    return before.isalnum() and after.isalnum()


def _with_spaces(text: str, edit: re.Match, floor: int) -> tuple[int, int]:
    """An "[at]" or "(dot)" takes the spaces around it: "alice [at] gmail [dot] com"."""
    start, end = edit.span()
    if edit.lastgroup in ("at", "dot"):
        while start > floor and text[start - 1] in " \t":
            start -= 1
        while end < len(text) and text[end] in " \t":
            end += 1
    return start, end


def _replacement(edit: re.Match) -> str:
    kind = edit.lastgroup
    if kind == "escape":
        return edit.group()[1]
    if kind == "entity":
        decoded = html.unescape(edit.group()).translate(_SAME_LENGTH)
        return "" if re.fullmatch(f"[{_INVISIBLE}]*", decoded) else decoded
    return _REPLACEMENTS.get(kind, "")

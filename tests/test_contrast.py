"""Colour contrast of static/css/arena.css (WCAG 2.2 relative luminance), with a margin over AA:
text at 5:1 (AA asks 4.5:1), control borders and the focus ring at 3.5:1 (AA asks 3:1). Read
from the stylesheet itself, so changing a colour there re-checks every pair it is part of."""

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "arena.css"
TEXT, NON_TEXT = 5.0, 3.5
SURFACES = ("--bg", "--card", "--chip")  # where text and controls sit
TEXT_COLOURS = ("--ink", "--muted", "--accent", "--bad", "--good")  # text on any surface
CONTROL_LINES = ("--control-line", "--focus", "--bad")  # field borders, focus ring, invalid field
CONTROL_SURFACES = ("--bg", "--card")  # fields sit on cards or the page
# Text that sits on a background set by another rule: (text, background, where).
NESTED = [
    ("--accent", "#e6fcf5", "a link in a success flash"),
    ("--accent", "#fff5f5", "a link in an error flash"),
    ("--accent", "#e7f5ff", "a link in an info flash"),
    ("--accent", "#fff4e6", "a link in the live-paused notice"),
    ("--accent", "#eef2ff", "the dropzone while a file is dragged over it"),
    ("--muted", "#eef2ff", "the chosen file's name in the dropzone"),
    ("--accent-ink", "--accent", "a button"),
]


def custom_properties(css: str) -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", css, re.S).group(1)
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", root))


def rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every rule, @media blocks flattened, comments dropped."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^{}]*\})*)\s*\}", r"\1", css)
    found = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+?)\s*(?:;|$)", body.strip()))
        found.append((" ".join(selector.split()), declarations))
    return found


def resolve(value: str, variables: dict[str, str]) -> str | None:
    """A colour as #rrggbb, or None when the value names no single colour (none, a gradient)."""
    value = value.strip()
    if value.startswith("--"):
        value = variables[value]
    named = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if named:
        return resolve(variables[named.group(1)], variables)
    hexa = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value)
    if not hexa:
        return None
    digits = hexa.group(1)
    return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits).lower()


def luminance(colour: str) -> float:
    def channel(byte: int) -> float:
        c = byte / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ratio(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_luminance_formula_matches_wcag_examples():
    assert ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert ratio("#595959", "#ffffff") == pytest.approx(7.0, abs=0.01)


STYLESHEET = CSS.read_text()
VARIABLES = custom_properties(STYLESHEET)
RULES = rules(STYLESHEET)


def background_of(declarations: dict[str, str]) -> str | None:
    for name in ("background-color", "background"):
        if name in declarations:
            return resolve(declarations[name], VARIABLES)
    return None


def text_colour(selector: str, declarations: dict[str, str]) -> str | None:
    """The rule's own text colour, else that of the rule it varies (`x:hover` of `x`), else ink."""
    if "color" in declarations:
        return resolve(declarations["color"], VARIABLES)
    plain = re.sub(r":(hover|active|focus|focus-visible)\b", "", selector)
    base = [d["color"] for s, d in RULES if s == plain and "color" in d]
    return resolve(base[0] if base else "var(--ink)", VARIABLES)


def shortfalls(pairs, minimum: float) -> list[str]:
    return [
        f"{where}: {fg} on {bg} is {ratio(fg, bg):.2f}:1, under {minimum}:1"
        for fg, bg, where in pairs
        if ratio(fg, bg) < minimum
    ]


def test_every_rule_that_sets_text_and_background_has_contrast():
    """A rule that sets both colours, e.g. `.tag.warn`, or sets a background for inherited ink."""
    pairs = []
    for selector, declarations in RULES:
        background = background_of(declarations)
        if background is None:
            continue
        text = text_colour(selector, declarations)
        if text is not None:
            pairs.append((text, background, selector))
    assert len(pairs) > 20, "the parser lost the stylesheet's rules"
    assert not shortfalls(pairs, TEXT)


def test_text_colours_on_every_surface():
    pairs = [
        (resolve(fg, VARIABLES), resolve(bg, VARIABLES), f"{fg} on {bg}")
        for fg in TEXT_COLOURS
        for bg in SURFACES
    ]
    pairs += [(resolve(fg, VARIABLES), resolve(bg, VARIABLES), where) for fg, bg, where in NESTED]
    assert not shortfalls(pairs, TEXT)


def test_every_colour_a_rule_gives_text_is_readable_on_the_page():
    """Text coloured by a rule without a background of its own sits on a card or the page."""
    pairs = []
    for selector, declarations in RULES:
        text = resolve(declarations.get("color", "none"), VARIABLES)
        if text is None or background_of(declarations) is not None:
            continue
        pairs += [
            (text, resolve(bg, VARIABLES), f"{selector} on {bg}") for bg in ("--bg", "--card")
        ]
    assert len(pairs) > 5, "the parser lost the stylesheet's rules"
    assert not shortfalls(pairs, TEXT)


def test_field_borders_and_the_focus_ring_stand_out():
    pairs = [
        (resolve(line, VARIABLES), resolve(bg, VARIABLES), f"{line} on {bg}")
        for line in CONTROL_LINES
        for bg in CONTROL_SURFACES
    ]
    assert not shortfalls(pairs, NON_TEXT)


def test_fields_and_the_focus_ring_use_the_checked_colours():
    """The pairs above mean something only if the rules use those colours."""
    focus = [d for s, d in RULES if s == ":focus-visible"]
    assert focus and "var(--focus)" in focus[0]["outline"], focus
    removed = [
        s for s, d in RULES if re.match(r"(none|0)\b", d.get("outline", "")) and s != "main:focus"
    ]
    assert not removed, f"{removed} remove the outline: keyboard users lose where they are"
    fields = [d for s, d in RULES if s.startswith("input[type=text]")]
    assert fields and "var(--control-line)" in fields[0]["border"], fields

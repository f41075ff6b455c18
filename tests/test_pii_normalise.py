"""The normalised copy detectors run on, and the map from its finds back to original spans."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.chats.pii.normalise import normalise
from arena.chats.redact import find_personal_data


@pytest.mark.parametrize(
    ("original", "normalised"),
    [
        ("alice.smith@**gmail**.com", "alice.smith@gmail.com"),
        ("*alice*@gmail.com and __bold__", "alice@gmail.com and bold"),
        ("~~old~~ `code` ```fence```", "old code fence"),
        (
            "alice.smith&#64;gmail&#x2e;com &amp; &commat; &bogus;",
            "alice.smith@gmail.com & @ &bogus;",
        ),
        ("ali\u200bce\u200d@\u202egm\ufeffail.com\u00ad", "alice@gmail.com"),
        ("one\r\ntwo\rthree\n", "one\ntwo\nthree\n"),
        ("jane\\_doe\\@x", "jane_doe@x"),
        ("alice [at] gmail [dot] com, bob(AT)x(dot)org", "alice@gmail.com, bob@x.org"),
        ("\uff41\uff4c\uff49\uff43\uff45\uff20x\u00a0y\u2013z", "alice@x y-z"),
    ],
)
def test_disguises_are_undone(original, normalised):
    assert normalise(original).text == normalised


@pytest.mark.parametrize(
    "text",
    [
        "snake_case_name = a_b and jane_doe@x.org",
        "2*3 = 6 and 10*20*30",
        "plain text with no markup at all",
    ],
)
def test_what_is_not_markup_stays(text):
    result = normalise(text)
    assert result.text == text
    assert result.to_original(0, len(text)) == (0, len(text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("mail alice.smith@**gmail**.com now", "alice.smith@**gmail**.com"),
        ("mail **alice.smith@gmail.com** now", "alice.smith@gmail.com"),
        ("mail alice.smith&#64;gmail.com now", "alice.smith&#64;gmail.com"),
        ("mail ali\u200bce@gmail.com now", "ali\u200bce@gmail.com"),
        ("mail alice [at] gmail [dot] com now", "alice [at] gmail [dot] com"),
        ("a\r\nb\r\nmail alice@gmail.com\r\n", "alice@gmail.com"),
    ],
)
def test_a_find_covers_the_whole_disguised_value_in_the_original(text, value):
    [hit] = find_personal_data(text)
    assert text[hit.start : hit.end] == value


def test_an_edit_maps_to_its_whole_original_span():
    text = "x&#64;y"
    result = normalise(text)
    assert result.text == "x@y"
    assert [result.to_original(i, i + 1) for i in range(3)] == [(0, 1), (1, 6), (6, 7)]


MARKUP = st.sampled_from(
    ["*", "**", "_", "`", "```", "~~", "&#64;", "&amp;", "&nbsp;", "\u200b", "\u202e", "\r\n",
     "\r", "\\_", " [at] ", "(dot)", "2*3", "a_b", " ", "\n"]
)  # fmt: skip
TEXT = st.lists(st.one_of(MARKUP, st.text("abcxyz019@.-", max_size=4)), max_size=30).map("".join)
# Around a value: markup, but not "[at]"/"(dot)", which would rightly join it to its neighbour.
AROUND = st.lists(
    st.one_of(
        MARKUP.filter(lambda m: m not in (" [at] ", "(dot)")), st.text("abc019 ", max_size=4)
    ),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_every_normalised_character_maps_inside_the_original_in_order(text):
    result = normalise(text)
    previous_start = 0
    for position, character in enumerate(result.text):
        start, end = result.to_original(position, position + 1)
        assert previous_start <= start < end <= len(text)
        if end - start == 1 and text[start] not in "\r\u00a0\u2013":
            assert text[start] == character  # a copied character is the same character
        previous_start = start


@settings(max_examples=200, deadline=None)
@given(AROUND, AROUND)
def test_an_address_amid_any_markup_is_found_at_its_original_place(before, after):
    value = "jana.novak@posteo.de"
    text = f"{before} {value} {after}"
    spans = [(h.start, h.end) for h in find_personal_data(text) if h.kind == "EMAIL"]
    start = len(before) + 1
    assert any(s <= start and start + len(value) <= e for s, e in spans), (text, spans)

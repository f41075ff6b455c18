"""Krippendorff's alpha and the consensus rule, on examples worked by hand."""

import pytest

from arena.auditing.agreement import auditor_alpha, nominal_alpha
from arena.auditing.consensus import Verdict, tally
from arena.auditing.settings import load_settings
from arena.models.chats import ACCEPTED, DISPUTED, PENDING, REJECTED

RULES = load_settings().default  # decide at 3, dispute at 5

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
# twelve units, nominal values with some missing (None); alpha = 0.743.
TEXTBOOK = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def units_of(coders: dict) -> list[list]:
    return [
        [value for value in unit if value is not None]
        for unit in zip(*coders.values(), strict=True)
    ]


def test_krippendorffs_own_nominal_example_with_missing_values():
    assert nominal_alpha(units_of(TEXTBOOK)) == pytest.approx(0.743, abs=5e-4)


def test_a_small_example_worked_by_hand():
    # See the module docstring of arena/auditing/agreement.py: 1 - 7 * 2 / 30 = 8 / 15.
    units = [("a", "a"), ("a", "b"), ("b", "b"), ("a", "a")]
    assert nominal_alpha(units) == pytest.approx(8 / 15)


def test_an_auditor_against_the_decisions():
    # (verdict, decision) on six chats: three agreeing accepts, one agreeing reject, one each way
    # wrong. n_accept = 8, n_reject = 4, n = 12; the two wrong chats give 4 off-diagonal pairs;
    # alpha = 1 - 11 * 4 / (2 * 8 * 4) = 1 - 44 / 64 = 0.3125.
    pairs = [("accept", "accept")] * 3 + [("reject", "reject"), ("reject", "accept")]
    pairs += [("accept", "reject")]
    assert auditor_alpha(pairs) == pytest.approx(0.3125)


@pytest.mark.parametrize(
    "units, expected",
    [
        ([("a", "a"), ("b", "b")], 1.0),  # perfect agreement
        ([("a", "b"), ("b", "a")], -0.5),  # 1 - 3 * 4 / 8: systematic disagreement
        ([("a", "a"), ("a", "a")], None),  # no variation: undefined
        ([("a",), ("b",)], None),  # nothing pairs up
        ([], None),
    ],
)
def test_edge_cases(units, expected):
    assert nominal_alpha(units) == expected


def verdicts(*codes: str) -> list[Verdict]:
    """a / r: accept / reject; a? r?: low confidence; A R: a moderator's; r:spam a reason."""
    made = []
    for code in codes:
        word, _, reason = code.partition(":")
        verdict = "accept" if word[0].lower() == "a" else "reject"
        made.append(
            Verdict(
                verdict, reason or None, low_confidence="?" in word, by_moderator=word[0].isupper()
            )
        )
    return made


@pytest.mark.parametrize(
    "codes, status, reason",
    [
        (("a", "a"), PENDING, None),
        (("a", "a", "a"), ACCEPTED, None),
        (("a", "r", "a", "a"), ACCEPTED, None),
        (("r:spam", "r:low_quality", "r:spam"), REJECTED, "spam"),  # reasons may differ
        (("r:off_topic", "r:spam", "a", "r:unsafe"), REJECTED, "off_topic"),  # a tie: first given
        (("a", "a", "r", "r"), PENDING, None),
        (("a", "a", "r", "r", "a?"), DISPUTED, None),  # 2-2-1: the unsure one decides nothing
        (("a?", "a?", "a?"), PENDING, None),
        (("R:spam",), REJECTED, "spam"),  # a moderator is binding at once
        (("a", "a", "r", "r", "a?", "R:unsafe"), REJECTED, "unsafe"),
    ],
)
def test_consensus(codes, status, reason):
    outcome = tally(verdicts(*codes), RULES)
    assert (outcome.status, outcome.reason) == (status, reason)

"""Statistical tests for rigged voting, run on the vote log after the fact (never inside a
vote's transaction), and the weighting policy that turns their flags into board weights.

    flags = detect(ballots, strengths)      # strengths: the published BT board (Elo scale)
    board_weights = weights(flags)          # voter -> 0.0 or 0.5; everyone else counts 1.0

Four tests, each reporting evidence a moderator can read:

- affinity: a voter wins a model far more points than the board predicts for the battles the
  voter saw (one-sided binomial per voter × model, Benjamini–Hochberg over all cells);
- selective: a voter's skip rate depends on whether a model is shown (Fisher's exact test per
  voter × model, Benjamini–Hochberg);
- burst: more votes within a sliding window than a person reading two answers can cast;
- bloc: voters who agree on the same model pairs far beyond what the board predicts
  (see arena.integrity.blocs).
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, fisher_exact

from arena.integrity.blocs import bloc_flags
from arena.integrity.records import (
    DEFAULTS,
    Ballot,
    Flag,
    Settings,
    ballot_order,
    board_odds,
    fit_board,
    q_values,
    sorted_flags,
)

# Tests whose flag is evidence that the voter steered the board: by choices (affinity, bloc) or
# by censoring (selective: skipping a model's battles it would lose moves it as surely as a vote
# for it; the rigging simulation measured +25 Elo from 20 such accounts kept at half weight).
# A burst only shows unusual speed around the choices.
EXCLUDING_TESTS = frozenset({"affinity", "bloc", "selective"})
DOWN_WEIGHT = 0.5


def detect(
    ballots: Sequence[Ballot],
    strengths: Mapping[str, float] | None = None,
    settings: Settings = DEFAULTS,
) -> list[Flag]:
    """Every test's flags, in a stable order (test, voter, subject).

    `strengths` is the published board; without it the board is fitted on `ballots`. Either
    way it is then refitted without every flagged voter and the tests on choices rerun, until
    the flagged voters repeat (at most `settings.board_fits` fits): the final flags are judged
    against a board the flagged voters did not shape. Left out entirely, not at their board
    weight: a large bloc flagged only for skipping would otherwise still drag the board it is
    judged against towards its favourite. The log may come in any order: it is sorted first,
    so that sums, and so p-values, are the same to the bit.
    """
    ballots = sorted(ballots, key=ballot_order)
    behaviour = selective_flags(ballots, settings) + burst_flags(ballots, settings)
    board = dict(strengths) if strengths is not None else fit_board(ballots, {})
    flags = behaviour + choice_flags(ballots, board, settings)
    for _ in range(settings.board_fits - 1):
        board = fit_board(ballots, _left_out(flags))
        refitted = behaviour + choice_flags(ballots, board, settings)
        settled = _left_out(refitted) == _left_out(flags)
        flags = refitted
        if settled:
            break
    return sorted_flags(flags)


def _left_out(flags: Iterable[Flag]) -> dict[Hashable, float]:
    """The voters the judging board leaves out: everyone flagged, by any test."""
    return {flag.voter_id: 0.0 for flag in flags}


def choice_flags(
    ballots: Sequence[Ballot], strengths: Mapping[str, float], settings: Settings = DEFAULTS
) -> list[Flag]:
    """The tests that judge choices against this board: affinity and bloc."""
    return affinity_flags(ballots, strengths, settings) + bloc_flags(ballots, strengths, settings)


def weights(flags: Iterable[Flag], cleared: Iterable[Hashable] = ()) -> dict[Hashable, float]:
    """Each flagged voter's weight on the published boards; voters not listed count 1.0.

    Excluded (0.0): an affinity, bloc or selective flag. Down-weighted (0.5): a burst flag
    alone. Voters in `cleared` (an upheld appeal) are
    left out. A pure function of its arguments, so a rebuild reproduces the decision.
    """
    tests_by_voter: dict[Hashable, set[str]] = defaultdict(set)
    for flag in flags:
        tests_by_voter[flag.voter_id].add(flag.test)
    cleared = set(cleared)
    return {
        voter: 0.0 if tests & EXCLUDING_TESTS else DOWN_WEIGHT
        for voter, tests in tests_by_voter.items()
        if voter not in cleared
    }


# -- affinity ------------------------------------------------------------------------------------


@dataclass
class AffinityCell:
    votes: int = 0
    points: float = 0.0  # ties as half
    expected: float = 0.0  # the board's win probability summed over these battles


def affinity_flags(
    ballots: Sequence[Ballot], strengths: Mapping[str, float], settings: Settings = DEFAULTS
) -> list[Flag]:
    """Voter × model cells where the model won far more than the board predicts."""
    cells = _affinity_cells(ballots, strengths)
    tested = [
        (key, cell)
        for key, cell in sorted(cells.items(), key=_cell_order)
        if cell.votes >= settings.min_votes
    ]
    p_values = _affinity_p_values([cell for _, cell in tested])
    flags = []
    for (key, cell), p, q in zip(tested, p_values, q_values(p_values), strict=True):
        excess = (cell.points - cell.expected) / cell.votes
        if q < settings.alpha and excess >= settings.min_excess:
            flags.append(_affinity_flag(*key, cell, float(p), float(q)))
    return flags


def _affinity_cells(ballots, strengths) -> dict[tuple, AffinityCell]:
    chance = board_odds(strengths)
    cells: dict[tuple, AffinityCell] = defaultdict(AffinityCell)
    for ballot in ballots:
        if not ballot.voted:
            continue
        for model in (ballot.model_a, ballot.model_b):
            cell = cells[ballot.voter_id, model]
            cell.votes += 1
            cell.points += ballot.score_for(model)
            cell.expected += chance(model, ballot.opponent_of(model))
    return cells


def _cell_order(item):
    (voter, model), _ = item
    return str(voter), model


def _affinity_p_values(cells: list[AffinityCell]) -> np.ndarray:
    """P(at least these points) for a binomial with the board's mean win probability.

    Ties round down, in the voter's favour. The binomial with the mean probability has
    heavier tails than the exact sum of unequal Bernoullis (Hoeffding, 1956), and ties have
    less spread than wins and losses, so the test errs towards not flagging.
    """
    votes = np.array([cell.votes for cell in cells], dtype=float)
    wins = np.floor([cell.points for cell in cells])
    chance = np.array([cell.expected for cell in cells]) / np.maximum(votes, 1)
    return np.asarray(binom.sf(wins - 1, votes, chance), dtype=float)


def _affinity_flag(voter, model, cell: AffinityCell, p: float, q: float) -> Flag:
    return Flag(
        voter_id=voter,
        test="affinity",
        subject=model,
        p_value=p,
        q_value=float(q),
        evidence={
            "model": model,
            "votes_showing_model": cell.votes,
            "points_for_model": cell.points,
            "points_expected": round(cell.expected, 2),
            "share_for_model": round(cell.points / cell.votes, 3),
            "share_expected": round(cell.expected / cell.votes, 3),
        },
    )


# -- selective voting ----------------------------------------------------------------------------


def selective_flags(ballots: Sequence[Ballot], settings: Settings = DEFAULTS) -> list[Flag]:
    """Voter × model cells where skipping depends on whether the model is on screen."""
    tables = _skip_tables(ballots, settings)
    p_values = [fisher_exact(table).pvalue for _, table in tables]
    flags = []
    for ((voter, model), table), p, q in zip(tables, p_values, q_values(p_values), strict=True):
        rate_shown, rate_absent = _skip_rates(table)
        if q < settings.alpha and abs(rate_shown - rate_absent) >= settings.min_skip_gap:
            flags.append(_selective_flag(voter, model, table, float(p), float(q)))
    return flags


def _skip_tables(ballots, settings) -> list[tuple[tuple, list[list[int]]]]:
    """Per voter × model: [[skipped, voted] when shown, [skipped, voted] when not shown].

    A voter who never skipped, or skipped everything, has nothing to compare: Fisher's test
    conditions on the margins and would give p = 1, so those cells are left out of the family.
    """
    by_voter: dict[Hashable, list[Ballot]] = defaultdict(list)
    for ballot in ballots:
        by_voter[ballot.voter_id].append(ballot)
    tables = []
    for voter in sorted(by_voter, key=str):
        served = by_voter[voter]
        skips = sum(not b.voted for b in served)
        if skips in (0, len(served)):
            continue
        for model in sorted({m for b in served for m in (b.model_a, b.model_b)}):
            table = _skip_table(served, model, skips)
            shown, absent = sum(table[0]), sum(table[1])
            if min(shown, absent) >= settings.min_votes:
                tables.append(((voter, model), table))
    return tables


def _skip_table(served: list[Ballot], model: str, skips: int) -> list[list[int]]:
    shown = [b for b in served if b.shows(model)]
    skipped_shown = sum(not b.voted for b in shown)
    skipped_absent = skips - skipped_shown
    absent = len(served) - len(shown)
    return [
        [skipped_shown, len(shown) - skipped_shown],
        [skipped_absent, absent - skipped_absent],
    ]


def _skip_rates(table) -> tuple[float, float]:
    (skipped_shown, voted_shown), (skipped_absent, voted_absent) = table
    return (
        skipped_shown / (skipped_shown + voted_shown),
        skipped_absent / (skipped_absent + voted_absent),
    )


def _selective_flag(voter, model, table, p: float, q: float) -> Flag:
    rate_shown, rate_absent = _skip_rates(table)
    return Flag(
        voter_id=voter,
        test="selective",
        subject=model,
        p_value=p,
        q_value=q,
        evidence={
            "model": model,
            "battles_showing_model": sum(table[0]),
            "skipped_when_shown": table[0][0],
            "battles_without_model": sum(table[1]),
            "skipped_when_absent": table[1][0],
            "skip_rate_when_shown": round(rate_shown, 3),
            "skip_rate_when_absent": round(rate_absent, 3),
            "pattern": "skips when shown" if rate_shown > rate_absent else "skips when absent",
        },
    )


# -- bursts --------------------------------------------------------------------------------------


def burst_flags(ballots: Sequence[Ballot], settings: Settings = DEFAULTS) -> list[Flag]:
    """Voters who cast more than `burst_max_votes` votes within `burst_window_seconds`.

    A threshold, not a test: reading two answers takes a person tens of seconds, so the
    default (more than 15 votes in 5 minutes, a vote every 20 s sustained) is a rate honest
    voters do not reach. Skips are not counted: the server records them at expiry.
    """
    times_by_voter: dict[Hashable, list[float]] = defaultdict(list)
    for ballot in ballots:
        if ballot.voted:
            times_by_voter[ballot.voter_id].append(ballot.seconds)
    flags = []
    for voter in sorted(times_by_voter, key=str):
        count, start, end = busiest_window(times_by_voter[voter], settings.burst_window_seconds)
        if count > settings.burst_max_votes:
            flags.append(_burst_flag(voter, count, start, end, settings))
    return flags


def busiest_window(times: list[float], window: float) -> tuple[int, float, float]:
    """The most votes within any `window` seconds: (count, first vote's time, last's)."""
    times = np.sort(np.asarray(times, dtype=float))
    if times.size == 0:
        return 0, 0.0, 0.0
    ends = np.searchsorted(times, times + window, side="right")
    counts = ends - np.arange(times.size)
    first = int(np.argmax(counts))
    return int(counts[first]), float(times[first]), float(times[ends[first] - 1])


def _burst_flag(voter, count: int, start: float, end: float, settings: Settings) -> Flag:
    return Flag(
        voter_id=voter,
        test="burst",
        subject=f"{start:.0f}-{end:.0f}",
        p_value=None,
        q_value=None,
        evidence={
            "votes_in_window": count,
            "window_seconds": settings.burst_window_seconds,
            "limit": settings.burst_max_votes,
            "first_vote_at": start,
            "last_vote_at": end,
            "mean_seconds_between_votes": round((end - start) / max(count - 1, 1), 1),
        },
    )

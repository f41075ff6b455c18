"""Blocs: voters whose choices on the same model pairs agree far beyond what the board predicts.

Two voters' decisive votes on a model pair are matched in the order they were cast (first
with first, second with second), so each match is an independent chance to agree. Under the
board, two independent voters agree on a pair with probability q² + (1 − q)², where q is the
chance of picking the first model given that the vote is not a tie. Each pair of voters gets a
one-sided binomial test of its agreements.

The error is controlled per voter, not per pair: a bloc of 50 makes 1,225 true pairs, and a
false-discovery rate over pairs would then let through dozens of chance pairs of honest voters.
So each voter's pairs are combined into one p-value (Simes: the smallest Benjamini–Hochberg
adjusted value among them), Benjamini–Hochberg runs over voters, and a bloc is a connected
component of significant pairs (BH over pairs) whose two ends are both significant voters.
"""

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from arena.integrity.records import (
    DEFAULTS,
    Ballot,
    Flag,
    Settings,
    board_odds,
    q_values,
    tie_rate,
)


@dataclass(frozen=True)
class Agreement:
    """Matched votes between every two voters: counts, agreements, and the board's expectation."""

    voters: list[Hashable]
    matched: np.ndarray  # (V, V)
    agreed: np.ndarray  # (V, V)
    expected: np.ndarray  # (V, V)


def bloc_flags(
    ballots: Sequence[Ballot], strengths: Mapping[str, float], settings: Settings = DEFAULTS
) -> list[Flag]:
    """A flag for each member of each bloc, with the member's strongest link as evidence."""
    agreement = agreement_between_voters(ballots, strengths, settings)
    first, second, p_values = _tested_pairs(agreement, settings)
    voter_p, voter_q = _per_voter(first, second, p_values, len(agreement.voters))
    suspect = voter_q < settings.alpha
    linked = (
        (q_values(p_values) < settings.alpha)
        & (_excess(agreement, first, second) >= settings.bloc_min_excess)
        & suspect[first]
        & suspect[second]
    )
    links = list(zip(first[linked], second[linked], p_values[linked], strict=True))
    flags = []
    for number, members in enumerate(_components(links, len(agreement.voters)), start=1):
        flags += _member_flags(agreement, members, links, f"bloc {number}", (voter_p, voter_q))
    return flags


def _per_voter(first, second, p_values, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each voter's Simes p-value over its tested pairs, and BH q-values over voters (1.0
    for voters with no tested pair)."""
    own: list[list[float]] = [[] for _ in range(size)]
    for i, j, p in zip(first, second, p_values, strict=True):
        own[i].append(p)
        own[j].append(p)
    voter_p = np.array([q_values(ps).min() if ps else 1.0 for ps in own])
    tested = np.flatnonzero([bool(ps) for ps in own])
    voter_q = np.ones(size)
    voter_q[tested] = q_values(voter_p[tested])
    return voter_p, voter_q


def agreement_between_voters(
    ballots: Sequence[Ballot], strengths: Mapping[str, float], settings: Settings = DEFAULTS
) -> Agreement:
    """Dense voter × voter matrices: fine for a few thousand active voters per run; beyond
    that, run per community or per period."""
    verdicts = _verdicts_by_pair(ballots, settings)
    voters = sorted({voter for per_pair in verdicts.values() for voter in per_pair}, key=str)
    index = {voter: i for i, voter in enumerate(voters)}
    size = len(voters)
    matched, agreed, expected = (np.zeros((size, size)) for _ in range(3))
    ties, chance = tie_rate(ballots), board_odds(strengths)
    for pair, per_voter in sorted(verdicts.items()):
        picks = _pick_matrix(per_voter)  # rows: voters of this pair; +1 / -1 / 0
        rows = [index[voter] for voter in per_voter]
        first, second = picks > 0, picks < 0
        present = (first | second).astype(float)
        both = present @ present.T
        same = first.astype(float) @ first.T + second.astype(float) @ second.T
        grid = np.ix_(rows, rows)
        matched[grid] += both
        agreed[grid] += same
        expected[grid] += both * _chance_of_agreeing(chance(*pair), ties)
    return Agreement(voters, matched, agreed, expected)


def _verdicts_by_pair(ballots, settings) -> dict[tuple[str, str], dict[Hashable, list[int]]]:
    """Per model pair, per voter: decisive votes in order, +1 for the pair's first model.

    Voters with fewer decisive votes than a test needs are left out: they could never be
    tested, and leaving them out keeps the voter × voter matrices small.
    """
    decisive = [b for b in ballots if b.winner is not None]
    counts: dict[Hashable, int] = defaultdict(int)
    for ballot in decisive:
        counts[ballot.voter_id] += 1
    verdicts: dict = defaultdict(lambda: defaultdict(list))
    for ballot in sorted(decisive, key=lambda b: b.seconds):
        if counts[ballot.voter_id] >= settings.bloc_min_shared:
            pair = ballot.pair
            verdicts[pair][ballot.voter_id].append(1 if ballot.winner == pair[0] else -1)
    return verdicts


def _pick_matrix(per_voter: dict) -> np.ndarray:
    longest = max(len(picks) for picks in per_voter.values())
    matrix = np.zeros((len(per_voter), longest))
    for row, picks in enumerate(per_voter.values()):
        matrix[row, : len(picks)] = picks
    return matrix


def _chance_of_agreeing(p: float, ties: float) -> float:
    """q² + (1 − q)², q = P(first model | decisive) when ties take half from each side and
    the first model wins with probability p (ties as half)."""
    q = float(np.clip((p - ties / 2) / (1 - ties), 0.0, 1.0)) if ties < 1 else 0.5
    return q * q + (1 - q) * (1 - q)


def _tested_pairs(agreement: Agreement, settings: Settings):
    first, second = np.triu_indices(len(agreement.voters), k=1)
    matched = agreement.matched[first, second]
    keep = matched >= settings.bloc_min_shared
    first, second, matched = first[keep], second[keep], matched[keep]
    chance = agreement.expected[first, second] / matched
    agreed = agreement.agreed[first, second]
    p_values = binom.sf(agreed - 1, matched, chance)
    return first, second, np.asarray(p_values, dtype=float)


def _excess(agreement: Agreement, first, second) -> np.ndarray:
    matched = agreement.matched[first, second]
    return (agreement.agreed[first, second] - agreement.expected[first, second]) / matched


def _components(links, size: int) -> list[list[int]]:
    """Connected components of two or more voters, by union-find; ordered by first member."""
    parent = list(range(size))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, _ in links:
        parent[root(int(i))] = root(int(j))
    groups: dict[int, list[int]] = defaultdict(list)
    for i in sorted({int(i) for link in links for i in link[:2]}):
        groups[root(i)].append(i)
    return sorted(groups.values())


def _member_flags(agreement: Agreement, members, links, label: str, significance) -> list[Flag]:
    voters, (voter_p, voter_q) = agreement.voters, significance
    names = [voters[i] for i in members]
    flags = []
    for member in members:
        own = [link for link in links if member in (int(link[0]), int(link[1]))]
        i, j, _ = min(own, key=lambda link: (link[2], int(link[0]), int(link[1])))
        partner = int(j) if int(i) == member else int(i)
        flags.append(
            Flag(
                voter_id=voters[member],
                test="bloc",
                subject=label,
                p_value=float(voter_p[member]),
                q_value=float(voter_q[member]),
                evidence={
                    "bloc_size": len(members),
                    "bloc_members": names,
                    "links_in_bloc": len(own),
                    "strongest_partner": voters[partner],
                    "matched_votes": int(agreement.matched[member, partner]),
                    "agreed": int(agreement.agreed[member, partner]),
                    "agreed_expected": round(float(agreement.expected[member, partner]), 2),
                },
            )
        )
    return flags

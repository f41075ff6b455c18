"""The share cap of published boards: no account weighs more than a set share of a model's votes.

A bloc or one tireless account voting for one model is the cheapest way to steer a board.
Past `share` of a model's counted votes (once the model has `min_model_votes`), an account's
votes involving that model are scaled down to the cap; the vote log is untouched, and the
board is computed again from it, so the cap reproduces exactly.
"""

from collections import defaultdict
from datetime import datetime

import numpy as np
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from arena.models import Vote, VoterWeight
from arena.voting import tallies
from arena.voting.selection import LIVE_ORIGIN, BoardKey, vote_filter


def voter_cells(
    session: Session, key: BoardKey, until: datetime | None = None
) -> list[tuple[int, int, int, str, float]]:
    """(voter, model a, model b, choice, count) of the board's live votes up to `until`.

    On the published board (trust "counted") each vote counts with its voter's integrity
    weight, because those weights were already taken off the board's rows: the caps then
    apply to what the weights left, and no vote is taken off twice. Other boards keep every
    vote at full weight in their rows, so here too."""
    weighted = key.trust == "counted"
    count = func.sum(func.coalesce(VoterWeight.weight, 1.0)) if weighted else func.count()
    query = select(Vote.voter_id, Vote.model_a_id, Vote.model_b_id, Vote.choice, count)
    if weighted:
        query = query.outerjoin(
            VoterWeight,
            and_(
                VoterWeight.voter_id == Vote.voter_id,
                VoterWeight.community_id == Vote.community_id,
            ),
        )
    query = vote_filter(
        query.where(Vote.origin == LIVE_ORIGIN).group_by(
            Vote.voter_id, Vote.model_a_id, Vote.model_b_id, Vote.choice
        ),
        session,
        key,
    )
    if until is not None:
        query = query.where(Vote.created_at <= until)
    return [(*row[:4], float(row[4])) for row in session.execute(query) if row[4] > 0]


def excess(
    cells: list[tuple[int, int, int, str, int]],
    model_totals: dict[int, float],
    share: float,
    min_model_votes: int,
) -> dict[tuple[int, int], np.ndarray]:
    """What to take off each pair (lower model id first): [low wins, high wins, ties]."""
    factors = share_factors(cells, model_totals, share, min_model_votes)
    removed: dict[tuple[int, int], np.ndarray] = {}
    for voter, model_a, model_b, choice, count in cells:
        weight = cell_weight(factors, voter, model_a, model_b)
        if weight >= 1.0:
            continue
        low, high, cell = tallies.cell_of(model_a, model_b, choice)
        removed.setdefault((low, high), np.zeros(3))[cell] += (1.0 - weight) * count
    return removed


def share_factors(cells, model_totals: dict[int, float], share: float, min_model_votes: int):
    """{(voter, model): the share of that voter's votes on the model left by the cap} for the
    voters past the cap."""
    per_voter_model: dict[tuple[int, int], int] = defaultdict(int)
    for voter, model_a, model_b, _, count in cells:
        per_voter_model[voter, model_a] += count
        per_voter_model[voter, model_b] += count
    factor = {}
    for (voter, model), count in per_voter_model.items():
        total = model_totals.get(model, 0)
        if total >= min_model_votes and count > share * total:
            factor[voter, model] = share * total / count
    return factor


def cell_weight(factors: dict, voter: int, model_a: int, model_b: int) -> float:
    return min(factors.get((voter, model_a), 1.0), factors.get((voter, model_b), 1.0))


def model_totals(rows: list[tuple]) -> dict[int, float]:
    totals: dict[int, float] = defaultdict(float)
    for low, high, *cells in rows:
        totals[low] += sum(cells)
        totals[high] += sum(cells)
    return totals


def capped_rows(
    session: Session,
    key: BoardKey,
    rows: list[tuple],
    share: float,
    min_votes: int,
    until: datetime | None = None,
):
    """The tally rows (low, high, low wins, high wins, ties) of the votes up to `until`, with
    every account held to the cap."""
    if share >= 1.0:
        return rows
    cells = voter_cells(session, key, until)
    return tallies.less(rows, excess(cells, model_totals(rows), share, min_votes))

"""Wins and ties per model pair, kept up to date with every vote: what Bradley–Terry reads.

A board's fit needs only these counts, so keeping them beside the votes lets a board over
millions of votes be fitted from a few thousand rows. Derived data like the ratings: every
live vote adds to its pair's row in its own transaction, and `rebuild` recounts them from the
vote log (bulk imports and `rebuild-ratings` call it).
"""

import numpy as np
from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import Session

from arena.core.db import insert_on_conflict
from arena.models import PairTally, Vote
from arena.voting.selection import LIVE_ORIGIN

_COUNTS = ("low_wins", "high_wins", "ties")
PROVENANCE = ("exposure", "attribution", "trust")
IMPORTED_TRUST = "imported"  # the tally's trust for votes without a voter
_ADD = insert_on_conflict(
    PairTally.__table__,
    ("community_id", "live", *PROVENANCE, "model_low_id", "model_high_id", *_COUNTS),
    "(community_id, live, exposure, attribution, trust, model_low_id, model_high_id) "
    "DO UPDATE SET "
    + ", ".join(f"{name} = pair_tallies.{name} + excluded.{name}" for name in _COUNTS),
)


def record(session: Session, vote) -> None:
    """Count one live vote (a Vote or anything with its fields)."""
    low, high = sorted((vote.model_a_id, vote.model_b_id))
    winner = {"a": vote.model_a_id, "b": vote.model_b_id}.get(vote.choice)
    session.execute(
        _ADD,
        {
            "community_id": vote.community_id,
            "live": vote.origin == LIVE_ORIGIN,
            "exposure": vote.exposure,
            "attribution": vote.attribution,
            "trust": vote.voter_trust or IMPORTED_TRUST,
            "model_low_id": low,
            "model_high_id": high,
            "low_wins": int(winner == low),
            "high_wins": int(winner == high),
            "ties": int(winner is None),
        },
    )


def rebuild(session: Session) -> int:
    """Recount every pair from the votes; returns the number of rows."""
    a_first = Vote.model_a_id < Vote.model_b_id
    low = case((a_first, Vote.model_a_id), else_=Vote.model_b_id)
    high = case((a_first, Vote.model_b_id), else_=Vote.model_a_id)
    winner = case((Vote.choice == "a", Vote.model_a_id), (Vote.choice == "b", Vote.model_b_id))
    live = case((Vote.origin == LIVE_ORIGIN, True), else_=False)
    trust = func.coalesce(Vote.voter_trust, IMPORTED_TRUST)
    grouped = select(
        Vote.community_id,
        live,
        Vote.exposure,
        Vote.attribution,
        trust,
        low,
        high,
        func.sum(case((winner == low, 1), else_=0)),
        func.sum(case((winner == high, 1), else_=0)),
        func.sum(case((winner.is_(None), 1), else_=0)),
    ).group_by(Vote.community_id, live, Vote.exposure, Vote.attribution, trust, low, high)
    session.execute(delete(PairTally))
    columns = ["community_id", "live", *PROVENANCE, "model_low_id", "model_high_id", *_COUNTS]
    rows = [dict(zip(columns, row, strict=True)) for row in session.execute(grouped)]
    if rows:
        session.execute(insert(PairTally), rows)
    return len(rows)


def cell_of(model_a: int, model_b: int, choice: str) -> tuple[int, int, int]:
    """(lower model id, higher model id, column) of a vote in a tally row: 0 low wins,
    1 high wins, 2 a tie or both bad."""
    low, high = sorted((model_a, model_b))
    winner = {"a": model_a, "b": model_b}.get(choice)
    return low, high, 2 if winner is None else (0 if winner == low else 1)


def less(rows: list[tuple], removed: dict) -> list[tuple]:
    """Tally rows (low, high, low wins, high wins, ties) minus `removed[(low, high)]`."""
    if not removed:
        return rows
    return [
        (low, high, *(np.asarray(cells, dtype=float) - removed.get((low, high), 0.0)))
        for low, high, *cells in rows
    ]


def more(rows: list[tuple], added: dict) -> list[tuple]:
    """Tally rows plus `added[(low, high)]` (pairs not in the rows become rows)."""
    if not added:
        return rows
    merged = {(low, high): list(cells) for low, high, *cells in rows}
    for pair, cells in added.items():
        merged[pair] = [a + b for a, b in zip(merged.get(pair, [0, 0, 0]), cells, strict=True)]
    return [(low, high, *cells) for (low, high), cells in sorted(merged.items())]

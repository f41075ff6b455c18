"""Voters the integrity scan flagged weigh less in published boards (integrity/scan.py).

Their votes stay in the log and in the tallies; when a board is fitted, (1 - weight) of each
such voter's votes in the community where they were flagged is taken off the pair counts.
"""

from datetime import datetime

import numpy as np
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from arena.models import Vote, VoterWeight
from arena.voting import tallies
from arena.voting.selection import BoardKey, vote_filter


def discounted_rows(
    session: Session, key: BoardKey, rows: list[tuple], until: datetime | None = None
) -> list[tuple]:
    """The tally rows (low, high, low wins, high wins, ties) of the votes up to `until`, less
    the flagged voters' share of those votes."""
    query = vote_filter(
        select(Vote.model_a_id, Vote.model_b_id, Vote.choice, VoterWeight.weight, func.count())
        .join(
            VoterWeight,
            and_(
                VoterWeight.voter_id == Vote.voter_id,
                VoterWeight.community_id == Vote.community_id,
            ),
        )
        .where(VoterWeight.weight < 1.0)
        .group_by(Vote.model_a_id, Vote.model_b_id, Vote.choice, VoterWeight.weight),
        session,
        key,
    )
    if until is not None:
        query = query.where(Vote.created_at <= until)
    removed: dict[tuple[int, int], np.ndarray] = {}
    for model_a, model_b, choice, weight, count in session.execute(query):
        low, high, cell = tallies.cell_of(model_a, model_b, choice)
        removed.setdefault((low, high), np.zeros(3))[cell] += (1.0 - weight) * count
    return tallies.less(rows, removed)

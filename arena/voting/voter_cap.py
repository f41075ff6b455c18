"""The voter cap of a board (`?voter_cap=on`): each voter's votes on the board together weigh
at most as much as K votes, so a few tireless voters cannot outvote a crowd.

K is a fixed number per community (seeds/integrity.json, `voter_cap`; 20 unless a community
sets its own) rather than a statistic of the board such as the median voter's count: a fixed
K means the same for every board and every day, and cannot be pushed down by opening many
one-vote accounts. A voter past K has every vote on the board scaled by K / their weight.

It sits on top of the integrity weights and the share cap: a voter's weight is what those
left (integrity weight x share-cap factor per vote), and the voter cap scales that remainder,
so no vote is taken off twice. Live votes only, like the share cap: imported votes carry
judge pseudonyms, not accounts. The vote log is untouched; the board is fitted again from it.
"""

import json
import os
from collections import defaultdict
from datetime import datetime
from functools import cache
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from arena.voting import share_cap, tallies, trust
from arena.voting.selection import BoardKey

DEFAULT_VOTES = 20


def limit_for(community: str | None, path: str | Path | None = None) -> float:
    """K of this community's boards (the overall board: the default)."""
    path = path or os.environ.get("ARENA_INTEGRITY_FILE") or trust.DEFAULT_FILE
    settings = _settings(str(path))
    return float(settings.get("communities", {}).get(community or "", settings["votes"]))


@cache
def _settings(path: str) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data.get("voter_cap", {"votes": DEFAULT_VOTES})


def weights(cells, limit: float, factors: dict | None = None) -> dict[int, float]:
    """{voter: the factor on each of their votes} for the voters past `limit`; `cells` are
    (voter, model a, model b, choice, weighted count), `factors` the share cap's."""
    factors = factors or {}
    kept: dict[int, float] = defaultdict(float)
    for voter, model_a, model_b, _, count in cells:
        kept[voter] += count * share_cap.cell_weight(factors, voter, model_a, model_b)
    return {voter: limit / total for voter, total in kept.items() if total > limit}


def capped_rows(
    session: Session,
    key: BoardKey,
    rows: list[tuple],
    share: float,
    min_votes: int,
    until: datetime | None = None,
) -> list[tuple]:
    """The tally rows of the votes up to `until` with the share cap (when `share` < 1) and the
    voter cap applied at once."""
    cells = share_cap.voter_cells(session, key, until)
    factors = {}
    if share < 1.0:
        factors = share_cap.share_factors(cells, share_cap.model_totals(rows), share, min_votes)
    capped = weights(cells, limit_for(key.community), factors)
    removed: dict[tuple[int, int], np.ndarray] = {}
    for voter, model_a, model_b, choice, count in cells:
        kept = share_cap.cell_weight(factors, voter, model_a, model_b) * capped.get(voter, 1.0)
        if kept < 1.0:
            low, high, cell = tallies.cell_of(model_a, model_b, choice)
            removed.setdefault((low, high), np.zeros(3))[cell] += (1.0 - kept) * count
    return tallies.less(rows, removed)

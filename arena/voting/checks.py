"""Known-answer checks: pairs whose outcome is not in doubt, served blind like any other.

A check is a prompt and model pair whose imported human votes (at least `check_min_votes`)
all chose the same winner. A voter cannot tell a check from a regular battle; picking the
other side, a tie or "both bad" fails it. Results feed the voter's standing (trust.py).
"""

import random
import time
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from arena.models import Battle, Prompt, Response, Vote
from arena.voting.selection import LIVE_ORIGIN

REFRESH_SECONDS = 600.0  # imports are rare: the candidates are recounted this often


@dataclass(frozen=True)
class Check:
    prompt_id: int
    winner_response_id: int
    loser_response_id: int
    model_ids: tuple[int, int]


_low = case((Vote.model_a_id < Vote.model_b_id, Vote.model_a_id), else_=Vote.model_b_id)
_high = case((Vote.model_a_id < Vote.model_b_id, Vote.model_b_id), else_=Vote.model_a_id)
_winner = case((Vote.choice == "a", Vote.model_a_id), (Vote.choice == "b", Vote.model_b_id))
_UNANIMOUS = (
    select(Vote.prompt_id, _low, _high, func.min(_winner))
    .join(Prompt, Prompt.id == Vote.prompt_id)
    .where(
        Vote.origin != LIVE_ORIGIN,
        Prompt.community_id == bindparam("community_id"),
        Prompt.is_active.is_(True),
    )
    .group_by(Vote.prompt_id, _low, _high)
    .having(
        and_(
            func.count() >= bindparam("min_votes"),
            func.count(_winner) == func.count(),  # no tie and no "both bad"
            func.min(_winner) == func.max(_winner),
        )
    )
)
_ANSWERS = select(Response.prompt_id, Response.model_id, Response.id).where(
    Response.prompt_id.in_(bindparam("prompt_ids", expanding=True))
)
_SERVED_PROMPTS = select(Battle.prompt_id).where(
    Battle.voter_id == bindparam("voter_id"),
    Battle.prompt_id.in_(bindparam("prompt_ids", expanding=True)),
)

_cache: dict[tuple[str, int, int], tuple[float, list[Check]]] = {}


def candidates(session: Session, community_id: int, min_votes: int) -> list[Check]:
    """The community's check pairs, recounted at most every REFRESH_SECONDS per process."""
    key = (str(session.get_bind().url), community_id, min_votes)
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < REFRESH_SECONDS:
        return cached[1]
    checks = _count_candidates(session, community_id, min_votes)
    _cache[key] = (time.monotonic(), checks)
    return checks


def _count_candidates(session: Session, community_id: int, min_votes: int) -> list[Check]:
    pairs = session.execute(
        _UNANIMOUS, {"community_id": community_id, "min_votes": min_votes}
    ).all()
    if not pairs:
        return []
    answers = {
        (prompt_id, model_id): response_id
        for prompt_id, model_id, response_id in session.execute(
            _ANSWERS, {"prompt_ids": sorted({row[0] for row in pairs})}
        )
    }
    checks = []
    for prompt_id, low, high, winner in pairs:
        loser = high if winner == low else low
        if (prompt_id, winner) in answers and (prompt_id, loser) in answers:
            checks.append(
                Check(prompt_id, answers[prompt_id, winner], answers[prompt_id, loser], (low, high))
            )
    return checks


def choose_check(
    session: Session, community_id: int, voter_id: int, min_votes: int
) -> Check | None:
    """A random check on a prompt this voter has never been served, if any is left."""
    pool = candidates(session, community_id, min_votes)
    if not pool:
        return None
    sample = random.SystemRandom().sample(pool, min(len(pool), 32))
    served = set(
        session.scalars(
            _SERVED_PROMPTS,
            {"voter_id": voter_id, "prompt_ids": sorted({c.prompt_id for c in sample})},
        )
    )
    fresh = [check for check in sample if check.prompt_id not in served]
    return fresh[0] if fresh else None


def clear_cache() -> None:
    _cache.clear()

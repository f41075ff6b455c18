"""TrueSkill settings per scope, chosen for this arena rather than the package's defaults.

Models are fixed configurations whose strength does not drift, so tau (the uncertainty added
back at every update) is 0 and sigma shrinks as votes come in. The draw probability is the share
of ties (tie and both bad) voters actually give in the scope, stored per scope so that live
updates and replays use the same value; `retune` recomputes it from the votes (seeding, bulk
imports and `rebuild-ratings --retune` call it, then replay). BENCHMARKS.md compares these
settings with the defaults against the Bradley–Terry board.
"""

from functools import cache

import trueskill
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from arena.core.sql import insert_ignoring_conflicts
from arena.models import OVERALL, Community, RatingSetting, Vote
from arena.voting.fast_trueskill import OneVersusOne

TAU = 0.0
DEFAULT_DRAW_PROBABILITY = 0.10  # before a scope has any vote
DRAW_BOUNDS = (0.01, 0.90)  # the update is undefined at 0 and 1


@cache
def environment(draw_probability: float) -> trueskill.TrueSkill:
    return trueskill.TrueSkill(tau=TAU, draw_probability=draw_probability)


@cache
def rater(draw_probability: float) -> OneVersusOne:
    return OneVersusOne(environment(draw_probability))


def draw_probabilities(session: Session, scopes) -> dict[str, float]:
    """The stored draw probability of each scope (the default where none is stored yet)."""
    stored = dict(
        session.execute(
            select(RatingSetting.scope, RatingSetting.draw_probability).where(
                RatingSetting.scope.in_(list(scopes))
            )
        ).all()
    )
    return with_defaults(stored, scopes)


def with_defaults(stored: dict[str, float], scopes) -> dict[str, float]:
    """Each scope's stored draw probability, or the default where none is stored yet."""
    return {scope: stored.get(scope, DEFAULT_DRAW_PROBABILITY) for scope in scopes}


def retune(session: Session) -> dict[str, float]:
    """Store each scope's observed tie share as its draw probability; returns them."""
    tied = func.sum(case((Vote.choice.in_(("tie", "both_bad")), 1), else_=0))
    per_community = session.execute(
        select(Community.slug, tied, func.count(Vote.id))
        .join(Vote, Vote.community_id == Community.id)
        .group_by(Community.slug)
    ).all()
    shares = {slug: (ties, total) for slug, ties, total in per_community}
    overall = (sum(t for t, _ in shares.values()), sum(n for _, n in shares.values()))
    shares[OVERALL] = overall
    tuned = {scope: _bounded(ties / total) for scope, (ties, total) in shares.items() if total}
    session.execute(RatingSetting.__table__.delete())
    insert_ignoring_conflicts(
        session,
        RatingSetting,
        [{"scope": scope, "draw_probability": value} for scope, value in sorted(tuned.items())],
        ["scope"],
    )
    return tuned


def _bounded(share: float) -> float:
    low, high = DRAW_BOUNDS
    return round(min(max(share, low), high), 4)

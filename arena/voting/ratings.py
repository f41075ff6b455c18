"""TrueSkill ratings derived from votes: the live update and the replay share one function."""

from collections.abc import Iterable
from dataclasses import dataclass

import trueskill
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from arena.core.db import lock_tables
from arena.core.sql import insert_ignoring_conflicts
from arena.models import OVERALL, Community, Rating, Vote

# Package defaults (mu 25, sigma 25/3, beta 25/6, tau 25/300, draw probability 10 %),
# held in an explicit environment so nothing depends on trueskill's global state.
ENVIRONMENT = trueskill.TrueSkill()
DRAW_CHOICES = ("tie", "both_bad")


@dataclass
class Standing:
    """A rating in memory: the same fields as a Rating row, without a session."""

    mu: float = ENVIRONMENT.mu
    sigma: float = ENVIRONMENT.sigma
    votes: int = 0
    wins: int = 0
    losses: int = 0
    ties: int = 0


def conservative_score(mu: float, sigma: float) -> float:
    return mu - 3 * sigma


def update_standings(a, b, choice: str) -> None:
    """Apply one vote to two standings (Rating rows or Standing objects) in place."""
    if choice not in ("a", "b", *DRAW_CHOICES):
        raise ValueError(f"unknown choice {choice!r}")
    rating_a = ENVIRONMENT.create_rating(a.mu, a.sigma)
    rating_b = ENVIRONMENT.create_rating(b.mu, b.sigma)
    if choice == "b":
        new_b, new_a = trueskill.rate_1vs1(rating_b, rating_a, env=ENVIRONMENT)
    else:
        drawn = choice in DRAW_CHOICES
        new_a, new_b = trueskill.rate_1vs1(rating_a, rating_b, drawn=drawn, env=ENVIRONMENT)
    a.mu, a.sigma, b.mu, b.sigma = new_a.mu, new_a.sigma, new_b.mu, new_b.sigma
    for standing in (a, b):
        standing.votes += 1
    if choice == "a":
        a.wins, b.losses = a.wins + 1, b.losses + 1
    elif choice == "b":
        b.wins, a.losses = b.wins + 1, a.losses + 1
    else:
        a.ties, b.ties = a.ties + 1, b.ties + 1


def scopes_for(community_slug: str) -> tuple[str, str]:
    return (OVERALL, community_slug)


def lock_ratings(session: Session, model_ids: Iterable[int], scopes: Iterable[str]) -> dict:
    """Create missing rows, then lock all of them in ascending id order (PostgreSQL).

    Every vote locks its rows in the same order, so two votes on overlapping models queue
    instead of deadlocking; SQLite is already serialised by BEGIN IMMEDIATE.
    """
    keys = [(model_id, scope) for model_id in model_ids for scope in scopes]
    insert_ignoring_conflicts(
        session,
        Rating,
        [
            {"model_id": m, "scope": s, "mu": ENVIRONMENT.mu, "sigma": ENVIRONMENT.sigma}
            for m, s in keys
        ],
        conflict_columns=["model_id", "scope"],
    )
    rows = session.scalars(
        select(Rating)
        .where(Rating.model_id.in_({m for m, _ in keys}), Rating.scope.in_({s for _, s in keys}))
        .order_by(Rating.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {(row.model_id, row.scope): row for row in rows}


def apply_vote(locked: dict, vote: Vote, community_slug: str) -> None:
    for scope in scopes_for(community_slug):
        update_standings(
            locked[vote.model_a_id, scope], locked[vote.model_b_id, scope], vote.choice
        )


def replay(votes: Iterable[tuple[int, int, str, str]]) -> dict[tuple[int, str], Standing]:
    """Ratings from (model_a_id, model_b_id, choice, community_slug) facts, in vote order."""
    standings: dict[tuple[int, str], Standing] = {}
    for model_a_id, model_b_id, choice, community_slug in votes:
        for scope in scopes_for(community_slug):
            a = standings.setdefault((model_a_id, scope), Standing())
            b = standings.setdefault((model_b_id, scope), Standing())
            update_standings(a, b, choice)
    return standings


def rebuild_ratings(session: Session) -> int:
    """Replace the ratings table by a replay of the whole vote log; returns the vote count."""
    lock_tables(session, "votes", "ratings")
    rows = session.execute(
        select(Vote.model_a_id, Vote.model_b_id, Vote.choice, Community.slug)
        .join(Community, Community.id == Vote.community_id)
        .order_by(Vote.id)
    ).all()
    standings = replay(rows)
    session.execute(delete(Rating))
    session.add_all(
        Rating(model_id=model_id, scope=scope, **vars(standing))
        for (model_id, scope), standing in sorted(standings.items())
    )
    return len(rows)

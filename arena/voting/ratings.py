"""TrueSkill ratings derived from votes: the live update and the replay share one function."""

from collections.abc import Iterable
from dataclasses import dataclass, fields

import trueskill
from sqlalchemy import bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from arena.core.db import insert_on_conflict, lock_tables
from arena.models import OVERALL, Community, Rating, RatingSetting, Vote, VoterWeight
from arena.voting import rating_settings, tallies, trust
from arena.voting.trust import COUNTED

# The starting point of every rating (mu 25, sigma 25/3); tau and the draw probability are
# this arena's own, per scope (rating_settings), and the update is the closed form of
# fast_trueskill, equal to the trueskill package's.
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


def update_standings(a, b, choice: str, draw_probability: float) -> None:
    """Apply one vote to two standings (Rating rows or Standing objects) in place."""
    if choice not in ("a", "b", *DRAW_CHOICES):
        raise ValueError(f"unknown choice {choice!r}")
    rate = rating_settings.rater(draw_probability).rate
    if choice == "b":
        (b.mu, b.sigma), (a.mu, a.sigma) = rate((b.mu, b.sigma), (a.mu, a.sigma))
    else:
        drawn = choice in DRAW_CHOICES
        (a.mu, a.sigma), (b.mu, b.sigma) = rate((a.mu, a.sigma), (b.mu, b.sigma), drawn)
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


@dataclass
class LockedRating(Standing):
    """A rating row read under its lock, to update in memory and write back with `save`."""

    id: int = 0


STANDING_FIELDS = tuple(f.name for f in fields(Standing))
_ratings, _settings = Rating.__table__, RatingSetting.__table__
# Built once, with bound parameters (see voting/battles.py): some models' rows, locked, each
# with its scope's stored draw probability (NULL until the scope is tuned).
_LOCK = (
    select(_ratings.c.id, _ratings.c.model_id, _ratings.c.scope)
    .add_columns(*(_ratings.c[name] for name in STANDING_FIELDS))
    .add_columns(_settings.c.draw_probability)
    .outerjoin(_settings, _settings.c.scope == _ratings.c.scope)
    .where(
        _ratings.c.model_id.in_(bindparam("model_ids", expanding=True)),
        _ratings.c.scope.in_(bindparam("scopes", expanding=True)),
    )
    .order_by(_ratings.c.id)
    .with_for_update(of=_ratings)
)
_CREATE = insert_on_conflict(
    _ratings, ("model_id", "scope", *STANDING_FIELDS), "(model_id, scope) DO NOTHING"
)
_SAVE = (
    update(_ratings)
    .where(_ratings.c.id == bindparam("row_id"))
    .values({name: bindparam(f"new_{name}") for name in STANDING_FIELDS})
)


def lock_ratings(
    session: Session, model_ids: Iterable[int], scopes: Iterable[str]
) -> tuple[dict[tuple[int, str], LockedRating], dict[str, float]]:
    """Create missing rows, then lock all of them in ascending id order (PostgreSQL); returns
    them and each scope's draw probability (as `rating_settings.draw_probabilities`).

    Every vote locks its rows in the same order, so two votes on overlapping models queue
    instead of deadlocking; SQLite is already serialised by BEGIN IMMEDIATE. The rows are
    created before any is locked (in key order): a vote that held a lock while waiting for
    another's new row could close a cycle.
    """
    keys = sorted({(model_id, scope) for model_id in model_ids for scope in scopes})
    session.execute(
        _CREATE,
        [{"model_id": m, "scope": s, **vars(Standing())} for m, s in keys],
    )
    return _locked_ratings(session, set(keys))


def _locked_ratings(session: Session, keys: set[tuple[int, str]]):
    rows = session.execute(
        _LOCK,
        {"model_ids": sorted({m for m, _ in keys}), "scopes": sorted({s for _, s in keys})},
    ).all()
    locked = {
        (row.model_id, row.scope): LockedRating(
            id=row.id, **{name: row._mapping[name] for name in STANDING_FIELDS}
        )
        for row in rows
        if (row.model_id, row.scope) in keys
    }
    stored = {row.scope: row.draw_probability for row in rows if row.draw_probability is not None}
    draws = rating_settings.with_defaults(stored, {scope for _, scope in keys})
    return locked, draws


def apply_vote(locked: dict, vote: Vote, community_slug: str, draws: dict[str, float]) -> None:
    """`draws`: each scope's draw probability (rating_settings.draw_probabilities)."""
    for scope in scopes_for(community_slug):
        a, b = locked[vote.model_a_id, scope], locked[vote.model_b_id, scope]
        update_standings(a, b, vote.choice, draws[scope])


def save(session: Session, locked: dict[tuple[int, str], LockedRating]) -> None:
    """Write locked ratings back, in one statement (an executemany by primary key)."""
    rows = [
        {"row_id": rating.id, **{f"new_{name}": getattr(rating, name) for name in STANDING_FIELDS}}
        for _, rating in sorted(locked.items())
    ]
    session.execute(_SAVE, rows)


def replay(
    votes: Iterable[tuple[int, int, str, str]], draws: dict[str, float]
) -> dict[tuple[int, str], Standing]:
    """Ratings from (model_a_id, model_b_id, choice, community_slug) facts, in vote order."""
    standings: dict[tuple[int, str], Standing] = {}
    for model_a_id, model_b_id, choice, community_slug in votes:
        for scope in scopes_for(community_slug):
            a = standings.setdefault((model_a_id, scope), Standing())
            b = standings.setdefault((model_b_id, scope), Standing())
            update_standings(a, b, choice, draws[scope])
    return standings


# Voters the integrity scan excluded in the vote's community (weight 0) leave the replay too;
# down-weighted ones (0 < weight < 1) cannot be halved in TrueSkill and stay in it.
_EXCLUDED_VOTER = exists().where(
    VoterWeight.voter_id == Vote.voter_id,
    VoterWeight.community_id == Vote.community_id,
    VoterWeight.weight == 0,
)


def rebuild_ratings(session: Session, retune: bool = False) -> int:
    """Replace the ratings (and the pair tallies) by a replay of the vote log; returns the
    number of votes replayed: imported ones and those cast by counted voters (voting/trust.py)
    that the last integrity scan did not exclude.

    `retune` first sets each scope's draw probability to its observed share of ties."""
    lock_tables(session, "votes", "ratings", "rating_settings", "pair_tallies", "voter_standings")
    trust.rebuild_standings(session, trust.default_policy())
    if retune:
        rating_settings.retune(session)
    scopes = [OVERALL, *session.scalars(select(Community.slug))]
    draws = rating_settings.draw_probabilities(session, scopes)
    rows = session.execute(
        select(Vote.model_a_id, Vote.model_b_id, Vote.choice, Community.slug)
        .join(Community, Community.id == Vote.community_id)
        .where(or_(Vote.voter_trust.is_(None), Vote.voter_trust == COUNTED), ~_EXCLUDED_VOTER)
        .order_by(Vote.id)
        .execution_options(yield_per=50_000)
    )
    count = 0

    def counted():
        nonlocal count
        for row in rows:
            count += 1
            yield row

    standings = replay(counted(), draws)
    tallies.rebuild(session)
    session.execute(delete(Rating))
    table = sorted(standings.items())
    for start in range(0, len(table), 5000):
        session.execute(
            insert(Rating),
            [
                {"model_id": model_id, "scope": scope, **vars(standing)}
                for (model_id, scope), standing in table[start : start + 5000]
            ],
        )
    return count

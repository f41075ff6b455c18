"""The points ledger: awards with daily caps, cached totals, and their rebuild from the ledger."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from arena.core.clock import day_start, week_start
from arena.core.db import lock_tables
from arena.core.sql import insert_ignoring_conflicts
from arena.game.rules import BOARDS, Rules
from arena.models import OVERALL, Community, PointEvent, PointTotal


@dataclass(frozen=True)
class PointAward:
    user_id: int
    reason: str
    amount: int
    board: str


def lock_totals(session: Session, user_ids: Iterable[int], scopes: Iterable[str]) -> None:
    """Create and lock the users' total rows (ascending id), serialising their daily caps."""
    keys = [(u, b, s) for u in sorted(set(user_ids)) for b in BOARDS for s in set(scopes)]
    insert_ignoring_conflicts(
        session,
        PointTotal,
        [{"user_id": u, "board": b, "scope": s, "points": 0} for u, b, s in keys],
        conflict_columns=["user_id", "board", "scope"],
    )
    session.execute(
        select(PointTotal.id)
        .where(PointTotal.user_id.in_({u for u, _, _ in keys}))
        .order_by(PointTotal.id)
        .with_for_update()
    ).all()


def _earned_today(session: Session, user_id: int, reason: str, at: datetime) -> int:
    start = day_start(at)
    return session.scalar(
        select(func.coalesce(func.sum(PointEvent.amount), 0)).where(
            PointEvent.user_id == user_id,
            PointEvent.reason == reason,
            PointEvent.created_at >= start,
            PointEvent.created_at < start + timedelta(days=1),
        )
    )


def award(
    session: Session,
    rules: Rules,
    *,
    user_id: int,
    reason: str,
    ref: tuple[str, int],
    at: datetime,
    community: tuple[int, str] | None = None,
) -> PointAward | None:
    """Add a ledger entry once per (user, reason, ref); caller holds lock_totals for the user."""
    rule = rules.points[reason]
    amount = rule.points
    if rule.daily_cap is not None and amount > 0:
        amount = min(amount, rule.daily_cap - _earned_today(session, user_id, reason, at))
        if amount <= 0:
            return None
    community_id, community_slug = community or (None, None)
    inserted = insert_ignoring_conflicts(
        session,
        PointEvent,
        [
            {
                "user_id": user_id,
                "amount": amount,
                "reason": reason,
                "board": rule.board,
                "community_id": community_id,
                "ref_type": ref[0],
                "ref_id": ref[1],
                "created_at": at,
            }
        ],
        conflict_columns=["user_id", "reason", "ref_type", "ref_id"],
    )
    if not inserted:
        return None
    scopes = [OVERALL] + ([community_slug] if community_slug else [])
    session.execute(
        update(PointTotal)
        .where(
            PointTotal.user_id == user_id,
            PointTotal.board == rule.board,
            PointTotal.scope.in_(scopes),
        )
        .values(points=PointTotal.points + amount)
        .execution_options(synchronize_session=False)
    )
    return PointAward(user_id, reason, amount, rule.board)


def total_points(session: Session, user_id: int) -> int:
    """All-time points over every board."""
    return session.scalar(
        select(func.coalesce(func.sum(PointTotal.points), 0)).where(
            PointTotal.user_id == user_id, PointTotal.scope == OVERALL
        )
    )


def points_since(session: Session, user_id: int, since: datetime) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(PointEvent.amount), 0)).where(
            PointEvent.user_id == user_id, PointEvent.created_at >= since
        )
    )


def points_this_week(session: Session, user_id: int, now: datetime) -> int:
    return points_since(session, user_id, week_start(now))


def rebuild_totals(session: Session) -> int:
    """Recompute the cached totals from the ledger; returns how many totals are non-zero."""
    lock_tables(session, "point_events", "point_totals")
    rows = session.execute(
        select(PointEvent.user_id, PointEvent.board, Community.slug, func.sum(PointEvent.amount))
        .outerjoin(Community, Community.id == PointEvent.community_id)
        .group_by(PointEvent.user_id, PointEvent.board, Community.slug)
    ).all()
    totals: dict[tuple[int, str, str], int] = {}
    for user_id, board, slug, amount in rows:
        for scope in [OVERALL] + ([slug] if slug else []):
            key = (user_id, board, scope)
            totals[key] = totals.get(key, 0) + int(amount)
    session.execute(update(PointTotal).values(points=0))
    insert_ignoring_conflicts(
        session,
        PointTotal,
        [{"user_id": u, "board": b, "scope": s, "points": 0} for u, b, s in totals],
        conflict_columns=["user_id", "board", "scope"],
    )
    for (user_id, board, scope), amount in sorted(totals.items()):
        session.execute(
            update(PointTotal)
            .where(
                PointTotal.user_id == user_id, PointTotal.board == board, PointTotal.scope == scope
            )
            .values(points=amount)
        )
    return len(totals)

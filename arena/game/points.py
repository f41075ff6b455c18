"""The points ledger: awards with daily caps, cached totals, and their rebuild from the ledger."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from arena.core.clock import day_start, week_start
from arena.core.db import insert_on_conflict, lock_tables
from arena.core.sql import insert_ignoring_conflicts
from arena.game.rules import BOARDS, Rules
from arena.models import OVERALL, Community, PointEvent, PointTotal


@dataclass(frozen=True)
class PointAward:
    user_id: int
    reason: str
    amount: int
    board: str


class LockedTotals:
    """Some users' total rows, read under their locks: what they hold now, awards included."""

    def __init__(self, points: dict[tuple[int, str, str], int]):
        self._points = points

    def add(self, user_id: int, board: str, scopes: Iterable[str], amount: int) -> None:
        for scope in scopes:
            key = (user_id, board, scope)
            self._points[key] = self._points.get(key, 0) + amount

    def overall(self, user_id: int) -> int | None:
        """All-time points over every board (as `total_points`), or None if not locked."""
        held = [p for (u, _, scope), p in self._points.items() if u == user_id and scope == OVERALL]
        return sum(held) if held else None


def lock_totals(session: Session, user_ids: Iterable[int], scopes: Iterable[str]) -> LockedTotals:
    """Create and lock the users' total rows (ascending id), serialising their daily caps.

    Returns what the rows hold, so awards made under the lock know the new totals without
    summing them again. Rows are created (in key order) before any is locked, as ratings are.
    """
    users = sorted(set(user_ids))
    keys = [(u, b, s) for u in users for b in BOARDS for s in sorted(set(scopes))]
    session.execute(
        _CREATE, [{"user_id": u, "board": b, "scope": s, "points": 0} for u, b, s in keys]
    )
    return LockedTotals(_locked_totals(session, users))


# The statements of a vote's awards are built once, with bound parameters (voting/battles.py).
_events, _totals = PointEvent.__table__, PointTotal.__table__
_LOCK = (
    select(_totals.c.user_id, _totals.c.board, _totals.c.scope, _totals.c.points)
    .where(_totals.c.user_id.in_(bindparam("user_ids", expanding=True)))
    .order_by(_totals.c.id)
    .with_for_update()
)
_CREATE = insert_on_conflict(
    _totals, ("user_id", "board", "scope", "points"), "(user_id, board, scope) DO NOTHING"
)
_EARNED = select(func.coalesce(func.sum(_events.c.amount), 0)).where(
    _events.c.user_id == bindparam("user_id"),
    _events.c.reason == bindparam("reason"),
    _events.c.created_at >= bindparam("start"),
    _events.c.created_at < bindparam("end"),
)
_SINCE = select(func.coalesce(func.sum(_events.c.amount), 0)).where(
    _events.c.user_id == bindparam("user_id"), _events.c.created_at >= bindparam("since")
)
# A ledger entry, once per (user, reason, ref): a second try inserts nothing.
_RECORD = insert_on_conflict(
    _events,
    ("user_id", "amount", "reason", "board", "community_id", "ref_type", "ref_id", "created_at"),
    "(user_id, reason, ref_type, ref_id) DO NOTHING",
)
_ADD = (
    update(_totals)
    .where(
        _totals.c.user_id == bindparam("b_user_id"),
        _totals.c.board == bindparam("b_board"),
        _totals.c.scope.in_(bindparam("b_scopes", expanding=True)),
    )
    .values(points=_totals.c.points + bindparam("b_amount"))
)


def _locked_totals(session: Session, user_ids: list[int]) -> dict[tuple[int, str, str], int]:
    rows = session.execute(_LOCK, {"user_ids": user_ids})
    return {(u, b, s): p for u, b, s, p in rows}


def _earned_today(session: Session, user_id: int, reason: str, at: datetime) -> int:
    start = day_start(at)
    return session.scalar(
        _EARNED,
        {"user_id": user_id, "reason": reason, "start": start, "end": start + timedelta(days=1)},
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
    totals: LockedTotals | None = None,
) -> PointAward | None:
    """Add a ledger entry once per (user, reason, ref); caller holds lock_totals for the user
    (pass what it returned as `totals` to keep it up to date)."""
    rule = rules.points[reason]
    amount = rule.points
    if rule.daily_cap is not None and amount > 0:
        amount = min(amount, rule.daily_cap - _earned_today(session, user_id, reason, at))
        if amount <= 0:
            return None
    community_id, community_slug = community or (None, None)
    entry = {
        "user_id": user_id,
        "amount": amount,
        "reason": reason,
        "board": rule.board,
        "community_id": community_id,
        "ref_type": ref[0],
        "ref_id": ref[1],
        "created_at": at,
    }
    if not session.execute(_RECORD, entry).rowcount:
        return None
    scopes = [OVERALL] + ([community_slug] if community_slug else [])
    session.execute(
        _ADD, {"b_user_id": user_id, "b_board": rule.board, "b_scopes": scopes, "b_amount": amount}
    )
    if totals is not None:
        totals.add(user_id, rule.board, scopes, amount)
    return PointAward(user_id, reason, amount, rule.board)


def total_points(session: Session, user_id: int) -> int:
    """All-time points over every board."""
    return session.scalar(
        select(func.coalesce(func.sum(PointTotal.points), 0)).where(
            PointTotal.user_id == user_id, PointTotal.scope == OVERALL
        )
    )


def points_since(session: Session, user_id: int, since: datetime) -> int:
    return session.scalar(_SINCE, {"user_id": user_id, "since": since})


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

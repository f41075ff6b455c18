"""People: ranks, privileges, profiles and the contributor / auditor boards."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.core.clock import as_utc, utc_date, week_start
from arena.core.errors import InvalidInput
from arena.game import badges, points
from arena.game.rules import BOARDS, Rules, Threshold
from arena.models import OVERALL, Community, PointEvent, PointTotal, User, UserBadge, VoteVerdict

PERIODS = ("all", "week")
BOARD_SIZE = 50


def rank_for(total: int, rules: Rules) -> tuple[Threshold, Threshold | None]:
    """The rank a total earns and the next one (None at the top)."""
    reached = [rank for rank in rules.ranks if total >= rank.points]
    current = reached[-1] if reached else rules.ranks[0]
    higher = [rank for rank in rules.ranks if rank.points > total]
    return current, (higher[0] if higher else None)


def privileges_for(total: int, rules: Rules) -> list[dict]:
    return [
        {"name": p.name, "label": p.label, "points": p.points, "unlocked": total >= p.points}
        for p in rules.privileges
    ]


def has_privilege(session: Session, user: User, name: str, rules: Rules) -> bool:
    threshold = next(p for p in rules.privileges if p.name == name)
    return user.is_admin or points.total_points(session, user.id) >= threshold.points


def user_badges(session: Session, user_id: int, rules: Rules) -> list[dict]:
    rows = session.scalars(
        select(UserBadge).where(UserBadge.user_id == user_id).order_by(UserBadge.awarded_at)
    )
    known = {rule.slug: rule for rule in rules.badges}
    return [
        {
            "slug": row.badge,
            "name": known[row.badge].name,
            "tier": known[row.badge].tier,
            "icon": known[row.badge].icon,
            "description": known[row.badge].description,
            "scope": row.scope,
            "awarded_at": as_utc(row.awarded_at).isoformat(),
        }
        for row in rows
        if row.badge in known
    ]


def board_position(session: Session, user_id: int) -> int | None:
    """1-based place on the all-time contributors board (None without points)."""
    mine = session.scalar(
        select(PointTotal.points).where(
            PointTotal.user_id == user_id,
            PointTotal.board == "contributors",
            PointTotal.scope == OVERALL,
        )
    )
    if not mine:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(PointTotal)
        .join(User, User.id == PointTotal.user_id)
        .where(
            ~User.is_guest,
            PointTotal.board == "contributors",
            PointTotal.scope == OVERALL,
            PointTotal.points > mine,
        )
    )
    return ahead + 1


def me(session: Session, user: User, rules: Rules, now: datetime) -> dict:
    """The /api/v1/me shape: rank is the title the user's points earn."""
    total = points.total_points(session, user.id)
    rank, next_rank = rank_for(total, rules)
    return {
        "username": user.username,
        "points": total,
        "points_this_week": points.points_this_week(session, user.id, now),
        "rank": rank.name,
        "next_rank": {"name": next_rank.name, "points": next_rank.points} if next_rank else None,
        "position": board_position(session, user.id),
        "badges": [
            {"name": b["name"], "tier": b["tier"], "awarded_at": b["awarded_at"]}
            for b in user_badges(session, user.id, rules)
        ],
    }


def agreement(session: Session, user_id: int) -> tuple[int, int]:
    """(agreeing verdicts, all verdicts) of the user's votes."""
    rows = session.scalars(select(VoteVerdict.agrees).where(VoteVerdict.voter_id == user_id))
    verdicts = list(rows)
    return sum(verdicts), len(verdicts)


def points_history(session: Session, user_id: int) -> list[dict]:
    """Cumulative points per UTC day, for the profile chart."""
    rows = session.execute(
        select(PointEvent.created_at, PointEvent.amount)
        .where(PointEvent.user_id == user_id)
        .order_by(PointEvent.created_at, PointEvent.id)
    )
    daily: dict[str, int] = {}
    for created_at, amount in rows:
        day = utc_date(created_at).isoformat()
        daily[day] = daily.get(day, 0) + amount
    running, history = 0, []
    for day, amount in daily.items():
        running += amount
        history.append({"day": day, "points": running})
    return history


def next_badges(session: Session, rules: Rules, user_id: int, now: datetime, limit=3) -> list:
    """Unearned activity badges closest to being earned, with progress from 0 to 1."""
    held = badges.earned_slugs(session, user_id)
    activity = badges.activity_of(session, user_id, None, now)
    within_reach = []
    for rule in rules.badges:
        if rule.slug in held or rule.kind == badges.CHAMPION_KIND:
            continue
        current, target = badges.progress(rule, activity)
        if rule.params.get("action", "vote") not in activity.actions:
            continue  # shared chats and audits are counted by their own features
        share = min(current / target, 1.0) if target else 0.0
        within_reach.append(
            {
                "slug": rule.slug,
                "name": rule.name,
                "icon": rule.icon,
                "tier": rule.tier,
                "description": rule.description,
                "progress": round(share, 3),
                "current": current,
                "target": target,
            }
        )
    within_reach.sort(key=lambda badge: -badge["progress"])
    return within_reach[:limit]


def people_board(
    session: Session, board: str, period: str, community_slug: str | None, now: datetime
) -> list[dict]:
    """Ranked people of a board; anonymous users appear as "Anonymous"."""
    if board not in BOARDS:
        raise InvalidInput(f"board must be one of {', '.join(BOARDS)}.")
    if period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)}.")
    totals = (
        _weekly_totals(session, board, community_slug, now)
        if period == "week"
        else _all_time_totals(session, board, community_slug)
    )
    users = {
        u.id: u for u in session.scalars(select(User).where(User.id.in_([t[0] for t in totals])))
    }
    badge_counts = dict(
        session.execute(
            select(UserBadge.user_id, func.count())
            .where(UserBadge.user_id.in_(users))
            .group_by(UserBadge.user_id)
        )
        .tuples()
        .all()
    )
    rows, previous, rank = [], None, 0
    for position, (user_id, total) in enumerate(totals, start=1):
        if total != previous:
            rank, previous = position, total
        agreed, decided = agreement(session, user_id)
        rows.append(
            {
                "rank": rank,
                "name": users[user_id].public_name,
                "points": int(total),
                "badges": badge_counts.get(user_id, 0),
                "agreement": round(agreed / decided, 3) if decided else None,
            }
        )
    return rows


def _all_time_totals(session, board, community_slug) -> list[tuple[int, int]]:
    return (
        session.execute(
            select(PointTotal.user_id, PointTotal.points)
            .join(User, User.id == PointTotal.user_id)
            .where(
                ~User.is_guest,  # guests (voting/guests.py) are on no board
                PointTotal.board == board,
                PointTotal.scope == (community_slug or OVERALL),
                PointTotal.points > 0,
            )
            .order_by(PointTotal.points.desc(), PointTotal.user_id)
            .limit(BOARD_SIZE)
        )
        .tuples()
        .all()
    )


def _weekly_totals(session, board, community_slug, now) -> list[tuple[int, int]]:
    query = (
        select(PointEvent.user_id, func.sum(PointEvent.amount).label("total"))
        .join(User, User.id == PointEvent.user_id)
        .where(~User.is_guest, PointEvent.board == board, PointEvent.created_at >= week_start(now))
        .group_by(PointEvent.user_id)
        .having(func.sum(PointEvent.amount) > 0)
        .order_by(func.sum(PointEvent.amount).desc(), PointEvent.user_id)
        .limit(BOARD_SIZE)
    )
    if community_slug:
        query = query.join(Community, Community.id == PointEvent.community_id).where(
            Community.slug == community_slug
        )
    return session.execute(query).tuples().all()

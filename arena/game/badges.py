"""Badges: criteria evaluated on a user's facts as of a vote, awarded once per scope."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, cast, func, select, true
from sqlalchemy.orm import Session

from arena.core.clock import utc_date, week_key, week_start
from arena.core.sql import insert_ignoring_conflicts
from arena.game.rules import BadgeRule, Rules
from arena.models import Community, PointEvent, UserBadge, Vote, VoteVerdict, VotingStreak
from arena.models.chats import SharedChat

CHAMPION_KIND = "community"


@dataclass
class Activity:
    """What a user has done, as of one moment: the inputs of every badge criterion."""

    actions: dict[str, int]
    streak_days: int
    verdicts: int
    agreements: int
    discoveries: int


@dataclass(frozen=True)
class BadgeAward:
    user_id: int
    rule: BadgeRule
    scope: str
    awarded_at: datetime


def next_streak(last_day: date | None, days: int, today: date) -> int:
    """The streak after a vote today, given the day of the previous vote and its streak."""
    if last_day == today:
        return days
    if last_day == today - timedelta(days=1):
        return days + 1
    return 1


def record_streak(session: Session, user_id: int, at: datetime) -> None:
    """Extend or restart the user's streak; the caller holds the user's lock."""
    today = utc_date(at)
    streak = session.get(VotingStreak, user_id)
    if streak is None:
        session.add(VotingStreak(user_id=user_id, last_day=today, days=1, longest=1))
        return
    streak.days = next_streak(streak.last_day, streak.days, today)
    streak.longest = max(streak.longest, streak.days)
    streak.last_day = today


def current_streak(session: Session, user_id: int, at: datetime) -> int:
    streak = session.get(VotingStreak, user_id)
    if streak is None:
        return 0
    alive = utc_date(at) - streak.last_day <= timedelta(days=1)
    return streak.days if alive else 0


def progress(rule: BadgeRule, activity: Activity) -> tuple[float, float]:
    """(current, target) for the criterion; reached when current >= target."""
    params = rule.params
    if rule.kind == "first":
        return min(activity.actions.get(params["action"], 0), 1), 1
    if rule.kind == "volume":
        return activity.actions.get(params["action"], 0), params["count"]
    if rule.kind == "streak":
        return activity.streak_days, params["days"]
    if rule.kind == "discovery":
        return activity.discoveries, params["count"]
    if rule.kind == "quality":
        if activity.verdicts < params["min_votes"]:
            return activity.verdicts, params["min_votes"]
        return activity.agreements / activity.verdicts, params["rate"]
    raise ValueError(f"{rule.kind} badges are not earned from activity")


def qualifies(rule: BadgeRule, activity: Activity) -> bool:
    current, target = progress(rule, activity)
    return current >= target


def activity_of(
    session: Session, user_id: int, up_to_vote_id: int | None, at: datetime
) -> Activity:
    """Facts up to and including one vote (None: all), so a replay sees what the live vote saw."""
    last_vote = Vote.id <= up_to_vote_id if up_to_vote_id is not None else true()
    choices = dict(
        session.execute(
            select(Vote.choice, func.count())
            .where(Vote.voter_id == user_id, last_vote)
            .group_by(Vote.choice)
        )
        .tuples()
        .all()
    )
    verdicts = session.execute(
        select(func.count(), func.coalesce(func.sum(cast(VoteVerdict.agrees, Integer)), 0)).where(
            VoteVerdict.voter_id == user_id
        )
    ).one()
    discoveries = session.scalar(
        select(func.count()).where(PointEvent.user_id == user_id, PointEvent.reason == "discovery")
    )
    shared = session.scalar(
        select(func.count()).where(
            SharedChat.contributor_id == user_id, SharedChat.created_at <= at
        )
    )
    return Activity(
        actions={
            "vote": sum(choices.values()),
            "vote_tie": choices.get("tie", 0),
            "vote_both_bad": choices.get("both_bad", 0),
            "share_chat": shared,
        },
        streak_days=current_streak(session, user_id, at),
        verdicts=verdicts[0],
        agreements=int(verdicts[1]),
        discoveries=discoveries,
    )


def earned_slugs(session: Session, user_id: int) -> set[str]:
    return set(session.scalars(select(UserBadge.badge).where(UserBadge.user_id == user_id)))


def _award(session: Session, user_id: int, rule: BadgeRule, scope: str, at) -> BadgeAward | None:
    inserted = insert_ignoring_conflicts(
        session,
        UserBadge,
        [{"user_id": user_id, "badge": rule.slug, "scope": scope, "awarded_at": at}],
        conflict_columns=["user_id", "badge", "scope"],
    )
    return BadgeAward(user_id, rule, scope, at) if inserted else None


def award_activity_badges(
    session: Session, rules: Rules, user_id: int, up_to_vote_id: int, at: datetime
) -> list[BadgeAward]:
    """Award every activity badge the user now qualifies for and does not hold yet."""
    held = earned_slugs(session, user_id)
    candidates = [r for r in rules.badges if r.kind != CHAMPION_KIND and r.slug not in held]
    if not candidates:
        return []
    activity = activity_of(session, user_id, up_to_vote_id, at)
    awards = [
        _award(session, user_id, rule, "", at) for rule in candidates if qualifies(rule, activity)
    ]
    return [award for award in awards if award]


def award_weekly_champion(
    session: Session, rules: Rules, community: Community, at: datetime
) -> list[BadgeAward]:
    """Crown last week's top contributor of the community, at its first vote of a new week."""
    champion_rules = [r for r in rules.badges if r.kind == CHAMPION_KIND]
    if not champion_rules:
        return []
    last_week = week_start(at) - timedelta(days=7)
    scope = f"{community.slug}:{week_key(last_week)}"
    rule = champion_rules[0]
    already = session.scalar(
        select(UserBadge.id).where(UserBadge.badge == rule.slug, UserBadge.scope == scope)
    )
    if already:
        return []
    top = session.execute(
        select(PointEvent.user_id, func.sum(PointEvent.amount).label("points"))
        .where(
            PointEvent.community_id == community.id,
            PointEvent.board == "contributors",
            PointEvent.created_at >= last_week,
            PointEvent.created_at < week_start(at),
        )
        .group_by(PointEvent.user_id)
        .order_by(func.sum(PointEvent.amount).desc(), func.max(PointEvent.id))
        .limit(1)
    ).first()
    if top is None or top.points <= 0:
        return []
    award = _award(session, top.user_id, rule, scope, at)
    return [award] if award else []

"""Badges: criteria evaluated on a user's facts as of a vote, awarded once per scope."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, bindparam, cast, func, insert, select, update
from sqlalchemy.orm import Session

from arena.core.clock import utc_date, week_key, week_start
from arena.core.db import insert_on_conflict
from arena.game.rules import BadgeRule, Rules
from arena.models import (
    Audit,
    Community,
    PointEvent,
    User,
    UserBadge,
    Vote,
    VoteVerdict,
    VotingStreak,
)
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


# The statements of a vote's badges are built once, with bound parameters (voting/battles.py).
_streaks, _badges, _votes = VotingStreak.__table__, UserBadge.__table__, Vote.__table__
_verdicts, _events, _chats = VoteVerdict.__table__, PointEvent.__table__, SharedChat.__table__
_audits = Audit.__table__
_STREAK = select(_streaks.c.last_day, _streaks.c.days, _streaks.c.longest).where(
    _streaks.c.user_id == bindparam("user_id")
)
_START_STREAK = insert(_streaks)
_EXTEND_STREAK = (
    update(_streaks)
    .where(_streaks.c.user_id == bindparam("b_user_id"))
    .values(last_day=bindparam("b_last_day"), days=bindparam("b_days"))
    .values(longest=bindparam("b_longest"))
)
_HELD = select(_badges.c.badge).where(_badges.c.user_id == bindparam("user_id"))
_ALL_CHOICES = (
    select(_votes.c.choice, func.count())
    .where(_votes.c.voter_id == bindparam("user_id"))
    .group_by(_votes.c.choice)
)
_CHOICES = _ALL_CHOICES.where(_votes.c.id <= bindparam("up_to"))
_VERDICTS = select(
    func.count(), func.coalesce(func.sum(cast(_verdicts.c.agrees, Integer)), 0)
).where(_verdicts.c.voter_id == bindparam("user_id"))
_DISCOVERIES = select(func.count()).where(
    _events.c.user_id == bindparam("user_id"), _events.c.reason == "discovery"
)
_SHARED = select(func.count()).where(
    _chats.c.contributor_id == bindparam("user_id"), _chats.c.created_at <= bindparam("at")
)
_AUDITED = select(func.count()).where(
    _audits.c.auditor_id == bindparam("user_id"), _audits.c.created_at <= bindparam("at")
)
_CROWNED = select(_badges.c.id).where(
    _badges.c.badge == bindparam("badge"), _badges.c.scope == bindparam("scope")
)
# The community's top contributor over a week; never a guest (a guest trying the arena is not
# on the people boards, so it must not take the crown from the member at their top).
_TOP = (
    select(_events.c.user_id, func.sum(_events.c.amount).label("points"))
    .join(User.__table__, User.__table__.c.id == _events.c.user_id)
    .where(
        User.__table__.c.is_guest.is_(False),
        _events.c.community_id == bindparam("community_id"),
        _events.c.board == "contributors",
        _events.c.created_at >= bindparam("start"),
        _events.c.created_at < bindparam("end"),
    )
    .group_by(_events.c.user_id)
    .order_by(func.sum(_events.c.amount).desc(), func.max(_events.c.id))
    .limit(1)
)
# A badge, once per (user, badge, scope): a second try inserts nothing.
_AWARD = insert_on_conflict(
    _badges, ("user_id", "badge", "scope", "awarded_at"), "(user_id, badge, scope) DO NOTHING"
)


def record_streak(session: Session, user_id: int, at: datetime) -> int:
    """Extend or restart the user's streak; returns its days. The caller holds the user's lock."""
    today = utc_date(at)
    streak = session.execute(_STREAK, {"user_id": user_id}).first()
    if streak is None:
        row = {"user_id": user_id, "last_day": today, "days": 1, "longest": 1}
        session.execute(_START_STREAK, row)
        return 1
    days = next_streak(streak.last_day, streak.days, today)
    session.execute(
        _EXTEND_STREAK,
        {
            "b_user_id": user_id,
            "b_last_day": today,
            "b_days": days,
            "b_longest": max(streak.longest, days),
        },
    )
    return days


def current_streak(session: Session, user_id: int, at: datetime) -> int:
    streak = session.execute(_STREAK, {"user_id": user_id}).first()
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


def criterion_input(rule: BadgeRule) -> str:
    """The one fact a badge's criterion reads: an action count, the streak, verdicts (for the
    agreement rate) or discoveries. A badge can only become earned when that fact changes."""
    if rule.kind in ("first", "volume"):
        return rule.params["action"]
    return {"streak": "streak", "quality": "verdicts", "discovery": "discoveries"}[rule.kind]


def activity_of(
    session: Session,
    user_id: int,
    up_to_vote_id: int | None,
    at: datetime,
    needs: set[str] | None = None,
    streak_days: int | None = None,
) -> Activity:
    """Facts up to and including one vote (None: all), so a replay sees what the live vote saw.

    `needs` limits the queries to the inputs named (see `criterion_input`); the others are 0.
    `streak_days` is the streak when the caller has just recorded it.
    """

    def wanted(*inputs: str) -> bool:
        return needs is None or not needs.isdisjoint(inputs)

    choices: dict[str, int] = {}
    if wanted("vote", "vote_tie", "vote_both_bad"):
        params = {"user_id": user_id, "up_to": up_to_vote_id}
        choices = dict(
            session.execute(_ALL_CHOICES if up_to_vote_id is None else _CHOICES, params).all()
        )
    verdicts, agreements = 0, 0
    if wanted("verdicts"):
        verdicts, agreements = session.execute(_VERDICTS, {"user_id": user_id}).one()
    discoveries = 0
    if wanted("discoveries"):
        discoveries = session.scalar(_DISCOVERIES, {"user_id": user_id})
    shared = 0
    if wanted("share_chat"):
        shared = session.scalar(_SHARED, {"user_id": user_id, "at": at})
    audited = 0
    if wanted("audit"):
        audited = session.scalar(_AUDITED, {"user_id": user_id, "at": at})
    if streak_days is None and wanted("streak"):
        streak_days = current_streak(session, user_id, at)
    return Activity(
        actions={
            "vote": sum(choices.values()),
            "vote_tie": choices.get("tie", 0),
            "vote_both_bad": choices.get("both_bad", 0),
            "share_chat": shared,
            "audit": audited,
        },
        streak_days=streak_days or 0,
        verdicts=verdicts,
        agreements=int(agreements),
        discoveries=discoveries,
    )


def earned_slugs(session: Session, user_id: int) -> set[str]:
    return set(session.scalars(_HELD, {"user_id": user_id}))


def _award(session: Session, user_id: int, rule: BadgeRule, scope: str, at) -> BadgeAward | None:
    row = {"user_id": user_id, "badge": rule.slug, "scope": scope, "awarded_at": at}
    inserted = session.execute(_AWARD, row).rowcount
    return BadgeAward(user_id, rule, scope, at) if inserted else None


def award_activity_badges(
    session: Session,
    rules: Rules,
    user_id: int,
    up_to_vote_id: int | None,
    at: datetime,
    changed: set[str] | None = None,
    streak_days: int | None = None,
) -> list[BadgeAward]:
    """Award every activity badge the user now qualifies for and does not hold yet.

    `changed` names the criterion inputs (`criterion_input`) that this event may have changed;
    only badges reading them are evaluated (None: all). Called at every change of every input,
    this awards each badge at the same event as evaluating all of them would, live and in a
    replay alike, with fewer queries. `streak_days`: the streak just recorded, if known.
    """
    candidates = [
        rule
        for rule in rules.badges
        if rule.kind != CHAMPION_KIND and (changed is None or criterion_input(rule) in changed)
    ]
    if not candidates:
        return []
    held = earned_slugs(session, user_id)
    candidates = [rule for rule in candidates if rule.slug not in held]
    if not candidates:
        return []
    needs = {criterion_input(rule) for rule in candidates}
    activity = activity_of(session, user_id, up_to_vote_id, at, needs, streak_days)
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
    if session.scalar(_CROWNED, {"badge": rule.slug, "scope": scope}):
        return []
    top = session.execute(
        _TOP, {"community_id": community.id, "start": last_week, "end": week_start(at)}
    ).first()
    if top is None or top.points <= 0:
        return []
    award = _award(session, top.user_id, rule, scope, at)
    return [award] if award else []

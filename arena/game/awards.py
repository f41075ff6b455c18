"""What a vote earns: points, verdicts, discoveries and badges, in the vote's transaction.

Everything here depends only on facts up to the vote (ids <= the vote's, its created_at as
"now"), so replaying the vote log reproduces the ledger and the badges exactly.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import Session

from arena.core.clock import as_utc
from arena.core.db import lock_tables
from arena.core.events import Activity, BadgeAwarded, Event, PeopleChanged, PointsChanged
from arena.core.i18n import N_
from arena.game import badges, consensus, points
from arena.game.rules import Rules
from arena.models import (
    OVERALL,
    Community,
    LanguageModel,
    PointEvent,
    Prompt,
    User,
    UserBadge,
    Vote,
    VoteVerdict,
    VotingStreak,
)
from arena.models.chats import SharedChat
from arena.voting import trust

# The live feed's line for a badge (the page translates it; web/i18n.py JS_STRINGS).
BADGE_ACTIVITY = N_("Someone earned the %(tier)s badge %(name)s.")

VOTE_REASONS = ("vote", "vote_agrees", "discovery", "pair_popular")


@dataclass(frozen=True)
class CommunityRef:
    """What the awards need of a community: its id and slug (a Community row will do too)."""

    id: int
    slug: str


_votes, _models, _users = Vote.__table__, LanguageModel.__table__, User.__table__
# Built once, with bound parameters (voting/battles.py): when models were added, when the voter
# joined, and how many counted votes a model had before this one (up to a limit). Only counted
# votes take a discovery or a popular pair's mark: probation and guest votes never count, and
# their recorded trust never changes, so a replay, a sign-up or a purge of guests leaves the
# awards as they were.
_ADDED = select(_models.c.id, _models.c.created_at).where(
    _models.c.id.in_(bindparam("model_ids", expanding=True))
)
_JOINED = select(_users.c.created_at).where(_users.c.id == bindparam("user_id"))
_EARLIER_VOTES = select(func.count()).select_from(
    select(_votes.c.id)
    .where(
        or_(_votes.c.model_a_id == bindparam("model"), _votes.c.model_b_id == bindparam("model")),
        _votes.c.id < bindparam("vote_id"),
        _votes.c.voter_trust == trust.COUNTED,
    )
    .limit(bindparam("first_votes"))
    .subquery()
)


def _newly_discovered(
    session: Session,
    vote: Vote,
    rules: Rules,
    at: datetime,
    created: dict[int, datetime] | None = None,
    joined: datetime | None = None,
) -> list[int]:
    """Models this vote discovers: added after its voter joined, at most
    `discovery_window_days` before the vote, and with fewer than `discovery_first_votes`
    earlier counted votes. A model that was there when the voter joined is never a discovery,
    however few votes it has: seeded models wait for their first votes, they are not new.

    `created` (the models' creation times) and `joined` (the voter's) spare queries when the
    caller has read them already."""
    window_start = at - timedelta(days=rules.discovery_window_days)
    models = (vote.model_a_id, vote.model_b_id)
    if created is None:
        created = dict(session.execute(_ADDED, {"model_ids": list(models)}).all())
    recent = [m for m in models if as_utc(created[m]) >= window_start]
    if not recent:
        return []
    joined = as_utc(joined or session.scalar(_JOINED, {"user_id": vote.voter_id}))
    limit = rules.discovery_first_votes
    return [
        model_id
        for model_id in recent
        if as_utc(created[model_id]) > joined
        and session.scalar(
            _EARLIER_VOTES, {"model": model_id, "vote_id": vote.id, "first_votes": limit}
        )
        < limit
    ]


def _voter_inputs(vote: Vote) -> set[str]:
    """What a vote changes of its voter's badge inputs: the vote counts and the streak."""
    inputs = {"vote", "streak"}
    if vote.choice in ("tie", "both_bad"):
        inputs.add(f"vote_{vote.choice}")
    return inputs


def after_vote(
    session: Session,
    vote: Vote,
    community: Community | CommunityRef,
    rules: Rules,
    *,
    created: dict[int, datetime] | None = None,
    joined: datetime | None = None,
    policy: trust.Policy | None = None,
) -> list[Event]:
    """Award what this vote earns; returns domain events to publish after commit.

    `created` (model id -> creation time) and `joined` (the voter's) spare queries when the
    caller has read them. On public-exposure answers a vote earns only the base point when the
    policy says so."""
    at = as_utc(vote.created_at)
    policy = policy or trust.default_policy()
    base_only = policy.public_points_base_only and vote.exposure == "public"
    verdicts = consensus.decide_verdicts(session, vote, rules, at)
    agreeing = [] if base_only else [v for v in verdicts if v.agrees]
    discoveries = [] if base_only else _newly_discovered(session, vote, rules, at, created, joined)
    popular_for = _popular_pair_contributor(session, vote, rules)
    recipients = {vote.voter_id} | {v.voter_id for v in agreeing} | ({popular_for} - {None})
    totals = points.lock_totals(session, recipients, (OVERALL, community.slug))
    streak_days = badges.record_streak(session, vote.voter_id, at)

    def give(user_id: int, reason: str, ref: tuple[str, int]):
        return points.award(
            session,
            rules,
            user_id=user_id,
            reason=reason,
            ref=ref,
            at=at,
            community=(community.id, community.slug),
            totals=totals,
        )

    awards = [give(vote.voter_id, "vote", ("vote", vote.id))]
    awards += [give(v.voter_id, "vote_agrees", ("vote", v.vote_id)) for v in agreeing]
    discovered = [give(vote.voter_id, "discovery", ("model", m)) for m in discoveries]
    awards += discovered
    if popular_for is not None:  # the vote that takes the pair to the mark, once per pair
        awards.append(give(popular_for, "pair_popular", ("vote", vote.id)))
    if verdicts:
        session.flush()  # the verdicts, before badges count them
    # Each badge is evaluated when the fact its criterion reads changes (badges.criterion_input):
    # the voter's vote counts and streak; discoveries when one was awarded; the agreement rate
    # of everyone whose vote got a verdict.
    changed: dict[int, set[str]] = {v.voter_id: {"verdicts"} for v in verdicts}
    changed.setdefault(vote.voter_id, set()).update(_voter_inputs(vote))
    if any(discovered):
        changed[vote.voter_id].add("discoveries")
    badge_awards = []
    for user_id in sorted(changed):
        badge_awards += badges.award_activity_badges(
            session,
            rules,
            user_id,
            vote.id,
            at,
            changed[user_id],
            streak_days if user_id == vote.voter_id else None,
        )
    badge_awards += badges.award_weekly_champion(session, rules, community, at)
    return award_events(session, [a for a in awards if a], badge_awards, community.slug, at, totals)


_CONTRIBUTOR_OF_PROMPT = (
    select(SharedChat.contributor_id)
    .join(Prompt, Prompt.shared_chat_id == SharedChat.id)
    .where(Prompt.id == bindparam("prompt_id"), Prompt.origin == "shared_chat")
)
_VOTES_ON_PAIR = select(func.count(Vote.id)).where(
    Vote.prompt_id == bindparam("prompt_id"),
    Vote.id <= bindparam("vote_id"),  # as of this vote, so a replay sees what the live vote saw
    Vote.voter_trust == trust.COUNTED,
    or_(
        (Vote.model_a_id == bindparam("a")) & (Vote.model_b_id == bindparam("b")),
        (Vote.model_a_id == bindparam("b")) & (Vote.model_b_id == bindparam("a")),
    ),
)


def _popular_pair_contributor(session: Session, vote: Vote, rules: Rules) -> int | None:
    """The contributor whose mined pair this vote takes to `popular_pair_votes` votes. Only
    votes on private answers (shared chats, custom prompts) pay for the lookup."""
    if vote.exposure != "private" or vote.prompt_id is None or vote.voter_trust != trust.COUNTED:
        return None
    contributor = session.scalar(_CONTRIBUTOR_OF_PROMPT, {"prompt_id": vote.prompt_id})
    if contributor is None or contributor == vote.voter_id:
        return None
    params = {"prompt_id": vote.prompt_id, "vote_id": vote.id}
    count = session.scalar(_VOTES_ON_PAIR, {**params, "a": vote.model_a_id, "b": vote.model_b_id})
    return contributor if count == rules.popular_pair_votes else None


def award_points(
    session: Session,
    rules: Rules,
    owed: list[tuple[int, str, tuple[str, int]]],
    community: Community,
    at: datetime,
) -> list[Event]:
    """Points outside a vote: each (user id, reason, reference) once, in the community; returns
    the events to publish after commit."""
    if not owed:
        return []
    totals = points.lock_totals(session, {user for user, _, _ in owed}, (OVERALL, community.slug))
    given = [
        points.award(
            session,
            rules,
            user_id=user_id,
            reason=reason,
            ref=ref,
            at=at,
            community=(community.id, community.slug),
            totals=totals,
        )
        for user_id, reason, ref in owed
    ]
    return award_events(session, [a for a in given if a], [], community.slug, at, totals)


def award_events(
    session, point_awards, badge_awards, community_slug: str, at, totals=None
) -> list[Event]:
    """Events for awards made in a transaction, to publish once it has committed.

    `totals` (from `points.lock_totals`, kept up to date by the awards) spares summing them."""
    events = []
    for user_id in sorted({award.user_id for award in point_awards}):
        delta = sum(a.amount for a in point_awards if a.user_id == user_id)
        held = totals.overall(user_id) if totals is not None else None
        events.append(
            PointsChanged(
                user_id=user_id,
                delta=delta,
                points=points.total_points(session, user_id) if held is None else held,
                points_this_week=points.points_this_week(session, user_id, at),
            )
        )
    for award in badge_awards:
        rule = award.rule
        events.append(
            BadgeAwarded(
                user_id=award.user_id,
                badge=rule.slug,
                name=rule.name,
                tier=rule.tier,
                icon=rule.icon,
                description=rule.description,
            )
        )
        values = {"tier": rule.tier, "name": rule.name}
        events.append(Activity(BADGE_ACTIVITY % values, BADGE_ACTIVITY, values))
    if point_awards:
        events.append(PeopleChanged(scopes=[OVERALL, community_slug]))
    return events


def _last_vote_id(session: Session, at: datetime) -> int:
    return session.scalar(select(func.coalesce(func.max(Vote.id), 0)).where(Vote.created_at <= at))


def after_chat_shared(session: Session, chat: SharedChat, rules: Rules) -> list[Event]:
    """Badges for sharing (first chat, 10 chats), as of the moment the chat was shared."""
    at = as_utc(chat.created_at)
    awards = badges.award_activity_badges(
        session, rules, chat.contributor_id, _last_vote_id(session, at), at
    )
    return award_events(session, [], awards, chat.community.slug, at)


def replay_votes(session: Session, rules: Rules) -> int:
    """Re-derive vote points, verdicts, streaks and badges from the vote log and shared chats,
    in the order they happened; returns the number of votes replayed."""
    lock_tables(session, "votes", "point_events", "point_totals", "user_badges", "vote_verdicts")
    session.execute(delete(PointEvent).where(PointEvent.reason.in_(VOTE_REASONS)))
    for table in (VoteVerdict, VotingStreak):
        session.execute(delete(table))
    # Audit badges follow from audits, which a replay of votes leaves as they are.
    kept = [rule.slug for rule in rules.badges if rule.params.get("action") == "audit"]
    session.execute(delete(UserBadge).where(UserBadge.badge.not_in(kept)))
    session.flush()
    communities = {c.id: c for c in session.scalars(select(Community))}
    votes = session.scalars(select(Vote.id).where(Vote.voter_id.isnot(None))).all()
    chats = session.execute(select(SharedChat.created_at, SharedChat.id)).all()
    # Votes in id order; each chat right after the last vote it saw when it was shared.
    timeline = sorted(
        [(vote_id, 0, vote_id) for vote_id in votes]
        + [(_last_vote_id(session, as_utc(t)), 1, chat_id) for t, chat_id in chats]
    )
    for _, kind, row_id in timeline:
        if kind == 0:
            vote = session.get(Vote, row_id)
            after_vote(session, vote, communities[vote.community_id], rules)
        else:
            after_chat_shared(session, session.get(SharedChat, row_id), rules)
    session.flush()
    points.rebuild_totals(session)
    return len(votes)

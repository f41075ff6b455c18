"""What a vote earns: points, verdicts, discoveries and badges, in the vote's transaction.

Everything here depends only on facts up to the vote (ids <= the vote's, its created_at as
"now"), so replaying the vote log reproduces the ledger and the badges exactly.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.orm import Session

from arena.core.clock import as_utc
from arena.core.db import lock_tables
from arena.core.events import Activity, BadgeAwarded, Event, PeopleChanged, PointsChanged
from arena.game import badges, consensus, points
from arena.game.rules import Rules
from arena.models import (
    OVERALL,
    Community,
    LanguageModel,
    PointEvent,
    UserBadge,
    Vote,
    VoteVerdict,
    VotingStreak,
)
from arena.models.chats import SharedChat

VOTE_REASONS = ("vote", "vote_agrees", "discovery")


def _newly_discovered(session: Session, vote: Vote, rules: Rules, at: datetime) -> list[int]:
    """Models that receive their first vote ever here and were added recently."""
    window_start = at - timedelta(days=rules.discovery_window_days)
    found = []
    for model_id in (vote.model_a_id, vote.model_b_id):
        earlier = session.scalar(
            select(
                exists().where(
                    or_(Vote.model_a_id == model_id, Vote.model_b_id == model_id),
                    Vote.id < vote.id,
                )
            )
        )
        created_at = session.scalar(
            select(LanguageModel.created_at).where(LanguageModel.id == model_id)
        )
        if not earlier and as_utc(created_at) >= window_start:
            found.append(model_id)
    return found


def after_vote(session: Session, vote: Vote, community: Community, rules: Rules) -> list[Event]:
    """Award what this vote earns; returns domain events to publish after commit."""
    at = as_utc(vote.created_at)
    verdicts = consensus.decide_verdicts(session, vote, rules, at)
    agreeing = [v for v in verdicts if v.agrees]
    discoveries = _newly_discovered(session, vote, rules, at)
    recipients = {vote.voter_id} | {v.voter_id for v in agreeing}
    points.lock_totals(session, recipients, (OVERALL, community.slug))
    badges.record_streak(session, vote.voter_id, at)

    def give(user_id: int, reason: str, ref: tuple[str, int]):
        return points.award(
            session,
            rules,
            user_id=user_id,
            reason=reason,
            ref=ref,
            at=at,
            community=(community.id, community.slug),
        )

    awards = [give(vote.voter_id, "vote", ("vote", vote.id))]
    awards += [give(v.voter_id, "vote_agrees", ("vote", v.vote_id)) for v in agreeing]
    awards += [give(vote.voter_id, "discovery", ("model", m)) for m in discoveries]
    session.flush()
    badge_awards = []
    for user_id in sorted(recipients | {v.voter_id for v in verdicts}):
        badge_awards += badges.award_activity_badges(session, rules, user_id, vote.id, at)
    badge_awards += badges.award_weekly_champion(session, rules, community, at)
    return award_events(session, [a for a in awards if a], badge_awards, community.slug, at)


def award_events(session, point_awards, badge_awards, community_slug: str, at) -> list[Event]:
    """Events for awards made in a transaction, to publish once it has committed."""
    events = []
    for user_id in sorted({award.user_id for award in point_awards}):
        delta = sum(a.amount for a in point_awards if a.user_id == user_id)
        totals = {
            "points": points.total_points(session, user_id),
            "points_this_week": points.points_this_week(session, user_id, at),
        }
        events.append(PointsChanged(user_id=user_id, delta=delta, **totals))
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
        events.append(Activity(text=f"Someone earned the {rule.tier} badge {rule.name}."))
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
    for table in (VoteVerdict, UserBadge, VotingStreak):
        session.execute(delete(table))
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

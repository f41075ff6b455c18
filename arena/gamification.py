"""What a vote earns: points, verdicts, discoveries and badges, in the vote's transaction.

Everything here depends only on facts up to the vote (ids <= the vote's, its created_at as
"now"), so replaying the vote log reproduces the ledger and the badges exactly.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from arena import badges, consensus, points
from arena.clock import as_utc
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
from arena.rules import Rules

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


def after_vote(session: Session, vote: Vote, community: Community, rules: Rules) -> list[tuple]:
    """Award what this vote earns; returns domain events to publish after commit."""
    at = as_utc(vote.created_at)
    verdicts = consensus.decide_verdicts(session, vote, rules, at)
    agreeing = [v for v in verdicts if v.agrees]
    discoveries = _newly_discovered(session, vote, rules, at)
    recipients = {vote.voter_id} | {v.voter_id for v in agreeing}
    points.lock_totals(session, recipients, (OVERALL, community.slug))
    badges.record_streak(session, vote.voter_id, at)
    where = (community.id, community.slug)
    awards = [
        points.award(
            session,
            rules,
            user_id=vote.voter_id,
            reason="vote",
            ref=("vote", vote.id),
            at=at,
            community=where,
        )
    ]
    awards += [
        points.award(
            session,
            rules,
            user_id=v.voter_id,
            reason="vote_agrees",
            ref=("vote", v.vote_id),
            at=at,
            community=where,
        )
        for v in agreeing
    ]
    awards += [
        points.award(
            session,
            rules,
            user_id=vote.voter_id,
            reason="discovery",
            ref=("model", model_id),
            at=at,
            community=where,
        )
        for model_id in discoveries
    ]
    session.flush()
    badge_awards = []
    for user_id in sorted(recipients | {v.voter_id for v in verdicts}):
        badge_awards += badges.award_activity_badges(session, rules, user_id, vote.id, at)
    badge_awards += badges.award_weekly_champion(session, rules, community, at)
    return _events(session, [a for a in awards if a], badge_awards, community.slug, at)


def _events(session, point_awards, badge_awards, community_slug: str, at) -> list[tuple]:
    events = []
    for user_id in sorted({award.user_id for award in point_awards}):
        delta = sum(a.amount for a in point_awards if a.user_id == user_id)
        totals = {
            "points": points.total_points(session, user_id),
            "points_this_week": points.points_this_week(session, user_id, at),
        }
        events.append(("points", {"user_id": user_id, "delta": delta, **totals}))
    for award in badge_awards:
        rule = award.rule
        events.append(
            (
                "badge_awarded",
                {
                    "user_id": award.user_id,
                    "badge": rule.slug,
                    "name": rule.name,
                    "tier": rule.tier,
                    "icon": rule.icon,
                    "description": rule.description,
                },
            )
        )
        events.append(("activity", {"text": f"Someone earned the {rule.tier} badge {rule.name}."}))
    if point_awards:
        events.append(("people_changed", {"scopes": [OVERALL, community_slug]}))
    return events


def replay_votes(session: Session, rules: Rules) -> int:
    """Re-derive vote points, verdicts, streaks and badges from the vote log; returns votes."""
    session.execute(delete(PointEvent).where(PointEvent.reason.in_(VOTE_REASONS)))
    for table in (VoteVerdict, UserBadge, VotingStreak):
        session.execute(delete(table))
    session.flush()
    communities = {c.id: c for c in session.scalars(select(Community))}
    vote_ids = session.scalars(select(Vote.id).where(Vote.voter_id.isnot(None)).order_by(Vote.id))
    count = 0
    for vote_id in vote_ids.all():
        vote = session.get(Vote, vote_id)
        after_vote(session, vote, communities[vote.community_id], rules)
        count += 1
    session.commit()
    points.rebuild_totals(session)
    return count

"""Points, consensus, streaks, badges and their replay, on hand-computed histories."""

import dataclasses
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arena.extensions import db
from arena.game import badges, points
from arena.game.consensus import consensus_outcome
from arena.game.people import rank_for
from arena.game.rules import BADGE_KINDS, TIERS, BadgeRule, default_rules
from arena.models import (
    Battle,
    LanguageModel,
    PointEvent,
    PointTotal,
    Response,
    User,
    UserBadge,
    VoteVerdict,
)
from tests.conftest import api_client_for
from tests.factories import cast, make_voter, make_world, serve

MONDAY = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def rules_with(**changes):
    """The shipped rules with some numbers changed, e.g. a daily cap of 3 for votes."""
    rules = default_rules()
    cap = changes.pop("vote_cap", None)
    if cap is not None:
        vote_rule = dataclasses.replace(rules.points["vote"], daily_cap=cap)
        rules = dataclasses.replace(rules, points={**rules.points, "vote": vote_rule})
    return dataclasses.replace(rules, **changes)


def old_models(session, days=365):
    """Make every model old, so discovery points stay out of the arithmetic."""
    added_at(session, MONDAY - timedelta(days=days))


def added_at(session, at, slugs=None):
    """Date the models' arrival (all of them, or those named)."""
    for model in session.scalars(select(LanguageModel)):
        if slugs is None or model.slug in slugs:
            model.created_at = at
    session.commit()


def joined_at(session, at, *user_ids):
    for user_id in user_ids:
        session.get(User, user_id).created_at = at
    session.commit()


def vote(session, user_id, at, choice="a", community="general", rules=None):
    battle = serve(session, user_id, community)
    return cast(session, user_id, battle.token, choice, at=at, rules=rules)


def vote_for_model(session, user_id, winner_slug, at, rules=None):
    """Vote so that the named model wins, whichever side it was served on."""
    battle = serve(session, user_id, "general")
    left = session.get(Response, battle.response_a_id).model.slug
    choice = "a" if left == winner_slug else "b"
    return cast(session, user_id, battle.token, choice, at=at, rules=rules)


def ledger(session, user_id=None):
    query = select(PointEvent.reason, func.sum(PointEvent.amount)).group_by(PointEvent.reason)
    if user_id:
        query = query.where(PointEvent.user_id == user_id)
    return dict(session.execute(query).tuples().all())


def held(session, user_id):
    return set(session.scalars(select(UserBadge.badge).where(UserBadge.user_id == user_id)))


# -- pure rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (["1", "1", "1", "2"], None),  # 4 votes: below min_votes 5
        (["1", "1", "1", "2", "tie"], "1"),  # 3 of 5 > 50 %
        (["1", "1", "2", "2", "tie"], None),  # no majority
        (["tie"] * 5, "tie"),
    ],
)
def test_consensus_needs_enough_votes_and_a_majority(outcomes, expected):
    assert consensus_outcome(outcomes, min_votes=5, majority=0.5) == expected


@pytest.mark.parametrize(
    ("last_day_offset", "days", "expected"),
    [(None, 0, 1), (0, 4, 4), (-1, 4, 5), (-2, 4, 1)],
)
def test_next_streak(last_day_offset, days, expected):
    today = MONDAY.date()
    last = today + timedelta(days=last_day_offset) if last_day_offset is not None else None
    assert badges.next_streak(last, days, today) == expected


def test_badge_progress_and_quality_threshold():
    quality = BadgeRule("q", "Q", "silver", "*", "quality", "", {"rate": 0.7, "min_votes": 10})
    activity = badges.Activity({"vote": 10}, 0, verdicts=9, agreements=9, discoveries=0)
    assert badges.progress(quality, activity) == (9, 10)  # not enough decided votes yet
    activity.verdicts, activity.agreements = 10, 7
    assert badges.qualifies(quality, activity)
    activity.agreements = 6
    assert not badges.qualifies(quality, activity)


def test_ranks_follow_points():
    rules = default_rules()
    assert rank_for(0, rules)[0].name == "Newcomer"
    rank, following = rank_for(120, rules)
    assert (rank.name, following.name, following.points) == ("Regular", "Judge", 500)
    assert rank_for(10**6, rules)[1] is None


# What seeds/gamification/badges.json promises per kind: the tiers it ships and how many badges.
SHIPPED_BADGES = {
    "first": ({"bronze"}, 3),  # one per action: vote, chat shared, audit
    "volume": ({"bronze", "silver", "gold"}, 8),  # votes, ties, both bad, chats, audits
    "streak": ({"bronze", "silver", "gold"}, 3),
    "quality": ({"bronze", "silver", "gold"}, 3),
    "discovery": ({"bronze", "silver", "gold"}, 3),
    "community": ({"gold"}, 1),
}


def test_shipped_badges_cover_every_kind_and_add_up_to_what_the_readme_says():
    rules = default_rules()
    assert set(SHIPPED_BADGES) == set(BADGE_KINDS)
    assert len({b.slug for b in rules.badges}) == len(rules.badges) >= 20
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"\b(\d+) badges\b", readme)) == {str(len(rules.badges))}


@pytest.mark.parametrize("kind", sorted(SHIPPED_BADGES))
def test_each_kind_ships_its_tiers_in_rising_order(kind):
    tiers, count = SHIPPED_BADGES[kind]
    shipped = [b for b in default_rules().badges if b.kind == kind]
    assert ({b.tier for b in shipped}, len(shipped)) == (tiers, count)
    # Within one criterion (an action, or none), a higher tier never asks for less.
    threshold = {"volume": "count", "streak": "days", "quality": "rate", "discovery": "count"}
    if kind in threshold:
        by_action = {}
        for badge in shipped:
            by_action.setdefault(badge.params.get("action"), []).append(badge)
        for ladder in by_action.values():
            ladder.sort(key=lambda b: (TIERS.index(b.tier), b.params[threshold[kind]]))
            needs = [b.params[threshold[kind]] for b in ladder]
            assert needs == sorted(needs) and len(set(needs)) == len(needs), ladder
    if kind == "first":
        assert len({b.params["action"] for b in shipped}) == count  # one badge per action


# -- histories ---------------------------------------------------------------------------------


def test_daily_cap_limits_vote_points_per_utc_day(app):
    rules = rules_with(vote_cap=3)
    with app.app_context():
        make_world(db.session, models=4, prompts=10)
        old_models(db.session)
        user, _ = make_voter(db.session)
        for minute in range(5):
            vote(db.session, user.id, MONDAY + timedelta(minutes=minute), rules=rules)
        assert ledger(db.session, user.id) == {"vote": 3}
        vote(db.session, user.id, MONDAY + timedelta(days=1), rules=rules)
        assert ledger(db.session, user.id) == {"vote": 4}
        assert points.total_points(db.session, user.id) == 4
        sunday_night = MONDAY + timedelta(days=6, hours=11)
        assert points.points_this_week(db.session, user.id, sunday_night) == 4
        assert points.points_this_week(db.session, user.id, MONDAY + timedelta(days=7)) == 0


def test_streaks_count_consecutive_days_and_restart_after_a_gap(app):
    streak_3 = BadgeRule("streak-3", "Three Days", "bronze", "*", "streak", "", {"days": 3})
    rules = rules_with(badges=[streak_3])
    with app.app_context():
        make_world(db.session, models=3, prompts=10)
        user, _ = make_voter(db.session)
        for day in (0, 1, 3, 4):  # a gap on day 2
            vote(db.session, user.id, MONDAY + timedelta(days=day), rules=rules)
            vote(db.session, user.id, MONDAY + timedelta(days=day, hours=3), rules=rules)
        assert badges.current_streak(db.session, user.id, MONDAY + timedelta(days=4)) == 2
        assert "streak-3" not in held(db.session, user.id)
        vote(db.session, user.id, MONDAY + timedelta(days=5), rules=rules)
        assert badges.current_streak(db.session, user.id, MONDAY + timedelta(days=5)) == 3
        assert "streak-3" in held(db.session, user.id)
        assert badges.current_streak(db.session, user.id, MONDAY + timedelta(days=7)) == 0


def test_votes_agreeing_with_the_later_consensus_earn_points(app):
    with app.app_context():
        make_world(db.session, models=2, prompts=1, communities=("general",))
        old_models(db.session)
        voters = [make_voter(db.session, f"voter{n}")[0].id for n in range(6)]
        winners = ["model-0", "model-0", "model-1", "model-0", "model-1"]
        for minute, (voter, winner) in enumerate(zip(voters, winners, strict=False)):
            vote_for_model(db.session, voter, winner, MONDAY + timedelta(minutes=minute))
        verdicts = dict(db.session.execute(select(VoteVerdict.voter_id, VoteVerdict.agrees)).all())
        assert verdicts == {
            voters[0]: True,
            voters[1]: True,
            voters[2]: False,
            voters[3]: True,
            voters[4]: False,
        }
        assert ledger(db.session, voters[0]) == {"vote": 1, "vote_agrees": 2}
        assert ledger(db.session, voters[2]) == {"vote": 1}
        # A later vote is judged at once against the consensus that already exists.
        vote_for_model(db.session, voters[5], "model-0", MONDAY + timedelta(minutes=9))
        assert ledger(db.session, voters[5]) == {"vote": 1, "vote_agrees": 2}


def test_a_model_there_before_the_voter_joined_is_never_a_discovery(app):
    """Seeded models without a single vote are not new to someone who joins after them."""
    with app.app_context():
        make_world(db.session, models=2, prompts=3, communities=("general",))
        added_at(db.session, MONDAY - timedelta(days=1))  # within the window, never voted on
        newcomer, _ = make_voter(db.session, "newcomer")
        joined_at(db.session, MONDAY - timedelta(hours=1), newcomer.id)
        vote(db.session, newcomer.id, MONDAY)
        assert ledger(db.session, newcomer.id) == {"vote": 1}
        assert "discovery-1" not in held(db.session, newcomer.id)


def test_a_model_added_after_the_voter_joined_is_discovered_by_its_first_votes(app):
    rules = default_rules()
    assert (rules.discovery_first_votes, rules.discovery_window_days) == (3, 14)
    with app.app_context():
        make_world(db.session, models=2, prompts=6, communities=("general",))
        voters = [make_voter(db.session, f"voter{n}")[0].id for n in range(4)]
        joined_at(db.session, MONDAY - timedelta(days=30), *voters)
        added_at(db.session, MONDAY - timedelta(days=20), ["model-0"])  # past the window
        added_at(db.session, MONDAY, ["model-1"])
        for n, voter in enumerate(voters):  # each vote is on the only pair, model-0/model-1
            vote(db.session, voter, MONDAY + timedelta(hours=n))
        # The first three votes on model-1 discover it; the fourth is one vote too late.
        assert [ledger(db.session, v).get("discovery", 0) for v in voters] == [3, 3, 3, 0]
        discoverers = ["discovery-1" in held(db.session, v) for v in voters]
        assert discoverers == [True, True, True, False]
        refs = db.session.scalars(select(PointEvent.ref_id).where(PointEvent.reason == "discovery"))
        assert set(refs) == {
            db.session.scalar(select(LanguageModel.id).where(LanguageModel.slug == "model-1"))
        }


def test_a_discovery_needs_the_model_to_be_recent(app):
    with app.app_context():
        make_world(db.session, models=2, prompts=3, communities=("general",))
        early, _ = make_voter(db.session, "early")
        joined_at(db.session, MONDAY - timedelta(days=30), early.id)
        added_at(db.session, MONDAY - timedelta(days=15))  # after joining, but 15 days ago
        vote(db.session, early.id, MONDAY)
        assert ledger(db.session, early.id) == {"vote": 1}


def test_weekly_champion_is_crowned_at_the_first_vote_of_the_next_week(app):
    with app.app_context():
        make_world(db.session, models=3, prompts=20, communities=("general",))
        old_models(db.session)
        keen, _ = make_voter(db.session, "keen")
        casual, _ = make_voter(db.session, "casual")
        for minute in range(3):
            vote(db.session, keen.id, MONDAY + timedelta(minutes=minute))
        vote(db.session, casual.id, MONDAY + timedelta(hours=1))
        assert not db.session.scalar(
            select(UserBadge.id).where(UserBadge.badge == "community-champion")
        )
        vote(db.session, casual.id, MONDAY + timedelta(days=7))
        crowned = db.session.execute(
            select(UserBadge.user_id, UserBadge.scope).where(
                UserBadge.badge == "community-champion"
            )
        ).all()
        assert crowned == [(keen.id, "general:2026-W45")]
        vote(db.session, casual.id, MONDAY + timedelta(days=7, minutes=5))
        assert (
            db.session.scalar(
                select(func.count(UserBadge.id)).where(UserBadge.badge == "community-champion")
            )
            == 1
        )


def test_replaying_votes_reproduces_ledger_verdicts_and_badges(app):
    def snapshot():
        return (
            sorted(
                db.session.execute(
                    select(
                        PointEvent.user_id,
                        PointEvent.reason,
                        PointEvent.amount,
                        PointEvent.ref_type,
                        PointEvent.ref_id,
                    )
                ).all()
            ),
            sorted(db.session.execute(select(VoteVerdict.vote_id, VoteVerdict.agrees)).all()),
            sorted(
                db.session.execute(
                    select(UserBadge.user_id, UserBadge.badge, UserBadge.scope)
                ).all()
            ),
            sorted(
                db.session.execute(
                    select(
                        PointTotal.user_id, PointTotal.board, PointTotal.scope, PointTotal.points
                    )
                ).all()
            ),
        )

    with app.app_context():
        make_world(db.session, models=3, prompts=2, communities=("general",))
        # 5 voters x 6 pairs (3 models, 2 prompts): every pair reaches the 5 votes of consensus.
        voters = [make_voter(db.session, f"voter{n}")[0].id for n in range(5)]
        joined_at(db.session, MONDAY - timedelta(days=9), *voters)
        added_at(db.session, MONDAY - timedelta(days=2))  # new to them: the first votes discover
        for step in range(30):
            at = MONDAY + timedelta(days=step // 3, minutes=step)
            vote(db.session, voters[step % 5], at, choice=("a", "b", "tie")[step % 3])
        live = snapshot()
        assert live[1] and live[2]  # the history did produce verdicts and badges
        assert {"discovery-1", "first-vote"} <= {badge for _, badge, _ in live[2]}
        result = app.test_cli_runner().invoke(args=["arena", "rebuild-points", "--replay-votes"])
        assert result.exit_code == 0, result.output
        assert snapshot() == live


def test_rebuild_points_restores_corrupted_totals(app, api):
    for _ in range(3):
        api.vote(api.battle()["token"])
    with app.app_context():
        live = sorted(
            db.session.execute(
                select(PointTotal.user_id, PointTotal.scope, PointTotal.points)
            ).all()
        )
        db.session.execute(PointTotal.__table__.update().values(points=999))
        db.session.commit()
    assert "Rebuilt" in app.test_cli_runner().invoke(args=["arena", "rebuild-points"]).output
    with app.app_context():
        assert (
            sorted(
                db.session.execute(
                    select(PointTotal.user_id, PointTotal.scope, PointTotal.points)
                ).all()
            )
            == live
        )


def test_concurrent_votes_award_each_badge_once(any_app, any_world):
    client = api_client_for(any_app)
    with any_app.app_context():
        added_at(db.session, datetime.now(UTC))  # after the voter joined: 4 new models
    battles = [client.battle()["token"] for _ in range(12)]
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda token: client.vote(token, "a").status_code, battles))
    assert statuses == [200] * 12
    with any_app.app_context():
        awarded = (
            db.session.execute(select(UserBadge.badge, func.count()).group_by(UserBadge.badge))
            .tuples()
            .all()
        )
        assert dict(awarded) == {"first-vote": 1, "discovery-1": 1}
        assert ledger(db.session)["vote"] == 12
        user_id = db.session.scalar(select(Battle.voter_id))
        assert points.total_points(db.session, user_id) == 12 + 3 * 4  # 4 brand-new models

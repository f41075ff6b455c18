"""Guests never take an award from a member: not the weekly crown, not a discovery, not a
contributor's popular-pair points; and purging guests leaves the points ledger as a replay of
the votes rebuilds it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from arena.core import accounts
from arena.core.clock import week_start
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.game.rules import default_rules
from arena.models import (
    Battle,
    LanguageModel,
    PointEvent,
    Prompt,
    Response,
    User,
    UserBadge,
    utcnow,
)
from arena.voting import checks, trust
from tests.factories import cast, make_voter, make_world, serve

RULES = trust.load_policy(trust.PROJECT_ROOT / "tests" / "data" / "integrity_guests.json")


@pytest.fixture(autouse=True)
def guest_rules(monkeypatch):
    """Probation lasts 6 votes, so a guest may vote (the tests' open rules have no guests)."""
    monkeypatch.setattr(trust, "default_policy", lambda: RULES)
    checks.clear_cache()


def new_guest(session) -> int:
    with unit_of_work(session):
        return accounts.create_guest(session).id


def ledger(session) -> list[tuple]:
    session.expire_all()
    columns = (PointEvent.user_id, PointEvent.reason, PointEvent.ref_type, PointEvent.ref_id)
    return sorted(session.execute(select(*columns, PointEvent.amount)).tuples())


def test_a_guest_is_never_crowned_the_weeks_champion(app, world):
    session = db.session
    now = utcnow()
    last_week = week_start(now) - timedelta(days=6)
    with app.app_context():
        alice, _ = make_voter(session, "alice")
        guest = new_guest(session)
        for minute in range(5):  # five points last week: more than alice's one
            battle = serve(session, guest, "general")
            cast(session, guest, battle.token, "a", at=last_week + timedelta(minutes=minute))
        battle = serve(session, alice.id, "general")
        cast(session, alice.id, battle.token, "a", at=last_week + timedelta(minutes=10))
        battle = serve(session, alice.id, "general")
        cast(session, alice.id, battle.token, "b", at=now)  # this week's first vote crowns
        crowned = session.execute(
            select(UserBadge.user_id).where(UserBadge.badge == champion_badge())
        ).scalars()
        assert list(crowned) == [alice.id]


def champion_badge() -> str:
    return next(rule.slug for rule in default_rules().badges if rule.kind == "community")


def test_guest_votes_take_no_discovery_from_a_member_and_a_purge_keeps_the_ledger(app):
    """A model arrives; a guest casts its first votes, then alice (who joined before the
    model) votes on it: hers are among its first counted votes, so she discovers it. Purging
    the guest then leaves the ledger exactly as `rebuild-points --replay-votes` makes it."""
    session = db.session
    now = utcnow()
    with app.app_context():
        make_world(session, models=1)
        alice, _ = make_voter(session, "alice")
        with unit_of_work(session):
            session.execute(
                update(User).where(User.id == alice.id).values(created_at=now - timedelta(days=50))
            )
            session.execute(update(LanguageModel).values(created_at=now - timedelta(days=60)))
            newcomer = LanguageModel(
                slug="model-new", name="Newcomer", organization="Lab N",
                created_at=now - timedelta(days=40),
            )  # fmt: skip
            session.add(newcomer)
            session.flush()
            for prompt in session.scalars(select(Prompt)):
                session.add(Response(prompt=prompt, model=newcomer, text=f"new answer {prompt.id}"))
        guest = new_guest(session)
        for minute in range(3):
            battle = serve(session, guest)
            cast(session, guest, battle.token, "a", at=now - timedelta(days=39, minutes=-minute))
        battle = serve(session, alice.id)
        cast(session, alice.id, battle.token, "b", at=now - timedelta(days=38))
        discoveries = select(func.count()).where(
            PointEvent.user_id == alice.id, PointEvent.reason == "discovery"
        )
        assert session.scalar(discoveries) == 1
        with unit_of_work(session):  # the guest is stale: idle for more than 30 days
            session.execute(
                update(User).where(User.id == guest).values(created_at=now - timedelta(days=39))
            )
            session.execute(update(Battle).values(served_at=now - timedelta(days=39)))
        runner = app.test_cli_runner()
        assert "Deleted 1 stale guest(s)." in runner.invoke(args=["arena", "purge-guests"]).output
        purged = ledger(session)
        assert not any(user == guest for user, *_ in purged)
        replayed = runner.invoke(args=["arena", "rebuild-points", "--replay-votes"])
        assert replayed.exit_code == 0, replayed.output
        assert ledger(session) == purged

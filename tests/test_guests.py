"""Trying before signing up (voting/guests.py, web/guests.py): a visitor votes on a few battles as
a guest, is invited to sign up, and signing up keeps the votes and points. Guest votes count for
nothing until the member graduates; rebuilds reproduce; the purge forgets stale guests exactly.
"""

import dataclasses
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from arena.core import accounts
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import (
    Battle,
    PairTally,
    PointEvent,
    PointTotal,
    Prompt,
    Rating,
    User,
    Vote,
    VoterStanding,
    utcnow,
)
from arena.voting import battles as voting
from arena.voting import boards, checks, guests, ratings, tallies, trust
from arena.voting.selection import BoardKey
from tests.conftest import build_app, close_app, csrf_token, sign_up
from tests.factories import cast, make_voter, make_world, serve
from tests.test_vote_integrity import import_votes

RULES = trust.load_policy(trust.PROJECT_ROOT / "tests" / "data" / "integrity_guests.json")
PASSWORD = "correct horse battery"
TOKEN_IN_FORM = re.compile(r'action="/arena/([^/"]+)/vote"')


@pytest.fixture(autouse=True)
def guest_rules(monkeypatch):
    """Probation lasts 6 votes, so a guest may try 5 battles (the tests' open rules allow none)."""
    monkeypatch.setattr(trust, "default_policy", lambda: RULES)
    checks.clear_cache()


def try_battle(client):
    reply = client.post("/try", data={"csrf_token": csrf_token(client, "/")})
    assert reply.status_code == 302 and reply.headers["Location"] == "/arena", reply.status
    return reply


def vote_on_page(client, choice="a") -> str:
    token = TOKEN_IN_FORM.search(client.get("/arena").get_data(as_text=True)).group(1)
    reply = client.post(
        f"/arena/{token}/vote", data={"choice": choice, "csrf_token": csrf_token(client, "/")}
    )
    assert reply.headers["Location"] == f"/arena/{token}/result", reply.status
    return token


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def the_guest() -> User:
    return db.session.scalar(select(User).where(User.is_guest))


# -- trying -----------------------------------------------------------------------------------


def test_a_visitor_is_offered_a_try_and_nothing_is_written_until_it_posts(app, world):
    client = app.test_client()
    page = client.get("/arena").get_data(as_text=True)
    assert 'action="/try"' in page and "Try up to 5 battles" in page
    assert 'action="/try"' in client.get("/").get_data(as_text=True)
    assert client.get("/try").status_code == 405  # no GET makes a guest
    refused = client.post("/try")  # no form token
    assert refused.status_code == 400
    with app.app_context():
        assert count(User) == count(Battle) == 0
    try_battle(client)
    with app.app_context():
        guest = the_guest()
        assert guest.username.startswith("~") and not accounts.USERNAME_PATTERN.match(
            guest.username
        )
        assert accounts.authenticate(db.session, guest.username, "", utcnow()) is None


def test_without_probation_there_are_no_guests(app, world, monkeypatch):
    monkeypatch.setattr(
        trust, "default_policy", lambda: dataclasses.replace(RULES, probation_votes=0)
    )
    client = app.test_client()
    reply = client.get("/arena")
    assert reply.status_code == 302 and "/signup?next=" in reply.headers["Location"]
    assert 'action="/try"' not in client.get("/").get_data(as_text=True)
    refused = client.post("/try", data={"csrf_token": csrf_token(client, "/")})
    assert refused.headers["Location"] == "/signup"
    with app.app_context():
        assert count(User) == 0


def test_a_guest_votes_sees_the_reveal_and_is_invited_after_its_allowance(app, world):
    client = app.test_client()
    try_battle(client)
    assert "Guest · 0 of 5 votes" in client.get("/").get_data(as_text=True)
    for number in range(1, 6):
        token = vote_on_page(client, "ab"[number % 2])
        reveal = client.get(f"/arena/{token}/result").get_data(as_text=True)
        assert 'id="guest-invite"' in reveal and f"{number} of 5 votes" in reveal
        assert f"Guest · {number} of 5 votes" in reveal
    with app.app_context():
        guest_id, battles_served = the_guest().id, count(Battle)
        points = guests.tried(db.session, guest_id).points
    invitation = client.get("/arena").get_data(as_text=True)
    assert 'id="guest-invitation"' in invitation and "vote-form" not in invitation
    assert f"Your 5 votes and {points} points wait for you" in invitation
    with app.app_context():
        assert count(Battle) == battles_served  # the invitation serves nothing
        late = serve(db.session, guest_id)  # a battle a second tab held on to
        late_token = late.token
    reply = client.post(
        f"/arena/{late_token}/vote", data={"choice": "a", "csrf_token": csrf_token(client, "/")}
    )
    assert reply.headers["Location"] == "/arena"
    assert "Guests can vote on 5 battles" in client.get("/arena").get_data(as_text=True)
    with app.app_context():
        assert count(Vote) == 5
        assert db.session.scalar(select(Battle.status).where(Battle.token == late_token)) == "open"


def test_what_needs_an_account_refuses_a_guest_and_writes_nothing(app, world):
    client = app.test_client()
    try_battle(client)
    token = csrf_token(client, "/")
    profile = client.get("/profile")
    assert profile.status_code == 302 and profile.headers["Location"].startswith("/signup")
    assert "That needs an account" in client.get("/signup").get_data(as_text=True)
    asked = client.post("/arena/custom", data={"prompt": "Hello?", "csrf_token": token})
    assert asked.status_code == 403 and "That needs an account" in asked.get_data(as_text=True)
    shared = client.post("/prompts", data={"text": "A prompt", "csrf_token": token})
    assert shared.status_code == 403
    minted = client.post("/profile/tokens", data={"label": "x", "csrf_token": token})
    assert minted.status_code == 403
    api = client.post("/api/v1/battles", json={}, headers={"X-CSRFToken": token})
    assert api.status_code == 401  # a guest's session is no one's to the API
    with app.app_context():
        assert count(Battle) == 0 and count(Prompt) == len(world["prompts"])


def try_community(client, slug):
    return client.post("/try", data={"csrf_token": csrf_token(client, "/"), "community": slug})


def test_trying_an_unknown_community_is_a_404_that_writes_nothing(app, world):
    client = app.test_client()
    assert try_community(client, "nope").status_code == 404
    with app.app_context():
        assert count(User) == count(Battle) == 0
    assert try_community(client, "general").headers["Location"] == "/arena?community=general"


# -- signing up -------------------------------------------------------------------------------


def test_signing_up_turns_the_guest_into_the_member_with_its_votes_and_points(app, world):
    client = app.test_client()
    try_battle(client)
    for choice in ("a", "b", "tie"):
        vote_on_page(client, choice)
    with app.app_context():
        guest = the_guest()
        guest_id, created, kept = guest.id, guest.created_at, guests.tried(db.session, guest.id)
    other_tab = app.test_client()
    other_tab.set_cookie("session", client.get_cookie("session").value)
    assert "Guest · 3 of 5 votes" in client.get("/signup").get_data(as_text=True)
    reply = sign_up(client, "newcomer", PASSWORD)
    assert reply.status_code == 302
    welcome = client.get("/arena").get_data(as_text=True)
    assert f"Your 3 votes and {kept.points} points are now yours." in welcome
    assert "newcomer" in welcome and "Guest ·" not in welcome
    with app.app_context():
        member = db.session.get(User, guest_id)
        assert (member.username, member.is_guest, member.created_at) == ("newcomer", False, created)
        assert guests.tried(db.session, guest_id) == kept
        assert count(User) == 1
    assert "vote-form" not in other_tab.get("/arena").get_data(as_text=True)  # guest session ended
    assert sign_up(client, "second", PASSWORD).status_code == 302  # a member signs up anew
    with app.app_context():
        assert count(User) == 2


def test_logging_in_while_a_guest_leaves_the_guest_votes_behind(app, world):
    sign_up(app.test_client(), "alice", PASSWORD)
    client = app.test_client()
    try_battle(client)
    vote_on_page(client)
    login = {"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    assert client.post("/login", data=login).status_code == 302
    assert "The 1 vote you cast as a guest stays behind" in client.get("/").get_data(as_text=True)
    with app.app_context():
        alice = accounts.find_user(db.session, "alice")
        assert guests.tried(db.session, alice.id).votes == 0
        assert guests.tried(db.session, the_guest().id).votes == 1


def test_no_guest_is_on_a_people_board(app, world):
    member = app.test_client()
    sign_up(member, "alice", PASSWORD)
    vote_on_page(member)
    client = app.test_client()
    try_battle(client)
    vote_on_page(client)
    with app.app_context():
        guest = the_guest()
        assert guests.tried(db.session, guest.id).points > 0
        name = guest.username
    for url in ("/people", "/people?period=week", "/api/v1/people"):
        page = app.test_client().get(url).get_data(as_text=True)
        assert "alice" in page and name not in page, url


# -- counting ---------------------------------------------------------------------------------


def _board_total(session) -> int:
    return boards.pair_counts(session, BoardKey()).total


def _ratings(session) -> list[tuple]:
    rows = session.execute(select(Rating.model_id, Rating.scope, Rating.mu, Rating.sigma))
    return sorted((model, scope, round(mu, 9), round(sigma, 9)) for model, scope, mu, sigma in rows)


def test_guest_votes_count_once_the_member_graduates_and_rebuilds_agree(any_app, any_world):
    client = any_app.test_client()
    try_battle(client)
    for choice in ("a", "b", "a", "tie", "b"):
        vote_on_page(client, choice)
    with any_app.app_context():
        session = db.session
        untouched = _ratings(session)
        assert _board_total(session) == 0
        assert set(session.scalars(select(Vote.voter_trust))) == {"probation"}
        assert set(session.scalars(select(PairTally.trust))) == {"probation"}
    sign_up(client, "newcomer", PASSWORD)
    vote_on_page(client)  # the sixth vote, still on probation: it graduates the member
    with any_app.app_context():
        session = db.session
        assert _ratings(session) == untouched  # TrueSkill keeps only votes cast while counted
        assert _board_total(session) == 6  # published boards take a graduate's probation votes
    vote_on_page(client)
    with any_app.app_context():
        session = db.session
        moved, recorded = _ratings(session), session.scalars(select(Vote.voter_trust)).all()
        assert moved != untouched and recorded == ["probation"] * 6 + ["counted"]
        with unit_of_work(session):
            ratings.rebuild_ratings(session)
        session.expire_all()
        assert _ratings(session) == moved
        assert session.scalars(select(Vote.voter_trust).order_by(Vote.id)).all() == recorded


def test_a_guest_is_never_counted_whatever_its_counts(any_app, any_world):
    """Where probation lasts exactly as many votes as a guest may cast, a guest's last vote
    takes its counts to `counted`: it stays on probation, and the rebuild agrees."""
    rules = dataclasses.replace(RULES, probation_votes=5)
    session = db.session
    with any_app.app_context():
        with unit_of_work(session):
            guest_id = accounts.create_guest(session).id
        for _ in range(5):
            battle = serve(session, guest_id)
            cast(session, guest_id, battle.token, "a", policy=rules)
        assert session.get(VoterStanding, guest_id).state == "probation"
        with unit_of_work(session):
            trust.rebuild_standings(session, rules)
        session.expire_all()
        assert session.get(VoterStanding, guest_id).state == "probation"
        assert set(session.scalars(select(Vote.voter_trust))) == {"probation"}
        with unit_of_work(session):  # rules shortened since: still none of a guest's counts
            trust.rebuild_standings(session, dataclasses.replace(rules, probation_votes=3))
        session.expire_all()
        assert set(session.scalars(select(Vote.voter_trust))) == {"probation"}
        with unit_of_work(session):
            guests.claim(session, session.get(User, guest_id), "member", PASSWORD, rules)
        assert session.get(VoterStanding, guest_id).state == "counted"


def test_a_guest_failing_checks_stays_excluded_after_sign_up(any_app, any_world):
    rules = dataclasses.replace(
        RULES, probation_checks=1, min_checks=2, check_share_in_probation=1.0
    )
    session = db.session
    with any_app.app_context():
        import_votes(session, any_world)  # unanimous imported votes: known-answer checks
        checks.clear_cache()
        with unit_of_work(session):
            guest_id = accounts.create_guest(session).id
        for _ in range(2):
            with unit_of_work(session):
                battle = voting.serve_battle(session, guest_id, policy=rules)
            assert battle.expected in ("a", "b")  # a check, served to the guest on probation
            wrong = "b" if battle.expected == "a" else "a"
            cast(session, guest_id, battle.token, wrong, policy=rules)
        assert session.get(VoterStanding, guest_id).state == "excluded"
        with unit_of_work(session):
            trust.rebuild_standings(session, rules)
        session.expire_all()
        assert session.get(VoterStanding, guest_id).state == "excluded"
        with unit_of_work(session):
            guests.claim(session, session.get(User, guest_id), "member", PASSWORD, rules)
        recorded = session.scalars(select(Vote.voter_trust).where(Vote.voter_id == guest_id)).all()
        with unit_of_work(session):
            trust.rebuild_standings(session, rules)
        session.expire_all()
        assert session.get(VoterStanding, guest_id).state == "excluded"
        again = session.scalars(select(Vote.voter_trust).where(Vote.voter_id == guest_id)).all()
        assert again == recorded == ["probation", "probation"]


# -- limits and the purge ---------------------------------------------------------------------


def test_an_address_starts_a_few_guests_an_hour(tmp_path):
    app = build_app(tmp_path, RATELIMIT_ENABLED=True, GUESTS_PER_HOUR=3)
    try:
        with app.app_context():
            make_world(db.session)
        for _ in range(3):
            try_battle(app.test_client())
        client = app.test_client()
        refused = client.post("/try", data={"csrf_token": csrf_token(client, "/")})
        assert refused.status_code == 429
        elsewhere = app.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
        try_battle(elsewhere)
        with app.app_context():
            assert count(User) == 4
    finally:
        close_app(app)


def test_an_unknown_community_uses_up_no_guest_of_the_address(tmp_path):
    app = build_app(tmp_path, RATELIMIT_ENABLED=True, GUESTS_PER_HOUR=1)
    try:
        with app.app_context():
            make_world(db.session)
        assert try_community(app.test_client(), "nope").status_code == 404
        try_battle(app.test_client())
        with app.app_context():
            assert count(User) == 1
    finally:
        close_app(app)


def _tallies(session) -> list[tuple]:
    columns = [column for column in PairTally.__table__.c if column.name != "id"]
    return sorted(tuple(row) for row in session.execute(select(*columns)))


def test_purge_guests_forgets_stale_guests_and_leaves_rebuilds_exact(any_app, any_world):
    session = db.session
    long_ago = utcnow() - timedelta(days=40)
    with any_app.app_context():
        stale = _guest_with_votes(session, 3, at=long_ago)
        recent = _guest_with_votes(session, 2, at=utcnow())
        with unit_of_work(session):
            browsing = accounts.create_guest(session).id
        member, _ = make_voter(session, "member")
        for _ in range(2):
            battle = serve(session, member.id)
            cast(session, member.id, battle.token, "b")
        with unit_of_work(session):
            session.execute(update(User).values(created_at=long_ago))
            session.execute(update(Battle).values(served_at=long_ago))
        serve(session, browsing)  # served a battle just now, not voted yet
        assert session.scalar(select(func.count()).where(PointEvent.user_id == stale)) > 0
        result = any_app.test_cli_runner().invoke(args=["arena", "purge-guests"])
        assert result.exit_code == 0 and "Deleted 1 stale guest(s)." in result.output, result.output
        session.expire_all()
        assert session.get(User, stale) is None
        assert session.get(User, recent).is_guest and session.get(User, browsing).is_guest
        for model, column in ((Vote, Vote.voter_id), (Battle, Battle.voter_id),
                              (PointEvent, PointEvent.user_id), (PointTotal, PointTotal.user_id),
                              (VoterStanding, VoterStanding.user_id)):  # fmt: skip
            assert (
                session.scalar(select(func.count()).select_from(model).where(column == stale)) == 0
            )
        assert session.scalar(select(func.count()).where(Vote.voter_id == recent)) == 2
        kept, live = _tallies(session), _ratings(session)
        with unit_of_work(session):
            tallies.rebuild(session)
            ratings.rebuild_ratings(session)
        assert _tallies(session) == kept and _ratings(session) == live
        again = any_app.test_cli_runner().invoke(args=["arena", "purge-guests"])
        assert "Deleted 0 stale guest(s)." in again.output


def _guest_with_votes(session, votes: int, at) -> int:
    with unit_of_work(session):
        guest_id = accounts.create_guest(session).id
    for number in range(votes):
        battle = serve(session, guest_id, "coding" if number % 2 else "general")
        cast(session, guest_id, battle.token, "ab"[number % 2], at=at + timedelta(minutes=number))
    return guest_id


def test_a_purge_skips_a_guest_signing_up_at_that_moment(tmp_path, postgres_url):
    """PostgreSQL: a sign-up holds the guest's row; the purge passes it by instead of deleting
    the votes of the member it is becoming (or waiting on it)."""
    from sqlalchemy import create_engine, text

    app = build_app(tmp_path, postgres_url)
    try:
        with app.app_context():
            make_world(db.session)
            long_ago = utcnow() - timedelta(days=40)
            guest = _guest_with_votes(db.session, 2, at=long_ago)
            with unit_of_work(db.session):
                db.session.execute(update(User).values(created_at=long_ago))
                db.session.execute(update(Battle).values(served_at=long_ago))
            engine = create_engine(postgres_url)
            with engine.connect() as signing_up:
                signing_up.execute(
                    text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": guest}
                )
                with unit_of_work(db.session):
                    db.session.execute(text("SET LOCAL lock_timeout = '3s'"))
                    assert guests.purge_stale(db.session, utcnow()) == 0
                signing_up.rollback()
            engine.dispose()
            assert db.session.scalar(select(func.count()).where(Vote.voter_id == guest)) == 2
            with unit_of_work(db.session):
                assert guests.purge_stale(db.session, utcnow()) == 1
    finally:
        close_app(app)

"""Accounts hardened: revocable sessions, scoped expiring tokens, password rules, constant-time
log-in and per-account backoff, on SQLite and PostgreSQL."""

import hashlib
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text, update

from arena import MIGRATIONS_DIR, create_app
from arena.core import accounts
from arena.core.clock import as_utc
from arena.core.db import unit_of_work
from arena.core.errors import InvalidInput
from arena.extensions import db
from arena.models import ApiToken, User, utcnow
from arena.models.accounts import LoginThrottle
from arena.web.api.access import WRITE_SCOPES
from arena.web.api.spec import OPERATIONS
from tests.conftest import ApiClient, app_config, csrf_token, sign_up
from tests.factories import make_voter

PASSWORD = "correct horse"
NEW_PASSWORD = "violet kettle orbit"


def log_in(client, username="alice", password=PASSWORD):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def logged_in(client) -> bool:
    return client.get("/profile").status_code == 200


def client_with_cookie(app, name: str, value: str):
    client = app.test_client()
    client.set_cookie(name, value)
    return client


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": confirm or new,
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )


# --- Sessions and remember cookies -----------------------------------------------------------


def test_a_session_cookie_captured_before_logout_is_refused_after_it(any_app, any_world):
    client = any_app.test_client()
    assert sign_up(client).status_code == 302
    captured = client.get_cookie("session").value
    assert logged_in(client_with_cookie(any_app, "session", captured))  # the copy works...
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert not logged_in(client)
    assert not logged_in(client_with_cookie(any_app, "session", captured))  # ...until logout


def test_a_remember_cookie_captured_before_a_password_change_is_refused_after_it(
    any_app, any_world
):
    sign_up(any_app.test_client())
    laptop, phone = any_app.test_client(), any_app.test_client()
    assert log_in(laptop).status_code == 302 and log_in(phone).status_code == 302
    remembered = phone.get_cookie("remember_token").value
    assert logged_in(client_with_cookie(any_app, "remember_token", remembered))
    assert change_password(laptop).status_code == 302
    assert logged_in(laptop)  # the browser that changed it stays in
    assert not logged_in(phone)
    assert not logged_in(client_with_cookie(any_app, "remember_token", remembered))
    assert log_in(any_app.test_client(), password=PASSWORD).status_code == 400
    assert log_in(any_app.test_client(), password=NEW_PASSWORD).status_code == 302


def test_logout_ends_the_sessions_on_other_devices_too(any_app, any_world):
    sign_up(any_app.test_client())
    laptop, phone = any_app.test_client(), any_app.test_client()
    log_in(laptop), log_in(phone)
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/")})
    assert not logged_in(phone)


def test_session_ids_without_a_current_version_are_refused(app, world):
    with app.app_context():
        user, _ = make_voter(db.session, "sam")
        user_id, version = user.id, user.session_version
        assert accounts.user_for_session(db.session, f"{user_id}:{version}").id == user_id
        for stale in (str(user_id), f"{user_id}:{version + 1}", f"{10**30}:0", "x:0", ""):
            assert accounts.user_for_session(db.session, stale) is None


def test_the_password_page_needs_login_and_the_current_password(app, world):
    assert app.test_client().get("/account/password").status_code == 302
    client = app.test_client()
    sign_up(client)
    wrong = change_password(client, current="not my password")
    assert wrong.status_code == 400 and "not your current password" in wrong.get_data(as_text=True)
    unsigned = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert unsigned.status_code == 400
    assert log_in(app.test_client(), password=PASSWORD).status_code == 302  # unchanged


# --- Password rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("12345678", "at least 10"),
        ("password123", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
        ("alicealice1", "too easy to guess"),
    ],
)
def test_common_and_short_passwords_are_refused_at_sign_up(app, world, password, message):
    reply = sign_up(app.test_client(), "alice", password)
    assert reply.status_code == 400 and message in reply.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_a_weak_new_password_is_refused_and_the_old_one_kept(app, world):
    client = app.test_client()
    sign_up(client)
    for weak in ("12345678", "password123"):
        reply = change_password(client, new=weak)
        assert reply.status_code == 400
    assert "too easy to guess" in reply.get_data(as_text=True)
    assert log_in(app.test_client(), password=PASSWORD).status_code == 302


def test_the_rule_explains_itself_and_lets_passphrases_through():
    assert accounts.password_problem("12345678") == "Passwords need at least 10 characters."
    assert "common password" in accounts.password_problem("password123")
    assert accounts.password_problem("x" * 129).startswith("Passwords are limited to 128")
    assert accounts.password_problem("violet kettle orbit") is None
    assert accounts.password_problem(PASSWORD) is None
    assert accounts.password_problem("zanzibar2024", "zanzibar2024") is not None


def test_the_cli_applies_the_same_rule(app, world):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["arena", "create-user", "kim", "--password", "password123"])
    assert weak.exit_code != 0 and "too easy to guess" in weak.output
    good = runner.invoke(args=["arena", "create-user", "kim", "--password", NEW_PASSWORD])
    assert good.exit_code == 0


# --- Logging in: constant time and backoff ---------------------------------------------------


def test_an_unknown_name_costs_a_password_check_like_a_known_one(app, world, monkeypatch):
    checked = []
    real_check = accounts.check_password_hash

    def counting(stored_hash, password):
        checked.append(stored_hash.split("$")[0])
        return real_check(stored_hash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    with app.app_context():
        user, _ = make_voter(db.session, "sam")
        method = user.password_hash.split("$")[0]
        now = utcnow()
        assert accounts.authenticate(db.session, "sam", PASSWORD, now).id == user.id
        assert accounts.authenticate(db.session, "nobody", PASSWORD, now) is None
        assert accounts.authenticate(db.session, "bad\x00name", PASSWORD, now) is None
    assert checked == [method, method, method]  # same hash method and cost for all three


def test_five_failures_lock_the_account_with_a_429_until_it_backs_off(any_app, any_world):
    sign_up(any_app.test_client())
    client = any_app.test_client()
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        assert log_in(client, password="wrong password").status_code == 400
    locked = log_in(client)  # even the right password waits
    assert locked.status_code == 429
    assert "Too many failed log-ins for this account" in locked.get_data(as_text=True)
    assert not logged_in(client)


def test_a_success_resets_the_count(any_app, any_world):
    sign_up(any_app.test_client())
    client = any_app.test_client()
    for _ in range(2):
        for _ in range(accounts.FAILURES_BEFORE_LOCK - 1):
            assert log_in(client, password="wrong password").status_code == 400
        assert log_in(client).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_unknown_names_lock_alike_so_a_lock_tells_nothing(app, world):
    client = app.test_client()
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        assert log_in(client, "nobody", "wrong password").status_code == 400
    assert log_in(client, "nobody", "wrong password").status_code == 429


def test_a_name_no_column_can_hold_is_a_wrong_login_not_a_crash(any_app, any_world):
    """The web guard refuses NUL first; the service copes too (PostgreSQL would raise)."""
    now = utcnow()
    with any_app.app_context():
        assert accounts.authenticate(db.session, "a\x00b", "wrong\x00password", now) is None
        fail_at(db.session, "a\x00b", now)
        assert accounts.authenticate(db.session, "x" * 5000, "wrong", now) is None


def fail_at(session, name, moment):
    with unit_of_work(session):
        accounts.record_login(session, name, False, moment)


def locked_at(session, name, moment) -> bool:
    try:
        accounts.refuse_if_locked(session, name, moment)
    except accounts.LoginLocked:
        return True
    return False


def test_locks_double_with_each_further_failure_and_lapse_after_a_quiet_spell(any_app):
    start = utcnow()
    with any_app.app_context():
        session = db.session
        for n in range(accounts.FAILURES_BEFORE_LOCK):
            fail_at(session, "sam", start + timedelta(seconds=n))
        moment = start + timedelta(seconds=accounts.FAILURES_BEFORE_LOCK - 1)
        for lock_minutes in (1, 2, 4, 8):
            assert locked_at(session, "sam", moment + timedelta(minutes=lock_minutes, seconds=-1))
            moment += timedelta(minutes=lock_minutes, seconds=1)
            assert not locked_at(session, "sam", moment)
            fail_at(session, "sam", moment)  # one more try after the lock doubles it
        assert locked_at(session, "sam", moment + timedelta(minutes=16, seconds=-1))
        assert not locked_at(session, "other", moment)
        quiet = moment + timedelta(minutes=16) + accounts.LOCK_WINDOW + timedelta(seconds=1)
        fail_at(session, "sam", quiet)  # the count started again: one failure locks nothing
        assert not locked_at(session, "sam", quiet + timedelta(seconds=1))


def test_locks_grow_up_to_an_hour_when_each_lock_is_tried_as_it_ends(app):
    moment, locks = utcnow(), []
    with app.app_context():
        for _ in range(accounts.FAILURES_BEFORE_LOCK + 8):
            fail_at(db.session, "sam", moment)
            locked_until = db.session.scalar(select(LoginThrottle.locked_until))
            if locked_until is None:
                moment += timedelta(seconds=1)
                continue
            locks.append(round((as_utc(locked_until) - moment).total_seconds() / 60))
            moment = as_utc(locked_until) + timedelta(seconds=1)
    assert locks == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_failures_count_across_workers(any_app, any_world, tmp_path):
    """A second app on the same database (another worker) sees the first one's failures."""
    url = any_app.config["SQLALCHEMY_DATABASE_URI"]
    other_worker = create_app(app_config(tmp_path / "other", url))
    sign_up(any_app.test_client())
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        log_in(any_app.test_client(), password="wrong password")
    assert log_in(other_worker.test_client()).status_code == 429
    with other_worker.app_context():
        db.session.remove()
        db.engine.dispose()


# --- API tokens: scopes and expiry -----------------------------------------------------------


def token_for(app, username, **options) -> ApiClient:
    with app.app_context():
        user, _ = make_voter(db.session, username)
        with unit_of_work(db.session):
            token = accounts.create_api_token(db.session, user, **options)
    return ApiClient(app.test_client(), token)


def test_a_token_without_the_scope_is_refused_with_403_naming_it(any_app, any_world):
    reader = token_for(any_app, "reader", scopes=["read"])
    assert reader.get("/api/v1/me").status_code == 200
    refused = reader.post("/api/v1/battles")
    assert refused.status_code == 403
    assert refused.get_json() == {
        "error": "This API token lacks the 'vote' scope: create a token with 'vote' on your "
        "profile.",
        "status": 403,
    }
    voter = token_for(any_app, "plugin", scopes=["vote"])
    assert "'read' scope" in voter.get("/api/v1/me").get_json()["error"]
    assert "'read' scope" in voter.get("/api/v1/chats").get_json()["error"]
    battle = voter.battle()
    assert voter.vote(battle["token"]).status_code == 200
    assert voter.post(f"/api/v1/battles/{voter.battle()['token']}/skip").status_code == 200
    assert "'share' scope" in voter.post("/api/v1/chats", json={}).get_json()["error"]
    own_prompt = voter.post("/api/v1/battles", json={"prompt": "Hello?", "community": "general"})
    assert own_prompt.status_code == 403 and "'share' scope" in own_prompt.get_json()["error"]
    assert voter.get("/api/v1/leaderboard").status_code == 200  # public data needs no scope


def test_a_share_token_reaches_the_upload_checks(any_app, any_world):
    sharer = token_for(any_app, "sharer", scopes=["share"])
    reply = sharer.post("/api/v1/chats", json={"community": "general"})
    assert reply.status_code == 400 and "scope" not in reply.get_json()["error"]
    assert (
        "'vote' scope"
        in sharer.post("/api/v1/battles", json={"prompt": "Hi", "community": "general"}).get_json()[
            "error"
        ]
    )


def test_an_expired_token_is_refused_with_401(any_app, any_world):
    client = token_for(any_app, "late", expires_in_days=1)
    assert client.get("/api/v1/me").status_code == 200
    with any_app.app_context(), unit_of_work(db.session):
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    reply = client.get("/api/v1/me")
    assert reply.status_code == 401 and "expired on" in reply.get_json()["error"]
    assert client.get("/api/v1/leaderboard").status_code == 401  # as a wrong token would be


def test_new_tokens_last_90_days_with_every_scope_unless_told(app, world):
    with app.app_context():
        user, _ = make_voter(db.session, "sam")
        token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
        assert token.scope_list == ["read", "vote", "share"]
        lasts = as_utc(token.expires_at) - utcnow()
        assert timedelta(days=89, hours=23) < lasts <= timedelta(days=90)
        with unit_of_work(db.session):
            for bad in ({"scopes": []}, {"scopes": ["admin"]}, {"expires_in_days": 366}):
                with pytest.raises(InvalidInput):
                    accounts.create_api_token(db.session, user, **bad)


def test_the_cli_makes_scoped_short_lived_tokens(app, world):
    runner = app.test_cli_runner()
    runner.invoke(args=["arena", "create-user", "sam", "--password", NEW_PASSWORD])
    made = runner.invoke(
        args=["arena", "create-token", "sam", "--scope", "read", "--expires-days", "7"]
    )
    client = ApiClient(app.test_client(), made.output.strip())
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/battles").status_code == 403
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        lasts = as_utc(token.expires_at) - utcnow()
        assert token.scopes == "read" and timedelta(days=6) < lasts <= timedelta(days=7)


def test_every_api_write_has_its_scope_declared():
    writes = {f"api.{op.endpoint}" for op in OPERATIONS if op.method not in ("GET", "HEAD")}
    assert writes == set(WRITE_SCOPES)


def test_tokens_made_before_scopes_keep_working_with_every_scope(tmp_path, database_url):
    app = create_app(app_config(tmp_path, database_url))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="e8f9a0b1c2d3")
        db.session.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, created_at) VALUES "
                "(1, 'old', 'x', 'user', :now)"
            ),
            {"now": utcnow()},
        )
        db.session.execute(
            text(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES "
                "(1, :token_hash, '', :now)"
            ),
            {"token_hash": hashlib.sha256(b"ca_old").hexdigest(), "now": utcnow()},
        )
        db.session.commit()
        upgrade(directory=str(MIGRATIONS_DIR))
        grant = accounts.token_grant(db.session, "ca_old")
        assert grant.scopes == {"read", "vote", "share"}
        lasts = as_utc(grant.expires_at) - utcnow()
        assert timedelta(days=364) < lasts <= timedelta(days=365)
        assert accounts.user_for_session(db.session, "1:0").username == "old"
        db.session.remove()
        db.engine.dispose()

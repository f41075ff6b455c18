"""One test per structural guarantee: each fails if the guarantee is broken.

Custom battles share their chat; a served battle waits for its voter, then expires; views write
only in a unit of work; a failed rebuild changes nothing; events reach only their audience;
badge toasts travel as session data.
"""

import json
import re
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from arena import realtime
from arena.core.db import unit_of_work
from arena.core.events import Activity, Event, LeaderboardChanged, PointsChanged
from arena.extensions import db, socketio
from arena.game import points
from arena.models import Battle, Community, Exposure, Rating, Vote
from arena.voting import ratings
from tests.backends_support import seeded_custom_app
from tests.conftest import api_client_for, csrf_token, sign_up
from tests.factories import make_world
from tests.servers import app_environment, flask_cli

# -- a custom battle's shared chat ---------------------------------------------------------------


@pytest.fixture
def custom_app(tmp_path, monkeypatch):
    app = seeded_custom_app(tmp_path, monkeypatch)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def wait_for(socket_client, name, seconds=120):
    received, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        received += socket_client.get_received()
        if any(event["name"] == name for event in received):
            return received
        time.sleep(0.1)
    raise AssertionError(f"no {name} within {seconds} s: {[e['name'] for e in received]}")


def exported_chats(api, page_client) -> list[dict]:
    """The contributor's chats through the API, checked equal to the page's download."""
    from_api = api.get("/api/v1/chats").get_json()["chats"]
    from_page = json.loads(page_client.get("/chats/export.json").get_data(as_text=True))["chats"]
    assert from_api == from_page
    return from_api


def conversation(messages: list[dict]) -> list[tuple]:
    return [(m["id"], m["parent_id"], m["role"], m["model"], m["content"]) for m in messages]


def test_a_custom_battle_shares_its_chat_and_a_follow_up_replaces_it(custom_app):
    api = api_client_for(custom_app, "asker")  # password "correct horse"
    page = custom_app.test_client()
    csrf = csrf_token(page, "/login")
    login = page.post(
        "/login", data={"username": "asker", "password": "correct horse", "csrf_token": csrf}
    )
    assert login.status_code == 302
    reply = api.post(
        "/api/v1/battles",
        json={"prompt": "Name a fruit. I am ann.lee@contoso-mail.org", "community": "general"},
    )
    assert reply.status_code == 201, reply.get_json()
    battle = reply.get_json()
    with custom_app.app_context():
        stored = db.session.scalar(select(Battle).where(Battle.token == battle["token"]))
        names = {"a": stored.response_a.model.name, "b": stored.response_b.model.name}
    asked = "Name a fruit. I am [EMAIL]"
    (chat,) = exported_chats(api, page)
    assert (chat["source_format"], chat["licence"]) == ("custom_battle", "CC0-1.0")
    # Blind until the asker votes: the export names no model yet.
    assert conversation(chat["messages"]) == [
        row
        for side in "ab"
        for row in (
            (f"{side}1", None, "user", None, asked),
            (f"{side}2", f"{side}1", "assistant", None, battle["responses"][side]),
        )
    ]

    # A follow-up, answered live on the page: the chat now holds the longer conversation.
    socket = socketio.test_client(custom_app, flask_test_client=page)
    followed = page.post(
        f"/arena/battles/{battle['token']}/continue",
        data={"prompt": "Shorter please, ann.lee@contoso-mail.org"},
        headers={"X-CSRFToken": csrf_token(page, "/"), "Accept": "application/json"},
    )
    assert followed.status_code == 202
    wait_for(socket, "custom_ready")
    with custom_app.app_context():
        stored = db.session.scalar(select(Battle).where(Battle.token == battle["token"]))
        latest = {"a": stored.response_a.text, "b": stored.response_b.text}
    assert api.vote(battle["token"]).status_code == 200
    (chat,) = exported_chats(api, page)
    assert conversation(chat["messages"]) == [
        row
        for side in "ab"
        for row in (
            (f"{side}1", None, "user", None, asked),
            (f"{side}2", f"{side}1", "assistant", names[side], battle["responses"][side]),
            (f"{side}3", f"{side}2", "user", None, "Shorter please, [EMAIL]"),
            (f"{side}4", f"{side}3", "assistant", names[side], latest[side]),
        )
    ]


# -- served battles wait for their voter, then expire --------------------------------------------


def arena_token(client) -> str:
    page = client.get("/arena?community=general")
    assert page.status_code == 200
    return re.search(r'action="/arena/([^/]+)/vote"', page.get_data(as_text=True)).group(1)


def count(app, entity) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(entity))


def exposure(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(Exposure.battles), 0)))


def age(app, token, minutes) -> None:
    """Pretend the battle was served `minutes` earlier than it was."""
    with app.app_context():
        battle = db.session.scalar(select(Battle).where(Battle.token == token))
        battle.served_at -= timedelta(minutes=minutes)
        db.session.commit()


def battle_state(app, token) -> tuple:
    with app.app_context():
        battle = db.session.scalar(select(Battle).where(Battle.token == token))
        return battle.status, battle.skipped_at is not None


def test_a_served_battle_waits_for_its_voter_then_expires(app, browser_client):
    first = arena_token(browser_client)
    assert arena_token(browser_client) == first  # a reload shows the same battle
    assert (count(app, Battle), exposure(app)) == (1, 2)  # served once: two models, one each

    age(app, first, app.config["BATTLE_EXPIRY_MINUTES"] + 1)
    second = arena_token(browser_client)
    assert second != first
    assert battle_state(app, first) == ("skipped", True)
    assert battle_state(app, second) == ("open", False)
    assert (count(app, Battle), exposure(app)) == (2, 4)

    late = browser_client.post(
        f"/arena/{first}/vote", data={"choice": "a", "csrf_token": csrf_token(browser_client, "/")}
    )
    assert late.status_code == 409 and "expired" in late.get_data(as_text=True)
    assert battle_state(app, first) == ("skipped", True)
    assert (count(app, Vote), count(app, Rating)) == (0, 0)


def test_the_expire_battles_command_skips_stale_battles_of_every_voter(app, world, tmp_path):
    voters = [api_client_for(app, name) for name in ("ann", "bob", "cat")]
    stale, fresh = voters[0].battle()["token"], voters[1].battle()["token"]
    also_stale = voters[2].battle()["token"]
    for token in (stale, also_stale):
        age(app, token, 11)
    age(app, fresh, 4)
    env = app_environment(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        ARENA_INSTANCE_DIR=str(tmp_path / "cli-instance"),
        ARENA_AUTO_SETUP="0",
        ARENA_BATTLE_EXPIRY_MINUTES="5",
    )
    with app.app_context():
        db.engine.dispose()  # the command writes from another process
    assert flask_cli(env, "arena", "expire-battles") == "Recorded 2 unvoted battles as skipped."
    assert battle_state(app, stale) == battle_state(app, also_stale) == ("skipped", True)
    assert battle_state(app, fresh) == ("open", False)
    assert voters[0].vote(stale).status_code == 409
    assert voters[1].vote(fresh).status_code == 200


# -- views write only inside a unit of work ------------------------------------------------------

WRITES = {
    "flush": lambda: db.session.flush(),
    "commit": lambda: db.session.commit(),
    "autoflush": lambda: db.session.scalar(select(func.count(Community.id))),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_view_writing_outside_a_unit_of_work_fails_and_writes_nothing(app, caplog, write):
    def sneaky():
        db.session.add(Community(slug="sneaky", name="Sneaky", description="Written outside."))
        WRITES[write]()
        db.session.commit()
        return "written"

    def proper():
        with unit_of_work(db.session):
            db.session.add(Community(slug="proper", name="Proper", description="In a unit."))
        return "written"

    app.add_url_rule("/test/sneaky", "sneaky", sneaky)
    app.add_url_rule("/test/proper", "proper", proper)
    client = app.test_client()
    refused = client.get("/test/sneaky")
    assert refused.status_code == 500 and "nothing was changed" in refused.get_data(as_text=True)
    (error,) = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert isinstance(error, RuntimeError) and "outside `unit_of_work`" in str(error)
    assert client.get("/test/proper").get_data(as_text=True) == "written"
    with app.app_context():
        assert list(db.session.scalars(select(Community.slug))) == ["proper"]


# -- a rebuild that fails half-way changes nothing -----------------------------------------------

DERIVED = {
    "rebuild-ratings": ("ratings",),
    "rebuild-points --replay-votes": (
        "point_events",
        "point_totals",
        "user_badges",
        "vote_verdicts",
        "voting_streaks",
    ),
}
# Derived rows gone wrong, which the rebuild would repair: so a rebuild that went through is
# told apart from one rolled back (a clean table would come back the same either way).
DRIFT = {
    "rebuild-ratings": ["UPDATE ratings SET mu = mu + 5"],
    "rebuild-points --replay-votes": [
        "UPDATE point_totals SET points = points + 100",
        "DELETE FROM user_badges WHERE id = (SELECT min(id) FROM user_badges)",
        "DELETE FROM vote_verdicts WHERE vote_id = (SELECT max(vote_id) FROM vote_verdicts)",
        "UPDATE voting_streaks SET longest = longest + 9",
    ],
}


def fail_late(monkeypatch, module, name) -> None:
    """module.name does all its work, sends it to the database, then fails."""
    done = getattr(module, name)

    def disk_full(session, *args, **kwargs):
        done(session, *args, **kwargs)
        session.flush()
        raise RuntimeError("disk full half-way through the rebuild")

    monkeypatch.setattr(module, name, disk_full)


def snapshot(app, tables) -> dict:
    with app.app_context():
        return {
            name: sorted(db.session.execute(select(db.metadata.tables[name])).all())
            for name in tables
        }


@pytest.fixture
def consensual(any_app):
    """Six voters prefer model-0 on the one pair there is: ratings, points, a consensus
    (verdicts), badges and streaks all have rows."""
    with any_app.app_context():
        make_world(db.session, models=2, prompts=1, communities=("general",))
    for number in range(6):
        api = api_client_for(any_app, f"voter{number}")
        token = api.battle()["token"]
        with any_app.app_context():
            battle = db.session.scalar(select(Battle).where(Battle.token == token))
            choice = "a" if battle.response_a.model.slug == "model-0" else "b"
        assert api.vote(token, choice).status_code == 200
    return any_app


@pytest.mark.parametrize(
    ("command", "late"),
    [
        ("rebuild-ratings", (ratings, "rebuild_ratings")),  # the whole table rewritten
        ("rebuild-points --replay-votes", (points, "rebuild_totals")),  # ledger replayed
    ],
    ids=["ratings", "points"],
)
def test_a_rebuild_failing_half_way_leaves_the_tables_as_they_were(
    consensual, monkeypatch, command, late
):
    with consensual.app_context():
        for statement in DRIFT[command]:
            db.session.execute(text(statement))
        db.session.commit()
    before = snapshot(consensual, DERIVED[command])
    assert all(before.values()), before  # something to lose
    fail_late(monkeypatch, *late)
    runner = consensual.test_cli_runner()
    result = runner.invoke(args=["arena", *command.split()])
    assert isinstance(result.exception, RuntimeError) and "disk full" in str(result.exception)
    assert snapshot(consensual, DERIVED[command]) == before
    monkeypatch.undo()  # the same rebuild, done: it does change these tables
    assert runner.invoke(args=["arena", *command.split()]).exit_code == 0
    assert snapshot(consensual, DERIVED[command]) != before


# -- typed events reach their audience only ------------------------------------------------------


@dataclass(frozen=True)
class ModeratorsOnly(Event):
    wire_name = "moderation"
    audience = "moderators"
    text: str


@pytest.fixture
def sockets(app, world):
    """Watchers: alice and bob logged in (overall, coding), two anonymous (overall, general)."""
    clients, ids = {}, {}
    for name, scope in (("alice", "overall"), ("bob", "coding")):
        client = app.test_client()
        assert sign_up(client, name).status_code == 302
        with client.session_transaction() as session:
            ids[name] = int(session["_user_id"].partition(":")[0])
        clients[name] = socketio.test_client(app, flask_test_client=client, auth={"scope": scope})
    for name, scope in (("anonymous", "overall"), ("stranger", "general")):
        clients[name] = socketio.test_client(app, auth={"scope": scope})
    assert all(client.is_connected() for client in clients.values())
    for client in clients.values():
        client.get_received()  # connecting sends nothing, but start clean
    return clients, ids


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda ids: PointsChanged(user_id=ids["alice"], delta=1, points=8, points_this_week=3),
            {"alice": ("points", {"delta": 1, "points": 8, "points_this_week": 3})},
        ),
        (
            lambda ids: LeaderboardChanged(scopes=["overall", "coding"]),
            {
                who: ("leaderboard_changed", {"scopes": ["overall", "coding"]})
                for who in ("alice", "bob", "anonymous")
            },
        ),
        (
            lambda ids: Activity(text="Someone earned a badge."),
            {
                who: ("activity", {"text": "Someone earned a badge.", "template": "", "values": {}})
                for who in ("alice", "bob", "anonymous", "stranger")
            },
        ),
    ],
    ids=["private", "scoped", "broadcast"],
)
def test_events_reach_exactly_their_audience(sockets, make, expected):
    clients, ids = sockets
    realtime.publish([make(ids)])
    received = {
        name: [(e["name"], *e["args"]) for e in client.get_received()]
        for name, client in clients.items()
    }
    assert received == {name: [expected[name]] if name in expected else [] for name in clients}


def test_an_event_of_unknown_audience_is_refused_unsent(sockets):
    clients, _ = sockets
    with pytest.raises(ValueError, match="unknown audience"):
        realtime.publish([ModeratorsOnly(text="psst")])
    assert all(client.get_received() == [] for client in clients.values())


# -- badge toasts are session data ---------------------------------------------------------------

FIRST_VOTE_TOAST = (
    '<div class="toast bronze"><strong translate="no"><svg class="badge-icon" aria-hidden="true" '
    'focusable="false" width="20" height="20">'
    '<use href="/static/icons/badges.svg#badge-first-vote"></use></svg> First Vote</strong> · '
    "<span>bronze badge earned! Cast your first blind vote.</span></div>"
)


def test_the_badge_toast_of_a_page_vote_comes_from_session_data(browser_client):
    token = arena_token(browser_client)
    voted = browser_client.post(
        f"/arena/{token}/vote", data={"choice": "a", "csrf_token": csrf_token(browser_client, "/")}
    )
    assert voted.status_code == 302
    with browser_client.session_transaction() as session:
        carried = session.get("toasts", [])
        flashed = session.get("_flashes", [])
    assert [(t["name"], t["tier"]) for t in carried] == [
        ("First Vote", "bronze"),  # the test world's models predate the voter: no discovery
    ]
    assert all(set(t) == {"badge", "name", "tier", "icon", "description"} for t in carried)
    assert not [message for _, message in flashed if "|" in message or "First Vote" in message]
    result = browser_client.get(voted.headers["Location"]).get_data(as_text=True)
    assert FIRST_VOTE_TOAST in result
    again = browser_client.get(voted.headers["Location"]).get_data(as_text=True)
    assert "toast bronze" not in again  # shown once

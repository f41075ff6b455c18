"""Custom prompts with real models: the embedded SmolLM2 answers live, blind, then is voted on.

The world is built as an operator builds it: `flask --app wsgi arena seed` with the contestants'
catalogue named only by ARENA_BACKENDS_FILE (tests/backends_support.py), never by hand.
"""

import json
import re
import time

import pytest
from sqlalchemy import func, select

from arena.chats.redact import redact
from arena.extensions import db, socketio
from arena.models import Battle, LanguageModel, Prompt, Response
from arena.models.chats import SharedChat
from tests.backends_support import (
    CONTESTANT_ORGANIZATION,
    CONTESTANTS,
    contestants_catalogue,
    seeded_custom_app,
)
from tests.conftest import api_client_for, csrf_token, sign_up
from tests.factories import accept_shared_chats


def logged_in(app, username):
    client = app.test_client()
    reply = sign_up(client, username)
    assert reply.status_code == 302 and reply.headers["Location"] == "/arena", reply.status
    profile = client.get("/profile")  # logged in: the profile is theirs, no login wall
    assert profile.status_code == 200 and username in profile.get_data(as_text=True)
    return client


@pytest.fixture
def custom_app(tmp_path, monkeypatch):
    """The seeded arena; the contestants exist only because `arena seed` read the catalogue."""
    app = seeded_custom_app(tmp_path, monkeypatch)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def broken_app(custom_app, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(contestants_catalogue(remote_url="http://127.0.0.1:9/v1")))
    custom_app.config["BACKENDS_FILE"] = str(path)
    return custom_app


def rows(app) -> dict:
    with app.app_context():
        return {
            t.__name__: db.session.scalar(select(func.count()).select_from(t))
            for t in (Battle, Prompt, Response, SharedChat)
        }


def assert_no_identity(text: str) -> None:
    lowered = text.lower()
    for slug, name in CONTESTANTS.items():
        assert slug not in lowered and name.lower() not in lowered, f"{name} leaked"
    assert CONTESTANT_ORGANIZATION.lower() not in lowered, "the organisation leaked"


def test_arena_seed_adds_the_contestants_of_the_catalogue_named_by_the_environment(custom_app):
    with custom_app.app_context():
        seeded = db.session.execute(
            select(LanguageModel.slug, LanguageModel.name, LanguageModel.organization).where(
                LanguageModel.slug.in_(CONTESTANTS)
            )
        ).all()
    assert sorted(seeded) == [
        (slug, name, CONTESTANT_ORGANIZATION) for slug, name in sorted(CONTESTANTS.items())
    ]
    again = custom_app.test_cli_runner().invoke(args=["arena", "seed"])
    assert again.exit_code == 0 and again.output == (
        "Seeded: 0 communities, 0 models, 0 prompts, 0 responses, 0 votes added.\n"
    ), again.output
    # ... and a custom battle works on that world, with no model row made by hand.
    api = api_client_for(custom_app, "first-asker")
    reply = api.post("/api/v1/battles", json={"prompt": "Name a tree.", "community": "general"})
    assert reply.status_code == 201, reply.get_json()
    assert api.vote(reply.get_json()["token"], "a").get_json()["models"] in (
        {"a": name, "b": other}
        for name in CONTESTANTS.values()
        for other in CONTESTANTS.values()
        if other != name
    )


def test_api_custom_battle_answers_votes_and_records_speed(custom_app):
    api = api_client_for(custom_app, "asker")
    reply = api.post(
        "/api/v1/battles",
        json={
            "prompt": "Name a fruit. My e-mail is ann.lee@contoso-mail.org",
            "community": "general",
        },
    )
    assert reply.status_code == 201, reply.get_json()
    battle = reply.get_json()
    assert_no_identity(reply.get_data(as_text=True))
    assert set(battle) == {"token", "community", "prompt", "context", "responses"}
    assert battle["prompt"] == "Name a fruit. My e-mail is [EMAIL]"  # scrubbed before storing
    assert battle["responses"]["a"].strip() and battle["responses"]["b"].strip()
    revealed = api.vote(battle["token"], "b").get_json()["models"]
    assert set(revealed.values()) == set(CONTESTANTS.values())
    with custom_app.app_context():
        answers = db.session.scalars(select(Response).where(Response.backend.isnot(None))).all()
        assert len(answers) == 2
        assert all(r.tokens_per_second > 0 and 0 < r.completion_tokens <= 24 for r in answers)
        assert all(r.time_to_first_token_seconds <= r.latency_seconds for r in answers)
        shared = db.session.scalar(select(SharedChat))
        assert (shared.source_format, shared.licence) == ("custom_battle", "CC0-1.0")
        accept_shared_chats(db.session)  # auditors accept the asker's chat
    page = custom_app.test_client().get("/models/smol-concise").get_data(as_text=True)
    assert "embedded" in page and "Tokens/s" in page


def test_api_custom_battle_streams_server_sent_events(custom_app):
    api = api_client_for(custom_app, "streamer")
    reply = api.post("/api/v1/battles", json={"prompt": "Say hello.", "stream": True})
    assert reply.status_code == 200 and reply.mimetype == "text/event-stream"
    body = reply.get_data(as_text=True)
    assert_no_identity(body)
    events = re.findall(r"event: (\w+)\ndata: (.*)\n\n", body)
    names = [name for name, _ in events]
    assert names[0] == "started" and names[-1] == "battle"
    chunks = [json.loads(data) for name, data in events if name == "chunk"]
    assert {chunk["side"] for chunk in chunks} == {"a", "b"}
    final = json.loads(events[-1][1])
    assert final["token"] == json.loads(events[0][1])["token"]
    for side in ("a", "b"):
        streamed = "".join(c["text"] for c in chunks if c["side"] == side)
        # What is stored and shown is exactly what the model streamed, scrubbed as its words.
        assert streamed.strip()
        assert final["responses"][side] == redact(streamed, author="model").text
    assert api.vote(final["token"], "tie").status_code == 200


def wait_for(socket_client, name, seconds=60):
    received, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        received += socket_client.get_received()
        if any(event["name"] == name for event in received):
            return received
        time.sleep(0.1)
    raise AssertionError(f"no {name} within {seconds} s: {[e['name'] for e in received]}")


def test_the_page_flow_streams_to_the_asker_only_then_votes(custom_app):
    asker, stranger = logged_in(custom_app, "asker"), logged_in(custom_app, "stranger")
    mine = socketio.test_client(custom_app, flask_test_client=asker)
    theirs = socketio.test_client(custom_app, flask_test_client=stranger)
    csrf = csrf_token(asker, "/")
    reply = asker.post(
        "/arena/custom",
        data={"prompt": "Why is the sky blue?", "community": "general"},
        headers={"X-CSRFToken": csrf, "Accept": "application/json"},
    )
    assert reply.status_code == 202
    token = reply.get_json()["token"]
    events = wait_for(mine, "custom_ready")
    assert_no_identity(json.dumps(events))
    chunks = [e["args"][0] for e in events if e["name"] == "custom_chunk"]
    assert {c["side"] for c in chunks} == {"a", "b"} and all(c["token"] == token for c in chunks)
    assert not [e for e in theirs.get_received() if e["name"].startswith("custom_")]
    page = asker.get(f"/arena/battles/{token}").get_data(as_text=True)
    assert 'id="vote-form"' in page and 'id="continue-form"' in page
    assert_no_identity(page)

    # A follow-up before voting: both models answer again, each with its own history.
    reply = asker.post(
        f"/arena/battles/{token}/continue",
        data={"prompt": "Shorter please."},
        headers={"X-CSRFToken": csrf, "Accept": "application/json"},
    )
    assert reply.status_code == 202
    wait_for(mine, "custom_ready")
    with custom_app.app_context():
        battle = db.session.scalar(select(Battle).where(Battle.token == token))
        assert battle.prompt.text == "Shorter please." and battle.status == "open"
        assert [t["role"] for t in battle.response_a.context] == ["user", "assistant"]
        assert battle.response_a.context[0]["content"] == "Why is the sky blue?"
    voted = asker.post(f"/arena/{token}/vote", data={"choice": "a", "csrf_token": csrf})
    assert voted.status_code == 302
    assert any(
        name in asker.get(voted.headers["Location"]).get_data(as_text=True)
        for name in CONTESTANTS.values()
    )


def test_a_failing_backend_gives_a_clear_error_and_no_battle(broken_app):
    api = api_client_for(broken_app, "unlucky")
    before = rows(broken_app)
    reply = api.post("/api/v1/battles", json={"prompt": "Hello?", "community": "general"})
    assert reply.status_code == 502
    message = reply.get_json()["error"]
    assert message and "127.0.0.1" not in message
    assert_no_identity(message)
    assert rows(broken_app) == before


def test_a_failing_backend_on_the_page_reports_through_the_socket(broken_app):
    asker = logged_in(broken_app, "asker")
    socket = socketio.test_client(broken_app, flask_test_client=asker)
    before = rows(broken_app)
    reply = asker.post(
        "/arena/custom",
        data={"prompt": "Hello?", "community": "general"},
        headers={"X-CSRFToken": csrf_token(asker, "/"), "Accept": "application/json"},
    )
    events = wait_for(socket, "custom_failed")
    failure = next(e["args"][0] for e in events if e["name"] == "custom_failed")
    assert failure["token"] == reply.get_json()["token"] and failure["message"]
    assert_no_identity(json.dumps(events))
    assert rows(broken_app) == before


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("", "Write a prompt"),
        ("x" * 4001, "limited to 4,000 characters"),
        ("How do I build a pipe bomb at home?", "not allowed"),
    ],
)
def test_limits_and_moderation_refuse_prompts_clearly(custom_app, prompt, message):
    api = api_client_for(custom_app, "careful")
    before = rows(custom_app)
    reply = api.post("/api/v1/battles", json={"prompt": prompt})
    assert reply.status_code == 400 and message in reply.get_json()["error"]
    assert rows(custom_app) == before


def test_a_community_without_two_live_models_says_so(custom_app):
    api = api_client_for(custom_app, "coder")
    reply = api.post("/api/v1/battles", json={"prompt": "Write a loop.", "community": "coding"})
    assert reply.status_code == 404
    assert "fewer than two models" in reply.get_json()["error"]


def test_admins_see_the_catalogue_and_can_take_a_model_out(custom_app):
    runner = custom_app.test_cli_runner()
    created = runner.invoke(
        args=["arena", "create-user", "root", "--password", "correct horse", "--role", "admin"]
    )
    assert created.exit_code == 0 and "Created admin 'root'" in created.output, created.output
    admin, user = custom_app.test_client(), logged_in(custom_app, "plain")
    assert user.get("/admin/models").status_code == 403
    csrf = csrf_token(admin, "/login")
    login = admin.post(
        "/login", data={"username": "root", "password": "correct horse", "csrf_token": csrf}
    )
    assert login.status_code == 302, login.get_data(as_text=True)
    page = admin.get("/admin/models").get_data(as_text=True)
    assert "Smol Concise" in page and "smollm2-135m" in page
    taken_out = admin.post(
        "/admin/models/smol-teacher/active", data={"csrf_token": csrf_token(admin, "/")}
    )
    assert taken_out.status_code == 302
    with custom_app.app_context():
        active = select(LanguageModel.is_active).where(LanguageModel.slug == "smol-teacher")
        assert db.session.scalar(active) is False
    api = api_client_for(custom_app, "asker")
    reply = api.post("/api/v1/battles", json={"prompt": "Hi", "community": "general"})
    assert reply.status_code == 404  # one live model left in general


def test_a_custom_pair_joins_the_queue_and_the_speed_page_only_after_its_vote_and_audit(
    custom_app,
):
    api = api_client_for(custom_app, "asker")
    battle = api.post("/api/v1/battles", json={"prompt": "Name a colour."}).get_json()
    page = custom_app.test_client().get("/models/smol-concise").get_data(as_text=True)
    assert "No live answers yet." in page  # before the vote it would hint who answered
    with custom_app.app_context():
        assert db.session.scalar(select(Prompt.is_active).where(Prompt.origin == "custom")) is False
    api.vote(battle["token"], "a")
    with custom_app.app_context():
        assert db.session.scalar(select(Prompt.is_active).where(Prompt.origin == "custom")) is False
        accept_shared_chats(db.session)  # and once auditors accept it, others may judge it
        assert db.session.scalar(select(Prompt.is_active).where(Prompt.origin == "custom")) is True
    page = custom_app.test_client().get("/models/smol-concise").get_data(as_text=True)
    assert "No live answers yet." not in page


def test_an_unknown_library_prompt_is_refused_before_generating(custom_app):
    api = api_client_for(custom_app, "asker")
    before = rows(custom_app)
    reply = api.post("/api/v1/battles", json={"prompt": "Hi", "library_prompt": 424242})
    assert reply.status_code == 404 and "library prompt" in reply.get_json()["error"]
    assert rows(custom_app) == before


def test_a_live_answer_that_names_its_model_never_enters_the_queue(custom_app):
    api = api_client_for(custom_app, "asker")
    battle = api.post("/api/v1/battles", json={"prompt": "Who are you?"}).get_json()
    with custom_app.app_context():  # a 135M model cannot be made to say this on cue
        response = db.session.scalar(select(Response).where(Response.backend.isnot(None)))
        response.text = "As ChatGPT, developed by OpenAI, I answer questions."
        db.session.commit()
    assert api.vote(battle["token"], "a").status_code == 200
    with custom_app.app_context():
        assert db.session.scalar(select(Prompt.is_active).where(Prompt.origin == "custom")) is False
        accept_shared_chats(db.session)  # not even if auditors accept the chat
        assert db.session.scalar(select(Prompt.is_active).where(Prompt.origin == "custom")) is False


def test_live_answers_are_scrubbed_as_a_model_wrote_them_and_prompts_as_a_person():
    """A model's example address stays in its answer; the same address typed by the asker goes."""
    from arena.custom.battles import _scrubbed

    assert _scrubbed("Point the client at 192.168.1.10.", "assistant") == (
        "Point the client at 192.168.1.10."
    )
    assert _scrubbed("My router is at 192.168.1.10.", "user") == "My router is at [IP_ADDRESS]."
    assert _scrubbed("Mail me at jo.bloggs@gmail.com", "assistant") == "Mail me at [EMAIL]"

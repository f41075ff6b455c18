"""No dead ends, honest pages: withdrawal asks first, the home page shows the arena alive, the
admin finds the admin pages and sees which models cannot answer, start-up logs read right."""

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from arena.extensions import db
from arena.models import LanguageModel, User
from arena.models.chats import SharedChat
from arena.web.pages.home import time_ago
from tests.chat_exports import two_model_chat
from tests.conftest import api_client_for, build_app, close_app, csrf_token
from tests.factories import make_world
from tests.servers import PROJECT, app_environment
from tests.test_sharing import share

PASSWORD = "correct horse"  # make_voter's


def log_in(client, username: str) -> None:
    token = csrf_token(client, "/login")
    reply = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)[:500]


@pytest.fixture
def sharer(app, world):
    """A member who shared one chat, logged in on a browser-like client; (client, chat id)."""
    api = api_client_for(app, "sharer")
    reply = share(api, two_model_chat(question="Why does my bread not rise?"))
    assert reply.status_code == 201, reply.get_json()
    client = app.test_client()
    log_in(client, "sharer")
    return client, reply.get_json()["chats"][0]["id"]


def chat_row(app, chat_id: int) -> tuple[str, str]:
    with app.app_context():
        chat = db.session.get(SharedChat, chat_id)
        return chat.status, chat.title


def test_the_chats_page_offers_withdrawal_behind_a_required_confirmation(sharer):
    client, chat_id = sharer
    html = client.get("/chats").get_data(as_text=True)
    form = re.search(rf'action="/chats/{chat_id}/withdraw".*?</form>', html, re.S).group(0)
    assert re.search(r'<input type="checkbox" name="understood" value="yes" required', form)
    assert "I understand the text is deleted for good; votes already cast stay" in form
    assert '<button class="danger">' in form
    assert f'<a class="button danger small" href="#withdraw-{chat_id}">Withdraw…</a>' in html
    assert f'id="withdraw-{chat_id}"' in html  # the confirmation step it leads to


def test_withdrawing_without_the_confirmation_changes_nothing(app, sharer):
    client, chat_id = sharer
    before = chat_row(app, chat_id)
    token = csrf_token(client, "/chats")
    reply = client.post(f"/chats/{chat_id}/withdraw", data={"csrf_token": token})
    assert reply.status_code == 400
    assert "Nothing was withdrawn" in reply.get_data(as_text=True)
    assert chat_row(app, chat_id) == before and before[0] != "withdrawn"


def test_withdrawing_with_the_confirmation_deletes_the_text(app, sharer):
    client, chat_id = sharer
    token = csrf_token(client, "/chats")
    reply = client.post(
        f"/chats/{chat_id}/withdraw", data={"csrf_token": token, "understood": "yes"}
    )
    assert reply.status_code == 302
    status, title = chat_row(app, chat_id)
    assert status == "withdrawn" and "bread" not in title


def activity_items(html: str) -> list[str]:
    feed = re.search(r'<ul id="activity-feed".*?</ul>', html, re.S).group(0)
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", feed)]


def test_the_home_page_shows_finished_votes_anonymously_on_first_paint(app, world, api):
    for community in ("coding", "coding", "general"):
        battle = api.battle(community)
        assert api.vote(battle["token"], "a").status_code == 200
    api.battle("general")  # served, never voted: not activity
    html = app.test_client().get("/").get_data(as_text=True)
    assert activity_items(html) == [
        "Someone voted in General · just now",
        "Someone voted in Coding · just now",
        "Someone voted in Coding · just now",
    ]
    feed = re.search(r'<ul id="activity-feed".*?</ul>', html, re.S).group(0)
    assert "voter" not in feed and not any(name in feed for _, _, name in world["models"])


def test_with_no_vote_yet_only_the_placeholder_shows(app, world):
    html = app.test_client().get("/").get_data(as_text=True)
    assert activity_items(html) == []
    assert 'class="muted feed-placeholder"' in html


NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "said"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=2, seconds=5), "2 min ago"),
        (timedelta(hours=5), "5 h ago"),
        (timedelta(days=3), "3 days ago"),
    ],
)
def test_times_are_said_the_way_people_say_them(before, said):
    assert time_ago(NOW - before, NOW) == said
    assert time_ago((NOW - before).replace(tzinfo=None), NOW) == said  # SQLite's naive times


@pytest.fixture
def ranked_app(tmp_path):
    """A world whose every model is ranked after a few votes (one vote suffices here)."""
    app = build_app(tmp_path, BOARD_MIN_VOTES=1)
    with app.app_context():
        models = [(m.slug, m.name) for m in make_world(db.session)["models"]]
    api = api_client_for(app)
    for _ in range(8):
        api.vote(api.battle()["token"], "a")
    yield app, models
    close_app(app)


def test_the_home_page_shows_the_top_models_with_intervals_and_the_communities(ranked_app):
    app, models = ranked_app
    html = app.test_client().get("/").get_data(as_text=True)
    table = re.search(r'<table class="board" id="top-models">.*?</table>', html, re.S).group(0)
    linked = re.findall(r'<a href="/models/([^"]+)">([^<]+)</a>', table)
    assert linked and set(linked) <= set(models)
    assert len(re.findall(r"<td>-?\d+ – -?\d+</td>", table)) == len(linked)
    board = app.test_client().get("/leaderboard").get_data(as_text=True)
    ranked = re.search(r'<table class="board" id="leaderboard".*?</table>', board, re.S).group(0)
    assert linked == re.findall(r'<a href="/models/([^"]+)">([^<]+)</a>', ranked)[: len(linked)]
    for slug in ("general", "coding"):
        assert f'href="/communities/{slug}"' in html


def menu(html: str) -> str:
    return re.search(r"<nav>.*?</nav>", html, re.S).group(0)


def make_admin(app, username: str) -> None:
    api_client_for(app, username)
    with app.app_context():
        db.session.scalar(select(User).where(User.username == username)).role = "admin"
        db.session.commit()


def test_only_admins_see_the_admin_links(app, world):
    api_client_for(app, "member")
    make_admin(app, "boss")
    shown = {}
    for username in ("member", "boss"):
        client = app.test_client()
        log_in(client, username)
        nav = menu(client.get("/").get_data(as_text=True))
        shown[username] = {path for path in ("/admin/models", "/moderation") if path in nav}
    assert menu(app.test_client().get("/").get_data(as_text=True)).count("/admin") == 0
    assert shown == {"member": set(), "boss": {"/admin/models", "/moderation"}}


def test_a_model_without_its_key_is_shown_unavailable_not_active(app, world, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    make_admin(app, "boss")
    with app.app_context():
        db.session.add(LanguageModel(slug="gpt-4o-mini", name="GPT-4o mini", organization="x"))
        db.session.commit()
    client = app.test_client()
    log_in(client, "boss")
    html = client.get("/admin/models").get_data(as_text=True)
    row = re.search(r"<tr><td><a href=\"/models/gpt-4o-mini\">.*?</tr>", html, re.S).group(0)
    state = re.search(r'<span class="state[^"]*">([^<]+)</span>', row).group(1)
    assert state == "unavailable"
    assert "OPENAI_API_KEY is not set" in row


def test_first_start_logs_seeding_as_info_with_the_whole_level_name(tmp_path):
    env = app_environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'first.sqlite3'}", ARENA_AUTO_SETUP="1"
    )
    started = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr[-2000:]
    lines = started.stderr.splitlines()
    assert [line for line in lines if "[arena] Seed" in line][0].startswith("INFO    [arena]")
    assert not [line for line in lines if re.match(r"(WARNI|WARNING) ", line)]


def test_llama_cpp_leaves_no_unclosed_file_at_exit():
    pytest.importorskip("llama_cpp")
    code = "import arena.custom.backends.embedded, llama_cpp"
    ended = subprocess.run(
        [sys.executable, "-W", "always::ResourceWarning", "-c", code],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ended.returncode == 0 and "ResourceWarning" not in ended.stderr, ended.stderr

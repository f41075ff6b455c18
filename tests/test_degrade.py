"""Redis goes away: votes and logins still work, the site says live updates are paused, and
they resume by themselves when Redis comes back.

Two real servers (gunicorn, the Procfile's worker class) share one SQLite file and a Redis of
this test's own, which the test kills and starts again on the same port.
"""

import re
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
import socketio

from arena.extensions import db, limiter
from tests.conftest import api_client_for, build_app, sign_up
from tests.factories import make_world
from tests.processes import own_redis, web_process
from tests.servers import app_environment, flask_cli, free_port, gunicorn_command
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

WAIT_SECONDS = 20
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
PASSWORD = "correct horse"


class Watcher:
    """A Socket.IO client of one server that records what it is sent."""

    def __init__(self, url: str, scope: str = "general"):
        self.events: list[tuple[str, dict]] = []
        self.arrived = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record)
        self.client.connect(url, transports=["websocket"], auth={"scope": scope})

    def _record(self, name, payload):
        with self.arrived:
            self.events.append((name, payload))
            self.arrived.notify_all()

    def wait_for(self, name: str, payload=None, seconds: float = WAIT_SECONDS) -> bool:
        """Whether `name` (with this payload, when given) arrives within `seconds`."""

        def seen():
            return any(n == name and payload in (None, p) for n, p in self.events)

        with self.arrived:
            return self.arrived.wait_for(seen, timeout=seconds)

    def forget(self) -> None:
        with self.arrived:
            self.events.clear()

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two servers over one database, with a Redis the tests may kill (and must start again)."""
    tmp_path = tmp_path_factory.mktemp("degrade")
    with own_redis(tmp_path) as redis:
        env = app_environment(
            DATABASE_URL=f"sqlite:///{tmp_path / 'arena.sqlite3'}",
            REDIS_URL=redis.url,
            SECRET_KEY="degrade-" + uuid.uuid4().hex,
            ARENA_AUTO_SETUP="0",
        )
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "arena", "seed")
        flask_cli(env, "arena", "create-user", "carol", "--password", PASSWORD)
        token = flask_cli(env, "arena", "create-token", "carol")
        with (
            web_process(gunicorn_command(), env, tmp_path / "one.log") as one,
            web_process(gunicorn_command(), env, tmp_path / "two.log") as two,
        ):
            yield {"one": one.url, "two": two.url, "token": token, "env": env, "redis": redis}


def api_vote(url: str, token: str) -> tuple[int, int]:
    """(battle status, vote status) of one battle served and voted through the API."""
    headers = {"Authorization": f"Bearer {token}"}
    battle = requests.post(f"{url}/api/v1/battles", json={"community": "general"}, headers=headers)
    if battle.status_code != 201:
        return battle.status_code, 0
    vote = requests.post(
        f"{url}/api/v1/battles/{battle.json()['token']}/vote", json={"choice": "a"}, headers=headers
    )
    return battle.status_code, vote.status_code


def log_in(url: str, username: str = "carol") -> tuple[requests.Session, int]:
    browser = requests.Session()
    csrf = CSRF.search(browser.get(f"{url}/login").text).group(1)
    reply = browser.post(
        f"{url}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf},
        allow_redirects=False,
    )
    return browser, reply.status_code


def vote_in_page(browser: requests.Session, url: str) -> int:
    page = browser.get(f"{url}/arena?community=general")
    assert page.status_code == 200, page.status_code
    battle = re.search(r'action="/arena/([^/]+)/vote"', page.text).group(1)
    csrf = CSRF.search(page.text).group(1)
    voted = browser.post(
        f"{url}/arena/{battle}/vote",
        data={"choice": "b", "csrf_token": csrf},
        allow_redirects=False,
    )
    return voted.status_code


def test_votes_and_logins_work_while_redis_is_down_and_live_updates_resume(site):
    watcher = Watcher(site["one"])
    try:
        assert api_vote(site["two"], site["token"]) == (201, 200)
        assert watcher.wait_for("leaderboard_changed"), "no live update while Redis is up"

        site["redis"].stop()
        assert watcher.wait_for("live_status", {"live": False}), watcher.events
        latecomer = Watcher(site["one"])  # told at once, not only on the next change
        assert latecomer.wait_for("live_status", {"live": False}, seconds=5), latecomer.events
        latecomer.close()

        assert api_vote(site["two"], site["token"]) == (201, 200)
        browser, status = log_in(site["two"])
        assert status == 302
        assert vote_in_page(browser, site["two"]) == 302
        flask_cli(site["env"], "arena", "rebuild-ratings")  # publishes too; must not fail
        # Limits still count (in the worker's memory): login allows 10 POSTs a minute from an
        # address (unknown names, so that no account's own backoff answers first).
        assert [log_in(site["two"], f"nobody{n}")[1] for n in range(9)] == [400] * 9
        assert log_in(site["two"])[1] == 429

        site["redis"].start()
        assert watcher.wait_for("live_status", {"live": True}), watcher.events
        watcher.forget()
        deadline = time.monotonic() + WAIT_SECONDS
        while not watcher.wait_for("leaderboard_changed", seconds=1):
            assert time.monotonic() < deadline, "live updates did not resume after Redis returned"
            assert api_vote(site["two"], site["token"]) == (201, 200)
    finally:
        site["redis"].start_if_stopped()
        watcher.close()


@pytest.fixture
def app_without_redis(tmp_path):
    """The app configured for a Redis that does not answer (nothing listens on the port)."""
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    app = build_app(
        tmp_path, REDIS_URL=nowhere, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=nowhere
    )
    with app.app_context():
        make_world(db.session)
    yield app
    limiter._storage_dead = False  # the limiter is module-level: later apps start afresh


def test_the_app_starts_and_serves_votes_and_sign_ups_without_redis(app_without_redis):
    """Redis down from the start (the servers above lose it later); Flask-SocketIO's test
    client refuses a message queue, so live updates are checked above only."""
    voter = api_client_for(app_without_redis)
    battle = voter.battle("general")
    assert voter.vote(battle["token"], "a").status_code == 200
    browser = app_without_redis.test_client()
    assert sign_up(browser, "dora").status_code == 302
    assert browser.get("/arena?community=general").status_code == 200


def test_every_page_carries_the_paused_notice_hidden(app, world):
    """static/js/realtime.js shows it while the socket is down or the server says so."""
    page = app.test_client().get("/").get_data(as_text=True)
    assert re.search(r'<p id="live-paused"[^>]* hidden>Live updates paused', page)


@pytest.mark.browser
def test_the_page_says_when_live_updates_pause_and_resume(site):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page()
            page.goto(site["one"] + "/leaderboard")
            page.wait_for_selector("#live-status:has-text('Live: updates')")
            assert page.is_hidden("#live-paused")
            site["redis"].stop()
            page.wait_for_selector("#live-paused", state="visible", timeout=15_000)
            page.reload()  # a page opened during the outage says so from the start
            page.wait_for_selector("#live-paused", state="visible", timeout=15_000)
            site["redis"].start()
            page.wait_for_selector("#live-paused", state="hidden", timeout=15_000)
            assert page.inner_text("#live-status") == "Live: updates as votes arrive."
        finally:
            site["redis"].start_if_stopped()
            browser.close()

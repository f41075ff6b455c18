"""Across processes through a real Redis: two servers, a client on one, a vote through the other.

Both servers run the Procfile's web command (gunicorn, gthread) with REDIS_URL set, over one
SQLite file prepared by the Procfile's release commands.
"""

import re
import threading
import uuid

import pytest
import requests
import socketio

from tests.servers import app_environment, flask_cli, gunicorn_command, running_server

pytestmark = pytest.mark.redis
WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, redis_url_module):
    tmp = tmp_path_factory.mktemp("cluster")
    env = app_environment(
        DATABASE_URL=f"sqlite:///{tmp / 'arena.sqlite3'}",
        REDIS_URL=redis_url_module,
        SECRET_KEY="cluster-test-" + uuid.uuid4().hex,
        ARENA_AUTO_SETUP="0",
    )
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "arena", "seed")
    flask_cli(env, "arena", "create-user", "carol", "--password", "correct horse")
    token = flask_cli(env, "arena", "create-token", "carol")
    with (
        running_server(gunicorn_command(), env, tmp / "one.log") as one,
        running_server(gunicorn_command(), env, tmp / "two.log") as two,
    ):
        yield {"one": one, "two": two, "token": token, "env": env}


@pytest.fixture(scope="module")
def redis_url_module():
    from tests.conftest import REDIS_URL, require_redis

    require_redis()
    return REDIS_URL


class Listener:
    """A Socket.IO client that records events and lets a test wait for one."""

    def __init__(self, url, scope="overall", cookies=None):
        self.events: list[tuple[str, dict]] = []
        self.arrived = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
        self.client.connect(url, transports=["websocket"], auth={"scope": scope}, headers=headers)

    def _record(self, name, payload):
        with self.arrived:
            self.events.append((name, payload))
            self.arrived.notify_all()

    def wait_for(self, name) -> dict:
        with self.arrived:
            found = self.arrived.wait_for(
                lambda: [p for n, p in self.events if n == name], timeout=WAIT_SECONDS
            )
        assert found, f"no {name!r} event within {WAIT_SECONDS} s; got {self.events}"
        return found[0]

    def close(self):
        self.client.disconnect()


def logged_in_session(url, username) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{url}/signup").text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    reply = browser.post(
        f"{url}/signup",
        data={
            "username": username,
            "password": "correct horse",
            "confirm": "correct horse",
            "csrf_token": csrf,
        },
        allow_redirects=False,
    )
    assert reply.status_code == 302
    return browser


def vote_through(url, token, community="general"):
    headers = {"Authorization": f"Bearer {token}"}
    battle = requests.post(f"{url}/api/v1/battles", json={"community": community}, headers=headers)
    assert battle.status_code == 201
    reply = requests.post(
        f"{url}/api/v1/battles/{battle.json()['token']}/vote", json={"choice": "a"}, headers=headers
    )
    assert reply.status_code == 200


def test_a_vote_on_one_server_reaches_a_client_of_the_other(cluster):
    watcher = Listener(cluster["one"], scope="general")
    try:
        vote_through(cluster["two"], cluster["token"])
        assert watcher.wait_for("leaderboard_changed") == {"scopes": ["overall", "general"]}
        assert watcher.wait_for("people_changed") == {"scopes": ["overall", "general"]}
    finally:
        watcher.close()


def test_private_events_cross_servers_to_their_owner_only(cluster):
    dave = logged_in_session(cluster["one"], "dave")
    own = Listener(cluster["one"], cookies=dave.cookies.get_dict())
    stranger = Listener(cluster["one"])
    try:
        page = dave.get(f"{cluster['two']}/arena").text  # same session, the other server
        battle = re.search(r'action="/arena/([^/]+)/vote"', page).group(1)
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        voted = dave.post(
            f"{cluster['two']}/arena/{battle}/vote",
            data={"choice": "b", "csrf_token": csrf},
            allow_redirects=False,
        )
        assert voted.status_code == 302
        assert own.wait_for("badge_awarded")["name"] == "First Vote"
        assert own.wait_for("points")["points"] >= 1
        stranger.wait_for("activity")  # the public feed arrived, so private ones had time to
        assert not {"points", "badge_awarded"} & {name for name, _ in stranger.events}
    finally:
        own.close()
        stranger.close()


def test_a_cli_command_reaches_clients_through_redis(cluster):
    watcher = Listener(cluster["two"], scope="coding")
    try:
        flask_cli(cluster["env"], "arena", "rebuild-ratings")
        assert "coding" in watcher.wait_for("leaderboard_changed")["scopes"]
    finally:
        watcher.close()

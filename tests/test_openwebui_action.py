"""The Open WebUI action "Share to Crowd Arena" (integrations/open-webui/) against the real site.

Open WebUI is not installed for the tests (it is a large install, torch included). What the action
touches of it is stubbed in tests/owui_stub.py: the module `open_webui.models.chats`, whose `Chats`
table holds rows of a real Open WebUI 0.12.4 export in memory, and the browser behind
`__event_emitter__` / `__event_call__`, which records what the user is shown and answers the
dialogs. The action file is loaded as Open WebUI loads a function. The site is real: `flask run`
on a fresh SQLite database, contributors and tokens made with the CLI, as a person would.
"""

import ast
import asyncio
import base64
import json
import re
import socket
import sqlite3
import sys
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.owui_stub import (
    ACTION_FILE,
    AsyncChatTable,
    Browser,
    SyncChatTable,
    branch_body,
    frontmatter,
    install_open_webui,
    load_action,
    owner_of,
    remove_open_webui,
    stored_chats,
)
from tests.owui_stub_site import recording_server
from tests.servers import (
    NO_PROXY,
    app_environment,
    flask_cli,
    flask_run_command,
    free_port,
    running_server,
)

PASSWORD = "correct horse battery"
CHATS = stored_chats()
PERSONAL = (
    "maria.rossi84@gmail.com",
    "Maria Rossi",
    "0151 23456789",
    "4111 1111 1111 1111",
    "Hunter2pass",
    "Jane Doe",
    "jane.owner@corp.example",
)


@dataclass
class Site:
    url: str
    env: dict
    database: Path

    def contributor(self, name: str) -> str:
        flask_cli(self.env, "arena", "create-user", name, "--password", PASSWORD)
        return self.token(name, "share", "read")

    def token(self, name: str, *scopes: str) -> str:
        options = [part for scope in scopes for part in ("--scope", scope)]
        return flask_cli(self.env, "arena", "create-token", name, *options).splitlines()[-1]

    def publish_directly(self, name: str) -> None:
        """The profile's "publish directly" choice."""
        self._write("UPDATE users SET publish_directly = 1 WHERE username = ?", name)

    def drafts(self, name: str) -> dict[str, str]:
        """The contributor's drafts (token: stored text), as the preview page reads them."""
        query = (
            "SELECT d.token, d.raw FROM chat_drafts d JOIN users u ON u.id = d.contributor_id "
            "WHERE u.username = ?"
        )
        with closing(sqlite3.connect(self.database)) as db:
            return {token: bytes(raw).decode() for token, raw in db.execute(query, (name,))}

    def shared(self, token: str) -> list[dict]:
        request = urllib.request.Request(
            self.url + "/api/v1/chats", headers={"Authorization": f"Bearer {token}"}
        )
        with NO_PROXY.open(request, timeout=30) as reply:
            return json.load(reply)["chats"]

    def _write(self, statement: str, *values) -> None:
        with closing(sqlite3.connect(self.database)) as db, db:
            db.execute(statement, values)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("owui-action")
    database = tmp / "arena.sqlite3"
    env = app_environment(DATABASE_URL=f"sqlite:///{database}", ARENA_AUTO_SETUP="1")
    with running_server(flask_run_command(), env, tmp / "server.log") as url:
        yield Site(url, env, database)


@pytest.fixture(scope="module")
def jane(site) -> str:
    """A contributor with the default choice: shared chats wait as drafts for her preview."""
    return site.contributor("jane")


@pytest.fixture
def owui(monkeypatch):
    """The action's module as Open WebUI holds it, the stored chats in its Chats table."""
    install_open_webui(monkeypatch, AsyncChatTable(*CHATS.values()))
    return load_action(monkeypatch)


def click(owui, base_url, row, browser, token="", community="", answer_id=None, timeout=60):
    """The user clicks the action's button under an answer (the chat's current one)."""
    action = owui.Action()
    action.valves = action.Valves(base_url=base_url, timeout_seconds=timeout)
    valves = action.UserValves(api_token=token, community=community)
    body = branch_body(row, answer_id or row["chat"]["history"]["currentId"])
    events = {"__event_emitter__": browser.emit, "__event_call__": browser.call}
    result = asyncio.run(action.action(body, __user__=owner_of(row, valves), **events))
    assert result is None  # a returned dict would be written into the message
    assert browser.shown("status")[-1]["done"] is True  # no status left spinning


def test_open_webui_reads_the_frontmatter_and_needs_nothing_installed():
    content = ACTION_FILE.read_text()
    fields = frontmatter(content)
    assert fields["title"] == "Share to Crowd Arena"
    assert re.fullmatch(r"\d+\.\d+\.\d+", fields["version"])
    assert fields["required_open_webui_version"] == "0.5.0"
    assert fields["requirements"] == ""
    icon = fields["icon_url"].removeprefix("data:image/svg+xml;base64,")
    assert base64.b64decode(icon).decode().startswith("<svg")
    imported = {
        alias.name.split(".")[0] if isinstance(node, ast.Import) else node.module.split(".")[0]
        for node in ast.walk(ast.parse(content))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    # pydantic comes with Open WebUI; open_webui itself is imported only when clicked.
    assert imported - set(sys.stdlib_module_names) == {"pydantic", "open_webui"}


def test_the_whole_chat_arrives_scrubbed_as_a_draft_with_its_preview_link(
    site, jane, owui, monkeypatch
):
    row, sent = CHATS["a48c2643"], []
    send = owui.post_chat
    monkeypatch.setattr(owui, "post_chat", lambda *args: sent.append(args) or send(*args))
    before = site.drafts("jane")
    browser = Browser(True, "")  # confirms, keeps the offered community

    click(owui, site.url, row, browser, token=jane, community="general")

    (payload,) = [args[2] for args in sent]
    assert payload["chats"] == [row]  # the stored row as exported, nothing added
    assert payload["community"] == "general" and payload["source"] == "open-webui-action"
    assert "jane.owner@corp.example" not in json.dumps(payload)  # __user__ stays home
    (draft,) = set(site.drafts("jane")) - set(before)
    stored = site.drafts("jane")[draft]
    assert "[EMAIL]" in stored and "two-line out-of-office reply" in stored
    assert [text for text in PERSONAL if text in stored] == []
    preview = f"{site.url}/chats/drafts/{draft}"
    assert browser.last_notification()["type"] == "success"
    assert preview in browser.last_notification()["content"]
    assert preview in browser.shown("status")[-1]["description"]
    confirm, community = browser.dialogs
    assert confirm["type"] == "confirmation"
    assert community["type"] == "input" and community["data"]["value"] == "general"


def test_every_branch_and_rating_is_published_when_the_contributor_publishes_directly(site, owui):
    token = site.contributor("pia")
    site.publish_directly("pia")
    row = CHATS["f8c312dd"]  # one prompt, three regenerated answers
    messages = row["chat"]["history"]["messages"]
    prompt = next(m for m in messages.values() if m["parentId"] is None)
    first_answer = prompt["childrenIds"][0]
    browser = Browser(True, "coding")

    click(owui, site.url, row, browser, token=token, answer_id=first_answer)

    assert len(branch_body(row, first_answer)["messages"]) == 2
    assert "4 message(s) from every branch" in browser.dialogs[0]["data"]["message"]
    (chat,) = site.shared(token)
    assert chat["community"] == "coding"
    assert len(chat["messages"]) == 4  # the prompt and all three answers
    assert sorted(m["rating"] for m in chat["messages"] if m["rating"] is not None) == [-1, 1]
    assert "Jane Doe" not in json.dumps(chat)
    note = browser.last_notification()
    assert note["type"] == "success" and f"{site.url}/chats" in note["content"]


def test_open_webui_0_5_to_0_8_reads_its_chats_synchronously(site, jane, owui, monkeypatch):
    row = CHATS["6a725052"]
    chats = SyncChatTable(row)
    install_open_webui(monkeypatch, chats)
    before = site.drafts("jane")

    click(owui, site.url, row, Browser(True, ""), token=jane)

    assert chats.lookups == [(row["id"], row["user_id"])]
    assert len(set(site.drafts("jane")) - set(before)) == 1


@pytest.mark.parametrize(
    "answers",
    [(False, "general"), ({"error": "Client session disconnected."}, "general"), (True, False)],
    ids=["declined", "tab closed at the question", "community cancelled"],
)
def test_declining_sends_nothing(site, jane, owui, answers):
    before = site.drafts("jane")
    browser = Browser(*answers)

    click(owui, site.url, CHATS["a48c2643"], browser, token=jane)

    assert site.drafts("jane") == before
    assert "nothing was sent" in browser.last_notification()["content"]


@pytest.mark.parametrize("scopes", [None, ("read",)], ids=["unknown token", "no share scope"])
def test_a_refused_token_is_told_to_the_user_and_never_logged(site, jane, owui, scopes, caplog):
    token = site.token("jane", *scopes) if scopes else "arena_not-a-token-at-all"
    caplog.set_level("DEBUG")
    browser = Browser(True, "")

    click(owui, site.url, CHATS["a48c2643"], browser, token=token)

    note = browser.last_notification()
    assert note["type"] == "error" and "refused your API token" in note["content"]
    assert f"{site.url}/profile" in note["content"]
    assert token not in caplog.text and token not in json.dumps(browser.events)


def test_an_unknown_community_is_told_in_the_sites_words(site, jane, owui):
    browser = Browser(True, "no-such-community")

    click(owui, site.url, CHATS["a48c2643"], browser, token=jane)

    note = browser.last_notification()
    assert note["type"] == "error" and "no-such-community" in note["content"]


@pytest.mark.parametrize("listening", [False, True], ids=["site down", "site silent"])
def test_an_unreachable_site_is_told_to_the_user(owui, listening):
    with closing(socket.socket()) as silent:
        silent.bind(("127.0.0.1", 0))
        if listening:
            silent.listen()  # accepts the connection, never answers
        base_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        browser = Browser(True, "")

        click(owui, base_url, CHATS["a48c2643"], browser, token="arena_x", timeout=1)

    expected = "did not answer within 1 second(s)" if listening else "Could not reach Crowd Arena"
    assert expected in browser.last_notification()["content"]


def test_a_redirect_is_shown_and_not_followed_with_the_token(owui):
    with (
        recording_server() as elsewhere,
        recording_server(redirect_to=elsewhere.url) as moved,
    ):
        browser = Browser(True, "")
        click(owui, moved.url, CHATS["a48c2643"], browser, token="arena_secret")

    assert len(moved.requests) == 1 and elsewhere.requests == []
    assert f"moved to {elsewhere.url}" in browser.last_notification()["content"]


def test_a_closed_browser_tab_does_not_break_the_action(owui):
    browser = Browser(True, "", broken=True)  # every event fails to reach the browser
    base_url = f"http://127.0.0.1:{free_port()}"

    click(owui, base_url, CHATS["a48c2643"], browser, token="arena_x")

    assert browser.shown("notification")  # tried to tell, and carried on


@pytest.mark.parametrize(
    "setup, expected",
    [
        (lambda mp: remove_open_webui(mp), "too old"),
        (lambda mp: install_open_webui(mp, None), "too old"),
        (lambda mp: None, "Add your Crowd Arena API token"),
    ],
    ids=["no chats module (0.4)", "no Chats table", "no token"],
)
def test_what_is_missing_is_named(owui, monkeypatch, setup, expected):
    setup(monkeypatch)
    browser = Browser(True, "")

    click(owui, f"http://127.0.0.1:{free_port()}", CHATS["6a725052"], browser)

    assert expected in browser.last_notification()["content"]
    assert browser.dialogs == []  # asked nothing, sent nothing


def test_a_temporary_chat_has_nothing_to_share(owui):
    row = {**CHATS["6a725052"], "id": "local:socket-session-1"}
    browser = Browser(True, "")

    click(owui, f"http://127.0.0.1:{free_port()}", row, browser, token="arena_x")

    assert "not saved" in browser.last_notification()["content"]


@pytest.mark.parametrize(
    "reply, level, expected",
    [
        ((201, {"chats": [{"pairs": 2}], "redactions": {"EMAIL": 1}}), "success", "2 blind pair"),
        ((200, {"status": "published", "chats": [{"duplicate": True}]}), "info", "already had"),
        ((308, None, "https://new.example"), "error", "moved to https://new.example"),
        ((429, {"error": "Too many requests.", "status": 429}), "warning", "Too many requests"),
        ((503, None), "error", "has a problem (HTTP 503)"),
        ((200, None), "error", "did not answer like Crowd Arena"),
    ],
    ids=["201 without status", "duplicate", "redirect", "rate limited", "down", "not the site"],
)
def test_replies_become_sentences(owui, reply, level, expected):
    result = owui.outcome(owui.SiteReply(*reply), "https://arena.example")
    assert (result.level, expected in result.text) == (level, True), result.text

"""SIGKILL in the middle of writes, on SQLite and PostgreSQL: after a restart no vote is lost or
half-applied, no chat is partial, and what is derived from the logs equals their replay.

The killed processes are real: a gunicorn server under a storm of votes through HTTP, and the
CLI's bulk imports. Each kill waits until a write transaction is open (SQLite's write lock is
taken; on PostgreSQL, rows are inserted and not committed), so it lands inside one.
"""

import random
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import DateTime, func, select, text

from arena.core.db import begin_write
from arena.extensions import db
from arena.game import awards
from arena.game.rules import default_rules
from arena.models import Base, Battle, SharedChat, SharedMessage, Vote
from arena.voting import ratings
from tests.chat_exports import answer, export, openwebui_chat
from tests.conftest import build_app
from tests.factories import make_voter, make_world
from tests.processes import WebProcess
from tests.servers import FLASK, PROJECT, app_environment, flask_cli, gunicorn_command
from tests.test_battle_io import make_battles, write

DERIVED_TABLES = (
    "ratings",
    "pair_tallies",
    "voter_standings",
    "point_events",
    "point_totals",
    "vote_verdicts",
    "user_badges",
    "voting_streaks",
)
CHOICES = ("a", "b", "tie", "both_bad")
STORM_THREADS = 12
IMPORT_BATCH = 5000  # arena/cli/battles.py commits an import in batches of this many
MESSAGES_PER_CHAT = 6  # two turns, each a question and two answers
CHATS = 1000  # in each imported file


@pytest.fixture
def site(tmp_path, database_url):
    """A migrated database (SQLite or PostgreSQL), this test's app on it and the servers'
    environment; the app is only for setting up and checking, never running during a kill."""
    app = build_app(tmp_path, database_url)
    env = app_environment(
        DATABASE_URL=database_url,
        SECRET_KEY="crash-" + uuid.uuid4().hex,
        ARENA_AUTO_SETUP="0",
        ARENA_INTEGRITY_SCAN_MINUTES="0",
    )
    yield {"app": app, "env": env, "url": database_url, "tmp": tmp_path}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- Kills inside a write transaction ---------------------------------------------------------


def write_in_progress(database_url: str, table: str) -> bool:
    """Whether another process holds an open write transaction (on PostgreSQL: one that has
    changed `table`)."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
        connection.isolation_level = None
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # locked: a writer is inside its transaction
            return True
        else:
            connection.execute("ROLLBACK")
            return False
        finally:
            connection.close()
    query = text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = :table AND l.mode = 'RowExclusiveLock' AND l.granted "
        "AND l.pid <> pg_backend_pid() "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with db.engine.connect() as connection:
        return bool(connection.scalar(query, {"table": table}))


def wait_for_write(site, table: str, ready=lambda: True, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    with site["app"].app_context():
        while not (ready() and write_in_progress(site["url"], table)):
            assert time.monotonic() < deadline, f"no write to {table} began in {seconds} s"
            time.sleep(0.005)


# --- What must hold after any crash -----------------------------------------------------------


def table_rows(session, name: str) -> list[tuple]:
    """A table's rows without ids and moments (a replay writes them anew)."""
    table = Base.metadata.tables[name]
    columns = [c for c in table.columns if c.name != "id" and not isinstance(c.type, DateTime)]
    return sorted((tuple(row) for row in session.execute(select(*columns))), key=repr)


def derived_state(session) -> dict[str, list[tuple]]:
    return {name: table_rows(session, name) for name in DERIVED_TABLES}


def replayed_state(session) -> dict[str, list[tuple]]:
    """What `arena rebuild-ratings` and `rebuild-points --replay-votes` would store, read
    inside their transaction and then rolled back, so the stored state stays as it was."""
    begin_write(session)
    try:
        ratings.rebuild_ratings(session)
        awards.replay_votes(session, default_rules())
        session.flush()
        return derived_state(session)
    finally:
        session.rollback()


def assert_logs_and_derived_data_agree(app) -> None:
    with app.app_context():
        stored = derived_state(db.session)
        db.session.rollback()
        replayed = replayed_state(db.session)
        voted = set(db.session.scalars(select(Battle.id).where(Battle.status == "voted")))
        with_votes = set(
            db.session.scalars(select(Vote.battle_id).where(Vote.battle_id.isnot(None)))
        )
    for name in DERIVED_TABLES:
        assert stored[name] == replayed[name], f"{name} differs from a replay of the logs"
    assert voted == with_votes, "a battle is voted without its vote, or the reverse"


# --- A storm of votes --------------------------------------------------------------------------


class VoteStorm:
    """Voters voting as fast as the server answers, one thread each, until it dies."""

    def __init__(self, url: str, tokens: list[str], seed: int):
        self.url, self.rng = url, random.Random(seed)
        self.acknowledged: list[tuple[str, str]] = []  # (battle token, choice) answered 200
        self.in_flight = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._vote, args=(t,)) for t in tokens]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        for thread in self.threads:
            thread.join(timeout=30)

    def _vote(self, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with requests.Session() as http:
            while True:
                with self.lock:
                    choice = self.rng.choice(CHOICES)
                try:
                    battle = http.post(f"{self.url}/api/v1/battles", json={}, headers=headers)
                    if battle.status_code != 201:
                        return
                    battle_token = battle.json()["token"]
                    with self.lock:
                        self.in_flight += 1
                    reply = http.post(
                        f"{self.url}/api/v1/battles/{battle_token}/vote",
                        json={"choice": choice},
                        headers=headers,
                    )
                except (requests.RequestException, ValueError):
                    return  # the server died (mid-reply, perhaps)
                with self.lock:
                    self.in_flight -= 1
                    if reply.status_code == 200:
                        self.acknowledged.append((battle_token, choice))
                if reply.status_code != 200:
                    return

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def voters(app, count: int) -> list[str]:
    with app.app_context():
        make_world(db.session, models=6, prompts=10)
        tokens = [make_voter(db.session, f"voter{n}")[1] for n in range(count)]
        db.session.remove()
        db.engine.dispose()
    return tokens


def test_a_vote_storm_killed_mid_vote_loses_nothing_and_replays_exactly(site):
    tokens = voters(site["app"], STORM_THREADS)
    acknowledged, in_flight_at_kills = [], []
    for round_number in range(2):
        server = WebProcess(gunicorn_command(), site["env"], site["tmp"] / f"web{round_number}.log")
        server.start()
        with VoteStorm(server.url, tokens, seed=round_number) as storm:
            deadline = time.monotonic() + 60
            while storm.count() < 40:
                assert time.monotonic() < deadline, server.log()[-2000:]
                time.sleep(0.05)
            wait_for_write(site, "votes")
            while storm.in_flight == 0 and time.monotonic() < deadline:
                time.sleep(0.001)  # kill while a vote is on its way (threads may be between votes)
            server.kill()
            in_flight_at_kills.append(storm.in_flight)
        acknowledged += storm.acknowledged
    assert all(in_flight_at_kills), f"a kill found no vote in flight: {in_flight_at_kills}"

    restarted = WebProcess(gunicorn_command(), site["env"], site["tmp"] / "restarted.log")
    restarted.start()  # serves again after the crashes
    with VoteStorm(restarted.url, tokens[:2], seed=9) as storm:
        time.sleep(2)
        restarted.kill(how=signal.SIGTERM)
    assert storm.count() > 0, "no vote was accepted after the restart"

    with site["app"].app_context():
        stored = dict(
            db.session.execute(
                select(Battle.token, Vote.choice).join(Vote, Vote.battle_id == Battle.id)
            ).all()
        )
    assert {token: stored.get(token) for token, _ in acknowledged} == dict(acknowledged)
    assert_logs_and_derived_data_agree(site["app"])


# --- Bulk imports -----------------------------------------------------------------------------


def chat_file(path: Path, name: str, count: int) -> Path:
    chats = [
        openwebui_chat(
            f"{name} {number}",
            [
                (
                    f"Question {number}.{turn} of {name}: how do I sort a list in Python?",
                    [
                        answer("llama3.1:8b", f"Use sorted(), then check {number}.{turn}."),
                        answer("qwen2.5:7b", f"Call list.sort(); see {number}.{turn}."),
                    ],
                )
                for turn in range(2)
            ],
        )
        for number in range(count)
    ]
    path.write_bytes(export(*chats))
    return path


def cli(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*FLASK, *args],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_during_write(site, process: subprocess.Popen, table: str, after: float = 0, ready=None):
    """SIGKILL `process` `after` seconds into its write (if it has not ended by then)."""
    wait_for_write(site, table, **({"ready": ready} if ready else {}))
    time.sleep(after)
    process.kill()
    process.wait(timeout=20)


def chats_by_title(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(SharedChat.title, func.count(SharedMessage.id))
            .outerjoin(SharedMessage, SharedMessage.chat_id == SharedChat.id)
            .group_by(SharedChat.id, SharedChat.title)
        ).all()
        db.session.remove()
    return dict(rows)


def test_a_chat_import_killed_mid_write_leaves_no_partial_chat(site):
    tmp, env = site["tmp"], site["env"]
    with site["app"].app_context():
        make_world(db.session, models=2, prompts=1)
        make_voter(db.session, "carol")
        db.session.remove()
    importing = ["arena", "import-chats", "--user", "carol", "--community", "general"]
    # A first import, timed from the moment its write transaction opens until it ends.
    first = cli(env, *importing, str(chat_file(tmp / "first.json", "First", CHATS)))
    wait_for_write(site, "shared_messages")
    opened = time.monotonic()
    assert first.wait(timeout=240) == 0
    write_seconds = time.monotonic() - opened
    expected = {f"First {n}": MESSAGES_PER_CHAT for n in range(CHATS)}
    assert chats_by_title(site["app"]) == expected

    # Killed ever earlier into its write until a kill lands before the commit.
    for attempt, share in enumerate((1 / 3, 1 / 10, 0)):
        name = f"Killed{attempt}"
        upload = chat_file(tmp / f"{name}.json", name, CHATS)
        killed = cli(env, *importing, str(upload))
        kill_during_write(site, killed, "shared_messages", after=write_seconds * share)
        stored = chats_by_title(site["app"])
        whole = {f"{name} {n}": MESSAGES_PER_CHAT for n in range(CHATS)}
        present = {title: count for title, count in stored.items() if title.startswith(name)}
        assert present in ({}, whole), "a partial import, or a chat without all its messages"
        expected |= present
        assert stored == expected
        if not present:
            break
    assert not present, f"every kill came after the commit (write took {write_seconds:.2f} s)"

    flask_cli(env, *importing, str(upload))  # the same command again: all of it this time
    assert chats_by_title(site["app"]) == expected | whole
    assert_logs_and_derived_data_agree(site["app"])


def imported_votes(app, source: str) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count(Vote.id)).where(Vote.origin == f"import:{source}")
        )
        db.session.remove()
    return count


def killed_battle_import(site) -> list[str]:
    """An import of 4 batches, killed inside a batch after the first committed; its command."""
    with site["app"].app_context():
        make_world(db.session, models=2, prompts=1)
        db.session.remove()
    battles = write(site["tmp"] / "battles.jsonl", make_battles(4 * IMPORT_BATCH, seed=11))
    command = ["arena", "import-battles", str(battles), "--source", "crash"]
    first_batch_in = lambda: imported_votes(site["app"], "crash") >= IMPORT_BATCH  # noqa: E731
    kill_during_write(site, cli(site["env"], *command), "votes", ready=first_batch_in)
    return command


def test_a_battle_import_killed_mid_batch_keeps_whole_batches_and_resumes(site):
    command = killed_battle_import(site)
    kept = imported_votes(site["app"], "crash")
    assert kept % IMPORT_BATCH == 0 and 0 < kept < 4 * IMPORT_BATCH, kept

    flask_cli(site["env"], *command)  # resumed: only the missing records are added
    assert imported_votes(site["app"], "crash") == 4 * IMPORT_BATCH
    assert_logs_and_derived_data_agree(site["app"])


def test_a_battle_import_killed_mid_batch_leaves_no_vote_half_applied(site):
    killed_battle_import(site)
    assert_logs_and_derived_data_agree(site["app"])

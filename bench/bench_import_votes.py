"""Votes while a 5,000-chat import runs, against votes alone, over HTTP.

Usage: python bench/bench_import_votes.py [--database sqlite|postgres] [--chats 5000]
       [--alone 20] [--warmup 5] [--workers 2] [--modes outside,inside] [--json]

For each mode, on a fresh database (`flask db upgrade`, `flask arena seed`), the project runs
under the Procfile's web command (gunicorn gthread, bound to 127.0.0.1) and 8 clients (2
processes x 4 threads, bearer tokens of their own users) serve a battle and vote on it, again and
again (with tests/data/integrity_open.json: no daily caps): `--warmup` seconds, then `--alone`
seconds of votes alone, then an import of `--chats`
generated chats (one question each, answered by two of six models, one in five with an e-mail
address) as a separate process, as `flask arena import-chats` runs it, while the clients go on
voting; then the clients stop. A cycle counts in the window its serve request started in, with
all its latency (one that waited for the import's write counts there, however long it took).

Modes: `outside` is the code as it is (`sharing.prepare_chats` scrubs first, then one unit of
work writes: what `arena import-chats` does); `inside` puts the scrub inside the unit of work, as
the code did before (on SQLite the transaction is BEGIN IMMEDIATE and holds the write lock all
along). The import process prints when each phase starts, so the report splits the import into
its scrub and its write. On a machine with few cores the import's CPU use slows votes too,
lock or no lock: compare the phases with each other and with votes alone.
"""

import argparse
import itertools
import json
import multiprocessing
import os
import random
import re
import shlex
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "bench"))

from bench_vote_cycle import (  # noqa: E402
    BATTLES_PER_USER,
    CHOICES,
    PROCESSES,
    THREADS,
    free_port,
    project_database,
    run,
    running,
)

MODELS = ("llama3.1:8b", "qwen2.5:7b", "mistral:7b", "gemma2:9b", "phi3:3.8b", "deepseek-r1:8b")
USERS_PER_THREAD = 20  # 55 battles each in turn: a turn of all outlasts the one-minute limit
CONTRIBUTOR = "importer"
PASSWORD = "quartz otter ferry lantern 93"
# As in the tests: every vote counts at once, no probation, known-answer checks or daily caps
# (seeds/integrity.json's 100 votes a day per community would stop the voters within minutes).
OPEN_INTEGRITY = PROJECT / "tests" / "data" / "integrity_open.json"


# -- the import, in its own process ------------------------------------------------------------


def chat_file(path: Path, count: int, seed: int) -> None:
    """count Open WebUI chats: a question answered by two models; every fifth with an e-mail."""
    rng = random.Random(seed)
    chats = []
    for number in range(count):
        first, second = rng.sample(MODELS, 2)
        contact = f" Mail me at dev{number}@contoso-mail.org." if number % 5 == 0 else ""
        question = f"Run {seed}-{number}: why does step {rng.randint(1, 99)} of my build fail?"
        chats.append(_open_webui_chat(question + contact, first, second, number))
    path.write_text(json.dumps(chats))


def _open_webui_chat(question: str, first: str, second: str, number: int) -> dict:
    user = f"u-{uuid.uuid4()}"
    answers = {
        f"a-{uuid.uuid4()}": (model, f"{model} says: clear the cache, pin versions ({number}).")
        for model in (first, second)
    }
    messages = {
        user: {
            "id": user,
            "parentId": None,
            "childrenIds": list(answers),
            "role": "user",
            "content": question,
        }
    }
    for key, (model, text) in answers.items():
        messages[key] = {
            "id": key,
            "parentId": user,
            "childrenIds": [],
            "role": "assistant",
            "model": model,
            "content": text,
        }
    return {
        "id": str(uuid.uuid4()),
        "title": question[:40],
        "chat": {"history": {"messages": messages}},
    }


def import_child(mode: str, path: str) -> None:
    """Import the file as `arena import-chats` does (or, mode "inside", with the scrub inside
    the unit of work as before), printing each phase's start as a JSON line."""
    sys.path.insert(0, str(PROJECT))
    from arena.chats import sharing
    from arena.chats.formats import parse_chat_file
    from arena.cli.chats import CLI_MAX_BYTES, CLI_MAX_CHATS
    from arena.core import accounts
    from arena.core.db import unit_of_work
    from arena.extensions import db
    from wsgi import app

    def mark(event: str, **extra) -> None:
        print(json.dumps({"event": event, "t": time.time(), **extra}), flush=True)

    with app.app_context():
        user = accounts.require_user(db.session, CONTRIBUTOR)
        options = sharing.SharingOptions("coding", "CC0-1.0", ["bench"])
        chats = parse_chat_file(
            Path(path).read_bytes(), max_bytes=CLI_MAX_BYTES, max_chats=CLI_MAX_CHATS
        )
        db.session.rollback()  # end the read before the phases start
        mark("scrub")
        if mode == "outside":
            prepared = sharing.prepare_chats(chats, options, user.share_key)
            mark("write")
            with unit_of_work(db.session):
                mark("locked")
                result = sharing.publish(db.session, user.id, prepared)
                mark("committing")
        else:
            with unit_of_work(db.session):
                prepared = sharing.prepare_chats(chats, options, user.share_key)
                mark("write")
                result = sharing.publish(db.session, user.id, prepared)
        mark("end", published=len(result.published), pairs=sum(c.pairs for c in result.chats))


def make_users(count: int) -> None:
    """The contributor and `count` voters with API tokens, in one app start; prints the tokens."""
    sys.path.insert(0, str(PROJECT))
    from wsgi import app

    runner = app.test_cli_runner()
    tokens = []
    for name in [CONTRIBUTOR] + [f"bench{number}" for number in range(count)]:
        created = runner.invoke(args=["arena", "create-user", name, "--password", PASSWORD])
        assert created.exit_code == 0, created.output
        if name != CONTRIBUTOR:
            token = runner.invoke(args=["arena", "create-token", name])
            assert token.exit_code == 0, token.output
            tokens.append(token.output.strip().splitlines()[-1])
    print(json.dumps(tokens))


# -- voters --------------------------------------------------------------------------------------


def voter_thread(url: str, users: list[str], stop, out: list) -> None:
    session = requests.Session()
    session.trust_env = False  # never a proxy: loopback only
    rng, user, used = random.Random(), 0, 0
    while not stop.is_set():
        headers = {"Authorization": f"Bearer {users[user]}"}
        started, began = time.time(), time.perf_counter()
        try:
            served = session.post(f"{url}/api/v1/battles", json={}, headers=headers, timeout=90)
            used += 1
            if used >= BATTLES_PER_USER or served.status_code == 429:
                user, used = (user + 1) % len(users), 0
            if served.status_code != 201:
                out.append(("error", started, served.status_code, 0.0, 0.0))
                continue
            middle = time.perf_counter()
            voted = session.post(
                f"{url}/api/v1/battles/{served.json()['token']}/vote",
                json={"choice": rng.choice(CHOICES)},
                headers=headers,
                timeout=90,
            )
            finished = time.perf_counter()
        except requests.RequestException as error:
            out.append(("error", started, type(error).__name__, 0.0, 0.0))
            time.sleep(0.1)
            continue
        ok = "ok" if voted.status_code == 200 else "error"
        out.append((ok, started, voted.status_code, finished - middle, finished - began))


def voter_process(url: str, users_per_thread: list[list[str]], stop, queue) -> None:
    out: list = []
    threads = [
        threading.Thread(target=voter_thread, args=(url, users, stop, out))
        for users in users_per_thread
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(out)


def window(rows: list, start: float, end: float) -> dict:
    """Cycles (serve, then vote) that started in [start, end): votes per second and latencies,
    of the vote alone and of the whole cycle (serving a battle writes too, so it waits as well)."""
    inside = [row for row in rows if start <= row[1] < end]
    done = [row for row in inside if row[0] == "ok"]
    votes, cycles = [row[3] * 1000 for row in done], [row[4] * 1000 for row in done]
    seconds = end - start

    def pct(values: list[float], share: int):
        if len(values) < 2:
            return None
        return round(statistics.quantiles(values, n=100, method="inclusive")[share - 1])

    return {
        "seconds": round(seconds, 1),
        "votes": len(done),
        "votes_per_s": round(len(done) / seconds, 1) if seconds > 0 else None,
        "vote_p50_ms": pct(votes, 50),
        "vote_p99_ms": pct(votes, 99),
        "cycle_p99_ms": pct(cycles, 99),
        "cycle_max_ms": round(max(cycles)) if cycles else None,
        "errors": len(inside) - len(done),
        "error_statuses": sorted({str(row[2]) for row in inside if row[0] == "error"}),
    }


# -- one mode: a fresh database, votes alone, then votes during the import -----------------------


def measure(mode: str, args, tmp: Path) -> dict:
    with project_database(args.database, tmp) as settings:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update(settings, SECRET_KEY=uuid.uuid4().hex, ARENA_AUTO_SETUP="0")
        env["ARENA_INTEGRITY_FILE"] = str(OPEN_INTEGRITY)  # no daily caps on the bench's voters
        env["WEB_CONCURRENCY"] = str(args.workers)
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        run([*flask, "db", "upgrade"], env)
        run([*flask, "arena", "seed"], env)
        count = PROCESSES * THREADS * USERS_PER_THREAD
        tokens = json.loads(run([sys.executable, __file__, "--make-users", str(count)], env))
        chats = tmp / f"chats-{mode}.json"
        chat_file(chats, args.chats, seed=len(mode))
        port = free_port()
        command, settings = web_command(args.workers, port)
        with running(command, {**env, **settings}, tmp / f"{mode}.log") as (url, _):
            return drive(url, tokens, mode, chats, env, args)


def web_command(workers: int, port: int) -> tuple[list[str], dict]:
    """The Procfile's web line (its ${VAR:-default}s filled in), bound to loopback only, and
    the settings it assigns before its command (`NAME=value gunicorn ...`)."""
    procfile = (PROJECT / "Procfile").read_text()
    line = next(row for row in procfile.splitlines() if row.startswith("web:"))
    values = {"WEB_CONCURRENCY": str(workers), "PORT": str(port)}
    line = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: values.get(m.group(1), m.group(2)), line[4:])
    words, settings = shlex.split(line), {"PORT": str(port)}
    while words and re.fullmatch(r"\w+=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        settings[name] = value
    assert words[0] == "gunicorn", words
    options = {"--bind": f"127.0.0.1:{port}", "--workers": str(workers)}
    words = words[1:]
    for option, value in options.items():  # command-line settings override gunicorn.conf.py
        if option in words:
            words[words.index(option) + 1] = value
        else:
            words[0:0] = [option, value]
    return [sys.executable, "-m", "gunicorn", *words], settings


def drive(url: str, tokens: list[str], mode: str, chats: Path, env: dict, args) -> dict:
    context = multiprocessing.get_context("fork")
    stop, queue = context.Event(), context.Queue()
    per_thread = [tokens[n :: PROCESSES * THREADS] for n in range(PROCESSES * THREADS)]
    voters = [
        context.Process(
            target=voter_process,
            args=(url, per_thread[n * THREADS : (n + 1) * THREADS], stop, queue),
        )
        for n in range(PROCESSES)
    ]
    for voter in voters:
        voter.start()
    began = time.time()
    time.sleep(args.warmup + args.alone)
    marks = import_while_voting(mode, chats, env)
    time.sleep(1)
    stop.set()
    rows = [row for _ in voters for row in queue.get(timeout=300)]
    for voter in voters:
        voter.join(timeout=30)
    alone_start = began + args.warmup
    return {
        "mode": mode,
        "import": {key: marks[key] for key in ("published", "pairs", "seconds", "phases")},
        "alone": window(rows, alone_start, alone_start + args.alone),
        "import_whole": window(rows, marks["scrub"], marks["end"]),
        "import_scrub": window(rows, marks["scrub"], marks["write"]),
        "import_write": window(rows, marks["write"], marks["end"]),
    }


def import_while_voting(mode: str, chats: Path, env: dict) -> dict:
    command = [sys.executable, __file__, "--import-child", mode, str(chats)]
    output = run(command, env)
    marks: dict = {}
    for line in output.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            marks[event["event"]] = event["t"]
            marks.update({k: v for k, v in event.items() if k not in ("event", "t")})
    marks["seconds"] = round(marks["end"] - marks["scrub"], 1)
    order = [name for name in ("scrub", "write", "locked", "committing", "end") if name in marks]
    marks["phases"] = {
        f"{first}->{second}": round(marks[second] - marks[first], 2)
        for first, second in itertools.pairwise(order)
    }
    return marks


def report(results: list[dict], args) -> None:
    print(
        f"{args.database}, gunicorn gthread x {args.workers} workers, 8 clients (serve + vote), "
        f"import of {args.chats} chats"
    )
    print("| mode | window | s | votes/s | vote p50 / p99 ms | serve+vote p99 / max ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for result in results:
        for name in ("alone", "import_whole", "import_scrub", "import_write"):
            row = result[name]
            print(
                f"| {result['mode']} | {name.replace('_', ': ')} | {row['seconds']} | "
                f"{row['votes_per_s']} | {row['vote_p50_ms']} / {row['vote_p99_ms']} | "
                f"{row['cycle_p99_ms']} / {row['cycle_max_ms']} | "
                f"{row['errors']} {row['error_statuses'] or ''} |"
            )
        imported = result["import"]
        print(
            f"({result['mode']}: {imported['published']} chats, {imported['pairs']} pairs "
            f"published in {imported['seconds']} s; phases {imported['phases']})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--chats", type=int, default=5000)
    parser.add_argument("--alone", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", default="outside,inside")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--import-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--make-users", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_users:
        return make_users(args.make_users)
    if args.import_child:
        return import_child(*args.import_child)
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for mode in args.modes.split(","):
            folder = Path(tmp) / mode  # a fresh database for each mode
            folder.mkdir()
            results.append(measure(mode, args, folder))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        report(results, args)


if __name__ == "__main__":
    main()

"""Serve + vote cycles over HTTP: Crowd Arena beside a bare Flask app, in one run.

Usage: python bench/bench_vote_cycle.py [--database sqlite|postgres] [--duration 20]
       [--warmup 5] [--workers 2] [--json]

Both apps run, one after the other, under the Procfile's web command (gunicorn, gthread
workers; bound to 127.0.0.1 on a free port). Each is driven by 8 concurrent clients (2
processes x 4 threads, one requests.Session each) that serve a battle and vote on it, again and
again, for `--warmup` then `--duration` seconds; only cycles whose vote ends inside the
measured window count. The bare app (bench/bare_arena.py) is raw sqlite3 in WAL mode. The
project runs on a fresh SQLite instance (`flask db upgrade`, `flask arena seed`) or, with
`--database postgres`, on a database created for the run and dropped after it, with Redis
(db 1, flushed) for Socket.IO and rate limits. Project clients use the JSON API with bearer
tokens of their own users; the API allows 60 battles a minute per user, so each client owns
several users and moves to the next before the limit (refusals would be counted as `429`).
Besides rates and latencies it reports the servers' CPU time per cycle (gunicorn master and
workers, from /proc), which a busy machine disturbs less than rates.
"""

import argparse
import json
import math
import multiprocessing
import os
import random
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests

PROJECT = Path(__file__).resolve().parent.parent
PROCESSES, THREADS = 2, 4
CHOICES = ("a", "b", "tie", "both_bad")
BATTLES_PER_USER = 55  # under the API's 60 battles per minute and user
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_command(workers: int, port: int, app_module: str = "wsgi:app") -> list[str]:
    """The Procfile's web line (its ${VAR:-default}s filled in), bound to loopback only."""
    line = next(
        row for row in (PROJECT / "Procfile").read_text().splitlines() if row.startswith("web:")
    )
    values = {"WEB_CONCURRENCY": str(workers), "PORT": str(port)}
    line = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: values.get(m.group(1), m.group(2)), line[4:])
    words = shlex.split(line)
    while "=" in words[0]:  # a leading VAR=value sets the environment (e.g. trusted proxies)
        words.pop(0)
    assert words[0] == "gunicorn", words
    words = words[1:]
    # Command-line settings override gunicorn.conf.py: never 0.0.0.0 here.
    for option, value in (("--bind", f"127.0.0.1:{port}"), ("--workers", str(workers))):
        if option in words:
            words[words.index(option) + 1] = value
        else:
            words[0:0] = [option, value]
    words[words.index("wsgi:app")] = app_module
    return [sys.executable, "-m", "gunicorn", *words]


@contextmanager
def running(command: list[str], env: dict, log_path: Path, timeout: float = 90):
    port = int(command[command.index("--bind") + 1].rsplit(":", 1)[1])
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w+") as log:
        server = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if requests.get(url + "/", timeout=5, proxies={}).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise SystemExit(f"{command} did not start:\n{log.read()[-3000:]}")
                time.sleep(0.3)
            yield url, server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def run(command: list[str], env: dict) -> str:
    result = subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode:
        raise SystemExit(f"{command} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def make_users(count: int) -> None:
    """In a child process with the app's environment: `arena create-user` and `create-token`
    for `count` users, through the Flask CLI in process (one app start instead of 2 x count)."""
    sys.path.insert(0, str(PROJECT))
    from wsgi import app

    runner = app.test_cli_runner()
    tokens = []
    for number in range(count):
        name = f"bench{number}"
        created = runner.invoke(
            args=["arena", "create-user", name, "--password", "benchmark vote cycle"]
        )
        assert created.exit_code == 0, created.output
        token = runner.invoke(args=["arena", "create-token", name])
        assert token.exit_code == 0, token.output
        tokens.append(token.output.strip())
    print(json.dumps(tokens))


def client_thread(url: str, kind: str, users: list, start: float, end: float, out: list) -> None:
    session = requests.Session()
    session.trust_env = False  # never a proxy: loopback only
    prefix = "/api/v1" if kind == "project" else ""  # the bare app serves with GET /battle
    rng = random.Random()
    user, used = 0, 0
    while time.time() < end:
        if kind == "project":
            headers = {"Authorization": f"Bearer {users[user]}"}
        else:
            headers = {"X-Voter": str(users[user])}
        try:
            began = time.perf_counter()
            if kind == "project":
                served = session.post(f"{url}/api/v1/battles", json={}, headers=headers, timeout=60)
            else:
                served = session.get(f"{url}/battle", headers=headers, timeout=60)
            middle = time.perf_counter()
            used += 1
            if used >= BATTLES_PER_USER or served.status_code == 429:
                user, used = (user + 1) % len(users), 0
            if served.status_code != 201:
                out.append(("error", time.time(), served.status_code, 0.0, 0.0))
                continue
            voted = session.post(
                f"{url}{prefix}/battles/{served.json()['token']}/vote",
                json={"choice": rng.choice(CHOICES)},
                headers=headers,
                timeout=60,
            )
            finished = time.perf_counter()
        except requests.RequestException as error:
            out.append(("error", time.time(), type(error).__name__, 0.0, 0.0))
            time.sleep(0.1)
            continue
        status = "ok" if voted.status_code == 200 else "error"
        out.append((status, time.time(), voted.status_code, middle - began, finished - middle))


def client_process(url, kind, users_per_thread, start, end, queue) -> None:
    out: list = []
    threads = [
        threading.Thread(target=client_thread, args=(url, kind, users, start, end, out))
        for users in users_per_thread
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=end - time.time() + 120)
    queue.put(out)


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a server process and its workers."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    ticks = 0
    for process in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def drive(url: str, kind: str, users: list, warmup: float, duration: float, pid: int) -> dict:
    """8 clients for warmup + duration seconds; statistics of the cycles ending in the window,
    and the server's CPU time per cycle in it (steadier than rates on a busy machine)."""
    start = time.time() + 1
    end = start + warmup + duration
    per_thread = [users[n :: PROCESSES * THREADS] for n in range(PROCESSES * THREADS)]
    queue = multiprocessing.get_context("fork").Queue()
    processes = [
        multiprocessing.get_context("fork").Process(
            target=client_process,
            args=(url, kind, per_thread[n * THREADS : (n + 1) * THREADS], start, end, queue),
        )
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    time.sleep(max(0.0, start + warmup - time.time()))
    cpu = server_cpu_seconds(pid)
    time.sleep(max(0.0, end - time.time()))
    cpu = server_cpu_seconds(pid) - cpu
    try:
        rows = [row for _ in processes for row in queue.get(timeout=warmup + duration + 300)]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    window = [row for row in rows if start + warmup <= row[1] <= end]
    done = [row for row in window if row[0] == "ok"]
    codes = sorted({row[2] for row in window if row[0] == "error"})
    serve = [row[3] * 1000 for row in done]
    vote = [row[4] * 1000 for row in done]

    def pct(values, share):
        return round(statistics.quantiles(values, n=100)[share - 1], 1) if len(values) > 1 else None

    return {
        "cycles": len(done),
        "cycles_per_s": round(len(done) / duration, 1),
        "serve_p50_ms": pct(serve, 50),
        "serve_p99_ms": pct(serve, 99),
        "vote_p50_ms": pct(vote, 50),
        "vote_p99_ms": pct(vote, 99),
        "server_cpu_ms_per_cycle": round(cpu * 1000 / len(done), 2) if done else None,
        "errors": len(window) - len(done),
        "error_statuses": codes,
    }


@contextmanager
def project_database(kind: str, tmp: Path):
    """The project's DATABASE_URL (and REDIS_URL): a fresh SQLite file or PostgreSQL database."""
    if kind == "sqlite":
        yield {"DATABASE_URL": f"sqlite:///{tmp / 'arena.sqlite3'}"}
        return
    import psycopg
    import redis

    name = f"arena_bench_{os.getpid()}"
    redis_url = "redis://127.0.0.1:6379/1"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    redis.Redis.from_url(redis_url).flushdb()
    try:
        yield {
            "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
            "REDIS_URL": redis_url,
        }
    finally:
        redis.Redis.from_url(redis_url).flushdb()
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def measure_bare(args, tmp: Path) -> dict:
    database = tmp / "bare.sqlite3"
    run([sys.executable, "bench/bare_arena.py", "seed", str(database)], os.environ.copy())
    port = free_port()
    env = {**os.environ, "BARE_ARENA_DB": str(database), "PORT": str(port)}
    command = procfile_command(args.workers, port, "bare_arena:app")
    command[-1:-1] = ["--pythonpath", str(PROJECT / "bench")]
    with running(command, env, tmp / "bare.log") as (url, pid):
        return drive(
            url, "bare", list(range(1, PROCESSES * THREADS + 1)), args.warmup, args.duration, pid
        )


def measure_project(args, tmp: Path) -> dict:
    with project_database(args.database, tmp) as settings:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update(
            settings,
            SECRET_KEY=uuid.uuid4().hex,
            ARENA_AUTO_SETUP="0",
            WEB_CONCURRENCY=str(args.workers),
        )
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        run([*flask, "db", "upgrade"], env)
        run([*flask, "arena", "seed"], env)
        count = PROCESSES * THREADS * args.users_per_client
        tokens = json.loads(run([sys.executable, __file__, "--make-users", str(count)], env))
        port = free_port()
        command = procfile_command(args.workers, port)
        with running(command, {**env, "PORT": str(port)}, tmp / "project.log") as (url, pid):
            return drive(url, "project", tokens, args.warmup, args.duration, pid)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--users-per-client", type=int, help="default: enough for 25 cycles/s")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--make-users", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_users:
        return make_users(args.make_users)
    args.users_per_client = args.users_per_client or math.ceil(
        25 * (args.warmup + args.duration) / BATTLES_PER_USER
    )
    with tempfile.TemporaryDirectory() as tmp:
        bare = measure_bare(args, Path(tmp))
        project = measure_project(args, Path(tmp))
    ratio = {
        "cycles_per_s": round(project["cycles_per_s"] / bare["cycles_per_s"], 2),
        "vote_p99": round(project["vote_p99_ms"] / bare["vote_p99_ms"], 2),
        "server_cpu_per_cycle": round(
            project["server_cpu_ms_per_cycle"] / bare["server_cpu_ms_per_cycle"], 2
        ),
    }
    report = {
        "database": args.database,
        "workers": args.workers,
        "clients": f"{PROCESSES} processes x {THREADS} threads",
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "bare": bare,
        "project": project,
        "project_over_bare": ratio,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{args.database}, gunicorn gthread x {args.workers} workers, 8 clients "
        f"(2 processes x 4 threads), {args.duration:g} s after {args.warmup:g} s warm-up"
    )
    print(
        "| app | cycles/s | serve p50 / p99 ms | vote p50 / p99 ms | server CPU ms/cycle | errors |"
    )
    print("|---|---|---|---|---|---|")
    for name, row in (("bare (raw sqlite3)", bare), ("Crowd Arena", project)):
        print(
            f"| {name} | {row['cycles_per_s']} | {row['serve_p50_ms']} / {row['serve_p99_ms']} | "
            f"{row['vote_p50_ms']} / {row['vote_p99_ms']} | {row['server_cpu_ms_per_cycle']} | "
            f"{row['errors']} "
            f"{row['error_statuses'] or ''} |"
        )
    print(
        f"project / bare: cycles/s {ratio['cycles_per_s']}x, vote p99 {ratio['vote_p99']}x, "
        f"server CPU per cycle {ratio['server_cpu_per_cycle']}x"
    )


if __name__ == "__main__":
    main()

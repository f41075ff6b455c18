"""Vote path benchmark: serve + vote through the JSON API on the real seeds.

Usage: python bench/bench_votes.py [--database-url URL] [--votes N] [--threads T]
Prints p50/p99 latency of serving a battle and of casting a vote, and votes per second.
"""

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from arena import create_app  # noqa: E402
from arena.extensions import db  # noqa: E402
from arena.models import Base  # noqa: E402


def fresh_app(database_url: str | None, workdir: Path):
    if database_url and database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
            "INSTANCE_DIR": str(workdir),
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
    runner = app.test_cli_runner()
    runner.invoke(args=["arena", "seed"])
    return app


VOTES_PER_VOTER = 90


def make_voters(app, count: int) -> list[str]:
    runner = app.test_cli_runner()
    tokens = []
    for number in range(count):
        name = f"bench{number}"
        runner.invoke(args=["arena", "create-user", name, "--password", "benchmark vote cycle"])
        tokens.append(runner.invoke(args=["arena", "create-token", name]).output.strip())
    return tokens


def one_round(client, token: str, choice: str) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    battle = client.post("/api/v1/battles", json={}, headers=headers).get_json()
    served = time.perf_counter()
    reply = client.post(
        f"/api/v1/battles/{battle['token']}/vote", json={"choice": choice}, headers=headers
    )
    assert reply.status_code == 200, reply.get_json()
    return served - started, time.perf_counter() - served


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--votes", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        app = fresh_app(args.database_url, Path(workdir))
        # Each voter stays under the daily cap per community (seeds/integrity.json: 100).
        tokens = make_voters(app, max(args.threads, -(-args.votes // VOTES_PER_VOTER)))
        client = app.test_client()
        choices = ("a", "b", "tie", "both_bad")
        jobs = [(tokens[n % len(tokens)], choices[n % 4]) for n in range(args.votes)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            timings = list(pool.map(lambda job: one_round(client, *job), jobs))
        elapsed = time.perf_counter() - started
        serve, vote = [t[0] for t in timings], [t[1] for t in timings]
        backend = "postgresql" if args.database_url else "sqlite"
        print(f"{backend}: {args.votes} serve+vote rounds, {args.threads} threads, {elapsed:.1f} s")
        for label, values in (("serve battle", serve), ("cast vote   ", vote)):
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            print(f"  {label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        print(f"  throughput:   {args.votes / elapsed:.0f} votes/s (each with its battle)")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()

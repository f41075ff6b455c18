"""Vote path benchmark: serve + vote through the JSON API on the real seeds.

Usage: python bench/bench_votes.py [--database-url URL] [--votes N] [--threads T] [--warmup W]
       [--history H]
`--history` gives each voter H earlier votes (one an hour, ending yesterday, between seeded
models, on no prompt of today's arena) before the run, as a long-standing voter has.
Prints p50/p99 latency of serving a battle and of casting a vote, votes per second, and this
process's CPU time per serve + vote (steadier than rates on a shared machine), all over the
N rounds that follow W warm-up rounds.
"""

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from arena import create_app  # noqa: E402
from arena.extensions import db  # noqa: E402
from arena.models import Base, Community, LanguageModel, User, Vote, utcnow  # noqa: E402


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


def add_history(app, voters: int, votes_each: int) -> None:
    """Earlier votes of every voter between the seeded models (on no prompt served now)."""
    with app.app_context():
        general = db.session.scalar(select(Community.id).where(Community.slug == "general"))
        models = db.session.scalars(select(LanguageModel.id).order_by(LanguageModel.id)).all()
        pairs = [(a, b) for a in models for b in models if a < b]
        names = [f"bench{number}" for number in range(voters)]
        voter_ids = db.session.scalars(select(User.id).where(User.username.in_(names))).all()
        start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        for voter_id in voter_ids:
            rows = [
                {
                    "voter_id": voter_id,
                    "community_id": general,
                    "model_a_id": pairs[n % len(pairs)][0],
                    "model_b_id": pairs[n % len(pairs)][1],
                    "choice": ("a", "b", "tie", "both_bad")[n % 4],
                    "created_at": start - timedelta(hours=n + 1),
                    "voter_trust": "counted",
                }
                for n in range(votes_each)
            ]
            db.session.execute(insert(Vote), rows)
        db.session.commit()


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
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--history", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        app = fresh_app(args.database_url, Path(workdir))
        # Each voter stays under the daily cap per community (seeds/integrity.json: 100).
        rounds = args.warmup + args.votes
        tokens = make_voters(app, max(args.threads, -(-rounds // VOTES_PER_VOTER)))
        if args.history:
            add_history(app, len(tokens), args.history)
        client = app.test_client()
        choices = ("a", "b", "tie", "both_bad")
        jobs = [(tokens[n % len(tokens)], choices[n % 4]) for n in range(rounds)]
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(lambda job: one_round(client, *job), jobs[: args.warmup]))
            started, cpu_started = time.perf_counter(), time.process_time()
            timings = list(pool.map(lambda job: one_round(client, *job), jobs[args.warmup :]))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        serve, vote = [t[0] for t in timings], [t[1] for t in timings]
        backend = "postgresql" if args.database_url else "sqlite"
        print(f"{backend}: {args.votes} serve+vote rounds, {args.threads} threads, {elapsed:.1f} s")
        for label, values in (("serve battle", serve), ("cast vote   ", vote)):
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            print(f"  {label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        print(f"  throughput:   {args.votes / elapsed:.0f} votes/s (each with its battle)")
        print(f"  CPU:          {1000 * cpu / args.votes:.2f} ms per serve + vote")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()

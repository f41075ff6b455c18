"""Bradley–Terry at scale: how long the published board takes on a big vote log.

Against an arena database holding the 1.67M expanded Chatbot Arena votes (see
bench/expand_arena_counts.py and BENCHMARKS.md for the import), times: counting wins and ties
per pair (one GROUP BY), the fit, the 100-round bootstrap, and an HTTP request to
/api/v1/leaderboard?method=bt on a cold and on a warm cache.

    DATABASE_URL=... SECRET_KEY=x python bench/bench_battles.py [--rounds 100]
"""

import argparse
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from arena import create_app  # noqa: E402
from arena.extensions import db  # noqa: E402
from arena.voting import boards, bradley_terry  # noqa: E402
from arena.voting.selection import BoardKey  # noqa: E402


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"{label:<40} {time.perf_counter() - started:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    app = create_app({"BOARD_ROUNDS": args.rounds})
    with app.app_context():
        key = BoardKey(rounds=args.rounds)
        counts = timed(
            "pair counts (GROUP BY over all votes)", lambda: boards.pair_counts(db.session, key)
        )
        print(f"  {counts.total} votes, {len(counts.models)} models, {len(counts.first)} pairs")
        with threadpool_limits(1):
            timed("fit", lambda: bradley_terry.fit(counts))
            timed(
                f"fit + {args.rounds}-round bootstrap",
                lambda: bradley_terry.board(counts, args.rounds),
            )
    client = app.test_client()
    url = "/api/v1/leaderboard?method=bt"
    reply = timed("HTTP, cold cache (counts + fit + bootstrap)", lambda: client.get(url))
    timed("HTTP, warm cache", lambda: client.get(url))
    print(f"  top: {reply.get_json()['models'][0]}")


if __name__ == "__main__":
    main()

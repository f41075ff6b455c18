"""Expand the Chatbot Arena pair counts (shared/datasets/chatbot_arena_20240814_counts) into
1,670,250 FastChat battle records (JSON Lines), in a seeded random order, for the import and
rating benchmarks. Usage: python bench/expand_arena_counts.py OUT.jsonl [--limit N]
"""

import argparse
import json
from pathlib import Path

import numpy as np

COUNTS = (
    Path(__file__).resolve().parents[2]
    / "shared/datasets/chatbot_arena_20240814_counts/chatbotarena_20240814.json"
)
WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")


def expand(limit: int | None, seed: int = 20240814) -> list[tuple[int, int, int]]:
    data = json.loads(COUNTS.read_text())
    rows = [
        (i, j, outcome)
        for (i, j), counts in zip(data["X"], data["Y"], strict=True)
        for outcome, count in enumerate(counts)
        for _ in range(count)
    ]
    order = np.random.default_rng(seed).permutation(len(rows))
    return data["models"], [rows[k] for k in order[:limit]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("output", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    models, rows = expand(args.limit)
    start = 1_600_000_000.0  # spread over time so "score over time" has something to show
    with args.output.open("w") as out:
        for number, (i, j, outcome) in enumerate(rows):
            first, second = (i, j) if number % 2 else (j, i)  # fold sides back both ways
            winner = WINNERS[outcome]
            if first != i and outcome < 2:
                winner = WINNERS[1 - outcome]
            record = {
                "model_a": models[first],
                "model_b": models[second],
                "winner": winner,
                "judge": f"arena_user_{number % 50000}",
                "tstamp": start + number * 20.0,
            }
            out.write(json.dumps(record) + "\n")
    print(f"wrote {len(rows)} battles to {args.output}")


if __name__ == "__main__":
    main()

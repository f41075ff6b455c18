"""How well live TrueSkill agrees with the published Bradley–Terry board, and how much it
depends on vote order, for several TrueSkill settings.

Reads the seeded human votes (seeds/votes) or a battles file (--battles, FastChat JSON Lines,
e.g. the expansion of the Chatbot Arena counts), replays them in the file's order and in
--orders random orders with the fast 1-vs-1 update, and reports Kendall tau and Spearman rho
of each TrueSkill order (by mu - 3 sigma) against the BT fit on the same votes, and the median
and largest rank movement across orders.

    python bench/trueskill_agreement.py [--battles FILE] [--orders 5] [--limit N]
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import trueskill
from scipy.stats import kendalltau, spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from arena.voting import bradley_terry  # noqa: E402
from arena.voting.fast_trueskill import OneVersusOne  # noqa: E402

SEED_VOTES = Path(__file__).resolve().parents[1] / "seeds" / "votes"
WINNER = {"a": 0, "b": 1, "tie": 2, "both_bad": 2}
FASTCHAT = {"model_a": 0, "model_b": 1, "tie": 2, "tie (bothbad)": 2}


def load_votes(battles: Path | None, limit: int | None) -> list[tuple[str, str, int]]:
    if battles is None:
        rows = [
            json.loads(line) for path in sorted(SEED_VOTES.glob("*.jsonl")) for line in path.open()
        ]
        votes = [(r["a"], r["b"], WINNER[r["choice"]]) for r in rows]
    else:
        votes = []
        with battles.open() as stream:
            for line in stream:
                r = json.loads(line)
                votes.append((r["model_a"], r["model_b"], FASTCHAT[r["winner"]]))
                if limit and len(votes) >= limit:
                    break
    return votes[:limit] if limit else votes


def bt_scores(votes, models) -> np.ndarray:
    index = {m: i for i, m in enumerate(models)}
    tallies: dict[tuple[int, int], list[int]] = {}
    for a, b, outcome in votes:
        i, j = index[a], index[b]
        key, flip = ((i, j), False) if i < j else ((j, i), True)
        cell = tallies.setdefault(key, [0, 0, 0])
        cell[2 if outcome == 2 else (outcome ^ flip)] += 1
    counts = bradley_terry.PairCounts.from_rows(models, [(*k, *v) for k, v in tallies.items()])
    return bradley_terry.fit(counts)


def trueskill_scores(votes, models, environment) -> np.ndarray:
    rate = OneVersusOne(environment).rate
    state = {m: (environment.mu, environment.sigma) for m in models}
    for a, b, outcome in votes:
        if outcome == 1:
            state[b], state[a] = rate(state[b], state[a])
        else:
            state[a], state[b] = rate(state[a], state[b], outcome == 2)
    return np.array([state[m][0] - 3 * state[m][1] for m in models]), state


def ranks(scores: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(-scores))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--battles", type=Path)
    parser.add_argument("--orders", type=int, default=5)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    votes = load_votes(args.battles, args.limit)
    models = sorted({v[0] for v in votes} | {v[1] for v in votes})
    reference = bt_scores(votes, models)
    tie_share = sum(v[2] == 2 for v in votes) / len(votes)
    settings = {
        "package defaults (tau 0.083, draws 10 %)": trueskill.TrueSkill(),
        f"tau 0, draws from data ({tie_share:.1%})": trueskill.TrueSkill(
            tau=0.0, draw_probability=tie_share
        ),
        f"tau 0.01, draws from data ({tie_share:.1%})": trueskill.TrueSkill(
            tau=0.01, draw_probability=tie_share
        ),
    }
    print(f"{len(votes)} votes, {len(models)} models, ties {tie_share:.1%}")
    print(
        "| setting | file order: Kendall / Spearman vs BT | random orders: Kendall (min-max) "
        "| rank moves across orders: median / max | sigma range |"
    )
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(7)
    for label, environment in settings.items():
        in_order, state = trueskill_scores(votes, models, environment)
        orders = [rng.permutation(len(votes)) for _ in range(args.orders)]
        shuffled = [
            trueskill_scores([votes[k] for k in order], models, environment)[0] for order in orders
        ]
        taus = [kendalltau(s, reference).statistic for s in shuffled]
        moves = np.ptp(np.array([ranks(s) for s in shuffled]), axis=0)
        sigmas = [state[m][1] for m in models]
        print(
            f"| {label} | {kendalltau(in_order, reference).statistic:.3f} / "
            f"{spearmanr(in_order, reference).statistic:.3f} | {min(taus):.3f}-{max(taus):.3f} "
            f"| {np.median(moves):.0f} / {moves.max()} | {min(sigmas):.2f}-{max(sigmas):.2f} |"
        )


if __name__ == "__main__":
    main()

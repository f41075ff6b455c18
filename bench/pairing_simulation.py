"""Pairing that learns versus uniform pairs, in simulation.

The world: models of mixed strength (true Elo scores drawn from N(1000, --spread); the default
106 is the spread of the Bradley–Terry scores of the 129 models of the Chatbot Arena counts in
shared/datasets/chatbot_arena_20240814_counts, whose votes are 34.5 % ties), voters
who tie more often between close models (P(tie) = 0.3·exp(-|gap| / 200)) and otherwise
follow Bradley–Terry. The site's pairing is `arena.voting.matchmaking.choose` with the
default settings of `seeds/pairing.json`, over TrueSkill states updated after every vote as
the site does (`rating_settings`: tau 0, the draw probability set to the world's share of ties
between random pairs, as `retune` would store it) with its exposure counts; the baseline draws
uniform pairs. Both see the same worlds (same true scores per seed). With --oracle, a third
row runs the same rule fed the true strengths instead of the ratings.

Every --horizon-per-model × models / --checkpoints votes, a Bradley–Terry fit on all votes
so far (the published ranking) is compared with the truth. Per seed, three measures of the
votes needed for Kendall tau >= 0.9 and Spearman >= 0.95:
  first    the first checkpoint where both hold (noisy: a lucky fluctuation counts);
  settled  the first checkpoint from which both hold at every later checkpoint up to the
           horizon (censored at the horizon);
  mean     the first checkpoint where the mean tau and mean Spearman over the seeds hold.
Ratios: learning / uniform of the medians, and the geometric mean of the per-seed ratios
(paired by world). Battle shares (battles / mean battles) are the extremes over all
checkpoints once models have played 10 battles on average.

Newcomers: after --warmup-per-model × (models - 1) votes among the others (learning
pairing), one more model arrives and the pairing named in the row continues; reported is in
how many worlds the fit ranks it at its true rank +/- 1 at its own 100th vote, the median of
its vote from which it stays there through its 100th (checked every 5 of its votes), and the
median number of arena votes its first 100 took (its share of battles is bounded).

--bound instead asks what any fixed allocation of votes could do if the true strengths were
known, in the normal approximation of the fit (expected discordant pairs from the effective
resistances of the comparison graph): per world, whether the best allocation found reaches
uniform's expected quality (5 % of pairs misordered) with 0.6, 0.7, 0.8, 0.9 of its votes.

    OPENBLAS_NUM_THREADS=1 python bench/pairing_simulation.py --models 20 --seeds 16 --oracle
    OPENBLAS_NUM_THREADS=1 python bench/pairing_simulation.py --models 20 50 --seeds 16 --bound
"""

import argparse
import json
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from scipy.special import ndtr
from scipy.stats import kendalltau, spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from arena.voting import bradley_terry, matchmaking, rating_settings  # noqa: E402
from arena.voting.ratings import ENVIRONMENT  # noqa: E402

TIE_BASE = 0.3
KENDALL, SPEARMAN = 0.9, 0.95
STRATEGIES = ("uniform", "learning")
ORACLE = "oracle"  # the same rule fed the true strengths: what exact ratings would give
LOGIT_ELO = bradley_terry.SCALE / np.log(bradley_terry.BASE)  # Elo points per logit
ELO_PER_MU = 47.0  # TrueSkill's win curve (beta 25/6) matches Elo's slope at 1 mu = 47 Elo
NEWCOMER_BUDGET, NEWCOMER_STEP = 100, 5
NEWCOMER_SEED_OFFSET = 50_000  # newcomer worlds differ from the convergence runs' worlds


def default_settings() -> matchmaking.Settings:
    return matchmaking.Settings.from_mapping(json.loads((ROOT / "seeds/pairing.json").read_text()))


class World:
    def __init__(self, models: int, spread: float, seed: int):
        self.truth = np.random.default_rng(seed).normal(1000, spread, models)
        self.rng = np.random.default_rng(seed + 10_000)

    def tie_share(self) -> float:
        """The share of ties between random pairs, rounded as `rating_settings` stores it."""
        gaps = self.truth[:, None] - self.truth[None, :]
        off_diagonal = ~np.eye(len(self.truth), dtype=bool)
        return round(float(_tie_chance(gaps[off_diagonal]).mean()), 4)

    def vote(self, a: int, b: int) -> int:
        """0: a wins, 1: b wins, 2: tie."""
        gap = self.truth[a] - self.truth[b]
        if self.rng.random() < _tie_chance(gap):
            return 2
        return 0 if self.rng.random() < bradley_terry.win_probability(gap, 0) else 1


class Arena:
    """Live state as the site keeps it: TrueSkill per model, votes and battles served."""

    def __init__(self, world: World, strategy: str, seed: int, settings: matchmaking.Settings):
        models = len(world.truth)
        self.rate = rating_settings.rater(world.tie_share()).rate
        self.mu = np.full(models, ENVIRONMENT.mu)
        self.sigma = np.full(models, ENVIRONMENT.sigma)
        self.votes = np.zeros(models, int)
        self.battles = np.zeros(models, int)
        self.counts = np.zeros((models, models, 3))  # [low id, high id]: low wins, high, tie
        self.strategy, self.settings = strategy, settings
        self.rng = np.random.default_rng(seed + 20_000)
        self.active = models

    def pair(self, world: World) -> tuple[int, int]:
        if self.strategy == "uniform":
            a, b = self.rng.choice(self.active, 2, replace=False)
            return int(a), int(b)
        mu, sigma = self.mu, self.sigma
        if self.strategy == ORACLE:
            mu = ENVIRONMENT.mu + (world.truth - 1000) / ELO_PER_MU
            sigma = np.zeros_like(mu)
        states = [
            matchmaking.ModelState(*row)
            for row in zip(mu, sigma, self.votes, self.battles, strict=True)
        ][: self.active]
        return matchmaking.choose(states, self.settings, self.rng)

    def play(self, world: World) -> None:
        a, b = self.pair(world)
        outcome = world.vote(a, b)
        self.battles[[a, b]] += 1
        self.votes[[a, b]] += 1
        winner, loser = (b, a) if outcome == 1 else (a, b)
        (self.mu[winner], self.sigma[winner]), (self.mu[loser], self.sigma[loser]) = self.rate(
            (self.mu[winner], self.sigma[winner]),
            (self.mu[loser], self.sigma[loser]),
            outcome == 2,
        )
        low, high = min(a, b), max(a, b)
        self.counts[low, high, 2 if outcome == 2 else int((outcome == 0) != (a == low))] += 1

    def scores(self) -> np.ndarray:
        """The Bradley–Terry fit on all votes so far (Elo scale)."""
        models = len(self.mu)
        first, second = np.triu_indices(models, 1)
        cells = self.counts[first, second]
        played = cells.sum(axis=1) > 0
        counts = bradley_terry.PairCounts(
            list(range(models)), first[played], second[played], *cells[played].T
        )
        return bradley_terry.fit(counts)

    def shares(self) -> np.ndarray:
        return self.battles[: self.active] / self.battles[: self.active].mean()


def convergence_run(job) -> dict:
    """tau and Spearman at every checkpoint, and the extremes of the battle shares."""
    strategy, models, spread, seed, horizon, every, settings = job
    world = World(models, spread, seed)
    arena = Arena(world, strategy, seed, settings)
    taus, rhos, low, high = [], [], np.inf, 0.0
    for number in range(1, horizon + 1):
        arena.play(world)
        if number % every:
            continue
        scores = arena.scores()
        taus.append(kendalltau(scores, world.truth).statistic)
        rhos.append(spearmanr(scores, world.truth).statistic)
        if arena.battles.mean() >= 10:
            low, high = min(low, arena.shares().min()), max(high, arena.shares().max())
    return {"tau": np.array(taus), "rho": np.array(rhos), "shares": (low, high)}


def first_and_settled(run: dict, every: int) -> tuple[int, int]:
    met = (run["tau"] >= KENDALL) & (run["rho"] >= SPEARMAN)
    first = (int(np.argmax(met)) + 1) * every if met.any() else len(met) * every
    unmet = np.flatnonzero(~met)
    settled = (int(unmet[-1]) + 2) * every if len(unmet) else every
    return first, min(settled, len(met) * every)


def mean_curve(runs: list[dict], every: int) -> int | None:
    met = (np.mean([r["tau"] for r in runs], axis=0) >= KENDALL) & (
        np.mean([r["rho"] for r in runs], axis=0) >= SPEARMAN
    )
    return (int(np.argmax(met)) + 1) * every if met.any() else None


def newcomer_run(job) -> tuple[int | None, int]:
    """Its own votes from which the newcomer stays at its true rank +/- 1 through its 100th
    vote (None: not there at its 100th), and the votes of the arena that took."""
    strategy, models, spread, seed, warmup, settings = job
    world = World(models, spread, seed + NEWCOMER_SEED_OFFSET)
    arena = Arena(world, "learning", seed + NEWCOMER_SEED_OFFSET, settings)
    arena.active = models - 1
    for _ in range(warmup):
        arena.play(world)
    arena.active, arena.strategy = models, strategy
    newcomer = models - 1
    true_rank = int(np.sum(world.truth > world.truth[newcomer]))
    placed_since, played, checked = None, 0, 0
    while checked < NEWCOMER_BUDGET:
        arena.play(world)
        played += 1
        if arena.votes[newcomer] < checked + NEWCOMER_STEP:
            continue
        checked = int(arena.votes[newcomer])
        scores = arena.scores()
        placed = abs(int(np.sum(scores > scores[newcomer])) - true_rank) <= 1
        placed_since = (placed_since or checked) if placed else None
    return placed_since, played


def simulate(args, models: int, settings: matchmaking.Settings) -> dict:
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    horizon, every = args.horizon[models], args.every[models]
    warmup = args.warmup_per_model * (models - 1)
    strategies = (*STRATEGIES, ORACLE) if args.oracle else STRATEGIES
    with Pool(args.processes) as pool:
        runs = {
            strategy: pool.map(
                convergence_run,
                [(strategy, models, args.spread, s, horizon, every, settings) for s in seeds],
            )
            for strategy in strategies
        }
        newcomers = {
            strategy: pool.map(
                newcomer_run, [(strategy, models, args.spread, s, warmup, settings) for s in seeds]
            )
            for strategy in STRATEGIES
        }
    return {"runs": runs, "newcomers": newcomers}


def table_rows(models: int, result: dict, every: int) -> list[str]:
    runs, newcomers = result["runs"], result["newcomers"]
    measured = {s: np.array([first_and_settled(r, every) for r in runs[s]]) for s in runs}
    curves = {s: mean_curve(runs[s], every) for s in runs}
    rows = []
    for strategy in runs:
        first, settled = measured[strategy].T
        low = min(r["shares"][0] for r in runs[strategy])
        high = max(r["shares"][1] for r in runs[strategy])
        arrivals = newcomers.get(strategy, [])
        placed = [p for p, _ in arrivals if p is not None]
        placement = (
            f"{len(placed)}/{len(arrivals)} "
            f"(median {np.median(placed) if placed else float('nan'):.0f}; "
            f"{np.median([n for _, n in arrivals]):.0f} arena votes)"
            if arrivals
            else ""
        )
        rows.append(
            f"| {models} | {strategy} | {np.median(first):.0f} / {first.mean():.0f} | "
            f"{np.median(settled):.0f} / {settled.mean():.0f} | {curves[strategy]} | "
            f"{low:.2f}–{high:.2f} | {placement} |"
        )
    base = measured["uniform"].T
    for strategy in [s for s in runs if s != "uniform"]:
        cells = [
            f"{np.median(mine) / np.median(theirs):.2f} "
            f"(paired {_geometric_mean(mine / theirs):.2f})"
            for mine, theirs in zip(measured[strategy].T, base, strict=True)
        ]
        curve = (
            f"{curves[strategy] / curves['uniform']:.2f}"
            if curves[strategy] and curves["uniform"]
            else "n/a"
        )
        rows.append(
            f"| {models} | **{strategy} / uniform** | {cells[0]} | {cells[1]} | {curve} | | |"
        )
    return rows


def information(gap: np.ndarray) -> np.ndarray:
    """Fisher information one vote of this world's voters carries about a pair's gap (per
    squared logit unit), for the fit that counts a tie as half a win."""
    gap = np.asarray(gap, dtype=float)
    tie, win = _tie_chance(gap), 1 / (1 + 10 ** (-gap / 400))
    step = 1e-3
    slope = (_expected_score(gap + step) - _expected_score(gap - step)) / (2 * step)
    variance = (1 - tie) * win + tie / 4 - _expected_score(gap) ** 2
    return (slope * LOGIT_ELO) ** 2 / variance


def _tie_chance(gap):
    return TIE_BASE * np.exp(-np.abs(gap) / 200)


def _expected_score(gap):
    """A's expected score, a tie counting half."""
    return 0.5 + (1 - _tie_chance(gap)) * (1 / (1 + 10 ** (-gap / 400)) - 0.5)


def expected_misordered(truth: np.ndarray, votes: np.ndarray) -> float:
    """Expected discordant pairs of the fit when pair (i, j) gets votes[i, j] votes, in the
    normal approximation: the gap's variance is the effective resistance of the graph whose
    edges weigh votes x information."""
    gaps = truth[:, None] - truth[None, :]
    conductance = votes * information(gaps)
    laplacian = np.diag(conductance.sum(axis=1)) - conductance
    inverse = np.linalg.pinv(laplacian)
    diagonal = np.diag(inverse)
    resistance = diagonal[:, None] + diagonal[None, :] - 2 * inverse
    first, second = np.triu_indices(len(truth), 1)
    spread = np.sqrt(np.maximum(resistance[first, second], 1e-12)) * LOGIT_ELO
    return float(ndtr(-np.abs(gaps[first, second]) / spread).sum())


def best_static_allocation(truth: np.ndarray, votes: float, steps: int = 300) -> float:
    """Expected discordant pairs of the best fixed allocation of `votes` over the pairs found
    when the true strengths are known: the best Gaussian kernel on the true gaps, improved by
    exponentiated gradient. The problem is not convex, so this is the best found, not a proof
    of the best possible."""
    models = len(truth)
    first, second = np.triu_indices(models, 1)
    incidence = np.zeros((len(first), models))
    incidence[np.arange(len(first)), first], incidence[np.arange(len(first)), second] = 1, -1
    gaps = np.abs(truth[first] - truth[second])
    info = information(gaps)
    kernels = [np.exp(-((gaps / width) ** 2) / 2) for width in (50, 100, 150, 200, 300, 1e9)]
    allocation = min(
        (votes * kernel / kernel.sum() for kernel in kernels),
        key=lambda a: expected_misordered(truth, _square(a, first, second, models)),
    )
    best = np.inf
    for _ in range(steps):
        laplacian = incidence.T @ ((allocation * info)[:, None] * incidence)
        paths = incidence @ np.linalg.pinv(laplacian) @ incidence.T
        resistance = np.maximum(np.diag(paths), 1e-12)
        z = gaps / (np.sqrt(resistance) * LOGIT_ELO)
        best = min(best, float(ndtr(-z).sum()))
        # d(misordered)/d(resistance) > 0; d(resistance_k)/d(conductance_e) = -paths[k, e]²
        pull = -((paths**2) @ (np.exp(-z * z / 2) * z / (2 * resistance))) * info * allocation
        allocation *= np.exp(-0.2 * pull / np.abs(pull).max())
        allocation *= votes / allocation.sum()
    return best


def _square(values, first, second, models):
    square = np.zeros((models, models))
    square[first, second] = square[second, first] = values
    return square


def static_bound(models: int, spread: float, seeds: range, fractions=(0.6, 0.7, 0.8, 0.9)):
    """Per world: uniform's votes to an expected 5 % of pairs misordered, and whether the best
    known-strength allocation gets there with each fraction of them."""
    reached = {fraction: 0 for fraction in fractions}
    target = (1 - KENDALL) / 2 * models * (models - 1) / 2
    uniform = 1 - np.eye(models)
    for seed in seeds:
        truth = World(models, spread, seed).truth
        low, high = 1, 10**6
        while high - low > 1:  # uniform: n votes spread evenly over the pairs
            middle = (low + high) // 2
            votes = uniform * middle / (models * (models - 1) / 2)
            low, high = (
                (low, middle) if expected_misordered(truth, votes) <= target else (middle, high)
            )
        for fraction in fractions:
            reached[fraction] += best_static_allocation(truth, fraction * high) <= target
    return reached


def _geometric_mean(values: np.ndarray) -> float:
    return float(np.exp(np.mean(np.log(values))))


def add_world_options(parser: argparse.ArgumentParser, seeds: int) -> None:
    """The options that pick the worlds (bench/newcomer_bound.py runs the same ones)."""
    parser.add_argument("--models", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--spread", type=float, default=106.0)
    parser.add_argument("--seeds", type=int, default=seeds)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--warmup-per-model", type=int, default=150)
    parser.add_argument("--processes", type=int, default=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_world_options(parser, seeds=32)
    parser.add_argument("--horizon-per-model", type=int, default=600)
    parser.add_argument("--checkpoints", type=int, default=120)
    parser.add_argument("--oracle", action="store_true", help="add the rule on true strengths")
    parser.add_argument(
        "--bound", action="store_true", help="only the best known-strength static allocation"
    )
    args = parser.parse_args()
    args.horizon = {m: args.horizon_per_model * m for m in args.models}
    args.every = {m: max(1, args.horizon[m] // args.checkpoints) for m in args.models}
    if args.bound:
        for models in args.models:
            seeds = range(args.first_seed, args.first_seed + args.seeds)
            reached = static_bound(models, args.spread, seeds)
            print(
                f"{models} models, best static allocation knowing the true strengths (normal "
                "approximation): worlds where it reaches uniform's expected quality with a "
                "fraction of uniform's votes: "
                + ", ".join(f"{f:.1f}x: {n}/{len(seeds)}" for f, n in reached.items())
            )
        return
    settings = default_settings()
    print(f"settings: {settings}; spread {args.spread}; seeds {args.first_seed}.. x{args.seeds}")
    print(
        "\n| models | pairing | first: median / mean | settled: median / mean | mean curve "
        "| battle share min–max | newcomer at rank ±1 by its 100th vote |"
    )
    print("|---|---|---|---|---|---|---|")
    for models in args.models:
        result = simulate(args, models, settings)
        print("\n".join(table_rows(models, result, args.every[models])), flush=True)


if __name__ == "__main__":
    main()

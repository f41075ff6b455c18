"""How often could any pairing place a newcomer at its true rank ±1 by its 100th vote?

An oracle bound for the newcomer measure of bench/pairing_simulation.py, in its worlds (the
same true scores per seed; the newcomer is the last model). The oracle knows the other
models' strengths exactly and gives each of the newcomer's 100 votes the most informative
opponent the world has (the largest Fisher information over the newcomer's gaps to the
others, `pairing_simulation.information`, ties included). Its estimate of the newcomer is
then normal around the truth with variance 1 / (100 × that information) logit², the
Cramér–Rao bound that maximum likelihood reaches asymptotically, and the chance that this
estimate ranks the newcomer within ±1 of its true rank among the known others follows
exactly. Summed over the worlds: the expected number of worlds in which even the oracle
places the newcomer. A real pairing has less: it must find the opponents, and the fit also
errs on the others. With --simulate, the same worlds are also run with the named pairings
(`pairing_simulation.newcomer_run`), for their count of worlds placed beside the bound.

    python bench/newcomer_bound.py --models 20 50 --seeds 16
    OPENBLAS_NUM_THREADS=1 python bench/newcomer_bound.py --models 20 --seeds 200 \
        --simulate learning uniform --processes 2
"""

import argparse
from multiprocessing import Pool

import numpy as np
from pairing_simulation import (
    LOGIT_ELO,
    NEWCOMER_BUDGET,
    NEWCOMER_SEED_OFFSET,
    STRATEGIES,
    World,
    add_world_options,
    default_settings,
    information,
    newcomer_run,
)
from scipy.special import ndtr


def placement_chance(truth: np.ndarray, votes: int = NEWCOMER_BUDGET) -> float:
    """P(|estimated rank - true rank| <= 1) for the last model of `truth`, others known."""
    newcomer, others = truth[-1], np.sort(truth[:-1])[::-1]  # others from the strongest down
    error = LOGIT_ELO / np.sqrt(votes * information(newcomer - others).max())
    true_rank = int(np.sum(others > newcomer))  # models above it
    # Ranked within ±1 when the estimate stays below the (true_rank - 1)-th strongest other
    # and at or above the (true_rank + 2)-th.
    ceiling = others[true_rank - 2] if true_rank >= 2 else np.inf
    floor = others[true_rank + 1] if true_rank + 1 < len(others) else -np.inf
    return float(ndtr((ceiling - newcomer) / error) - ndtr((floor - newcomer) / error))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_world_options(parser, seeds=16)
    parser.add_argument("--simulate", nargs="*", choices=STRATEGIES, default=[])
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for models in args.models:
        chances = [
            placement_chance(World(models, args.spread, seed + NEWCOMER_SEED_OFFSET).truth)
            for seed in seeds
        ]
        print(
            f"{models} models, spread {args.spread:g}, seeds {seeds.start}..{seeds.stop - 1}: "
            f"the oracle places the newcomer in {sum(chances):.1f} of {len(chances)} worlds "
            f"expected (per world {min(chances):.2f}–{max(chances):.2f}, "
            f"{sum(c >= 0.95 for c in chances)} at 0.95 or more)"
        )
        for strategy in args.simulate:
            warmup = args.warmup_per_model * (models - 1)
            jobs = [
                (strategy, models, args.spread, seed, warmup, default_settings()) for seed in seeds
            ]
            with Pool(args.processes) as pool:
                placed = sum(since is not None for since, _ in pool.map(newcomer_run, jobs))
            print(f"  {strategy} pairing, simulated: placed in {placed} of {len(jobs)} worlds")


if __name__ == "__main__":
    main()

"""Which two models meet next: pairs drawn in proportion to how plausibly they are neighbours.

Why this rule. A ranking is wrong only where two models are in the wrong order, and only
models of close strength can be: a vote between two far-apart models whose order is settled
teaches the ranking almost nothing. A vote between two models of nearly equal strength is
the opposite waste: a coin flip (often a tie) that no affordable number of votes settles.
So each pair is weighted by how plausible it is, under the current TrueSkill beliefs, that
the two strengths lie within `closeness` of each other:

    w(a, b) = exp(-(mu_a - mu_b)² / (2 · (closeness² + sigma_a² + sigma_b²)))

An uncertain model (a new one above all) has a wide kernel and meets opponents across the
ladder, which places it quickly; a settled model meets its neighbours. Earlier simulation
runs preferred it to (sigma_a² + sigma_b²)·p(1-p), the probability that the current order is
wrong, the expected reduction of mis-ordered pairs, and LMArena's square root of the variance
reduction. In worlds as spread as the real arena it needs about as many votes as uniform
pairs to rank well, and no allocation could need much fewer there (BENCHMARKS.md, "Pairing
that learns"); what it buys is bounded exposure and newcomers placed in fewer arena votes.
The site serves through it (`pairing.choose_pair`).

Around it: a share of uniformly random pairs (`exploration`: every pair keeps a chance, and
the ratings cannot starve a model); a boost for models with fewer than `placement_votes`
votes; exposure bounds. No model's chance of playing the next battle passes `max_share` ×
the mean chance, however boosted, so a new model is not served to everyone at once. Checked
for the counts after the battle: a model that would pass `max_share` × the mean by playing
sits out; one at the edge of `min_share` × the mean plays; one further behind (a late
arrival) catches up at the top chance. The pair is drawn at random in proportion to the
weights, so nobody can predict it.
"""

from collections.abc import Collection
from dataclasses import dataclass, fields

import numpy as np

CAP_ROUNDS = 25  # rounds of rescaling for the cap on each model's chance of playing


@dataclass(frozen=True)
class Settings:
    exploration: float = 0.15  # share of uniformly random pairs
    closeness: float = 2.0  # kernel width on the TrueSkill scale (mu 25, beta 25/6)
    placement_votes: int = 30  # a model with fewer votes is still being placed
    placement_boost: float = 4.0  # weight factor of pairs with a model being placed
    min_share: float = 0.5  # bounds on a model's battles, as a multiple of the mean
    max_share: float = 1.5

    def __post_init__(self):
        if not 0 <= self.exploration <= 1:
            raise ValueError("exploration must lie in [0, 1]")
        if self.closeness <= 0 or self.placement_boost < 1 or self.placement_votes < 0:
            raise ValueError("closeness must be positive, placement_boost at least 1")
        if not 0 <= self.min_share <= 1 <= self.max_share:
            raise ValueError("need min_share <= 1 <= max_share")

    @classmethod
    def from_mapping(cls, values: dict | None = None, community: str | None = None) -> "Settings":
        """Settings from {"default": {...}, "communities": {slug: {...}}} (seeds/pairing.json):
        the defaults, then the community's overrides. Unknown keys are an error."""
        values = values or {}
        merged = {**values.get("default", {}), **values.get("communities", {}).get(community, {})}
        unknown = merged.keys() - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown pairing settings: {', '.join(sorted(unknown))}")
        return cls(**merged)


@dataclass(frozen=True)
class ModelState:
    mu: float
    sigma: float
    votes: int  # votes the model has received in this community
    battles: int  # battles it has been served in (its exposure)


def pair_weights(states: list[ModelState], settings: Settings) -> np.ndarray:
    """(M, M) chances of each pair: symmetric, zero on the diagonal, summing to 1."""
    mu = np.array([s.mu for s in states], dtype=float)
    variance = np.array([s.sigma for s in states], dtype=float) ** 2
    width = settings.closeness**2 + variance[:, None] + variance[None, :]
    neighbours = np.exp(-((mu[:, None] - mu[None, :]) ** 2) / (2 * width))
    placing = np.array([s.votes < settings.placement_votes for s in states])
    boost = np.where(placing[:, None] | placing[None, :], settings.placement_boost, 1.0)
    mixed = (1 - settings.exploration) * _normalised(neighbours * boost)
    mixed += settings.exploration * _normalised(np.ones_like(neighbours))
    return _within_bounds(mixed, np.array([s.battles for s in states], dtype=float), settings)


def choose(
    states: list[ModelState],
    settings: Settings,
    rng: np.random.Generator,
    excluded: Collection[tuple[int, int]] = (),
) -> tuple[int, int] | None:
    """Indices of the two models of the next battle, in random order, drawn from the weights
    without the `excluded` pairs (index pairs, either order); None when they exclude all."""
    weights = pair_weights(states, settings)
    for first, second in excluded:
        weights[first, second] = weights[second, first] = 0.0
    total = weights.sum()
    if total <= 0:
        return None
    first, second = divmod(int(rng.choice(weights.size, p=weights.ravel() / total)), len(states))
    return (first, second) if rng.random() < 0.5 else (second, first)


def _within_bounds(weights: np.ndarray, battles: np.ndarray, settings: Settings) -> np.ndarray:
    """Exposure bounds. No model's chance of playing the next battle passes max_share × the
    mean chance (2 / models), however boosted. For the counts after this battle: a model that
    would pass max_share × the mean by playing sits out; one that would fall below min_share
    by sitting out plays, when that is the edge of the floor (under one battle short). A model
    further behind, a late arrival above all, catches up at the top chance instead of
    jumping the queue. Only when two or more models are at the edge at once can one of them
    slip below, by under one battle, until the next draws pick it."""
    models = len(battles)
    mean_after = battles.mean() + 2 / models
    short = settings.min_share * mean_after - battles  # battles under the floor if it sits out
    catching_up = short > 1
    weights = _chances_capped(weights, settings.max_share * 2 / models, catching_up)
    if battles.sum() == 0:
        return weights
    behind = (short > 0) & ~catching_up
    ahead = (battles + 1) / mean_after > settings.max_share
    allowed = ~(ahead[:, None] | ahead[None, :])
    if behind.any():
        forced = behind[:, None] | behind[None, :]
        allowed = forced & allowed if _any_pair(forced & allowed) else forced
    return _normalised(weights, allowed) if _any_pair(allowed) else weights


def _chances_capped(weights: np.ndarray, cap: float, raised: np.ndarray) -> np.ndarray:
    """Rescale the pairs so that each model's chance of playing (twice its row's sum) is at
    most `cap`, and `cap` for the `raised` ones, to within 2 % (alternating scaling as in
    iterative proportional fitting, a few rounds)."""
    for _ in range(CAP_ROUNDS):
        chance = 2 * weights.sum(axis=1)
        target = np.where(raised, cap, np.minimum(chance, cap))
        if np.all(np.abs(chance - target) <= 0.02 * cap):
            break
        scale = np.sqrt(target / np.maximum(chance, 1e-300))
        weights = weights * scale[:, None] * scale[None, :]
        weights /= weights.sum()
    return weights


def _any_pair(allowed: np.ndarray) -> bool:
    return bool((allowed & ~np.eye(len(allowed), dtype=bool)).any())


def _normalised(weights: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Zero outside `allowed` and on the diagonal, scaled to sum to 1 (uniform over the
    allowed pairs if every weight there underflowed)."""
    allowed = np.ones(weights.shape, bool) if allowed is None else allowed
    allowed = allowed & ~np.eye(len(weights), dtype=bool)
    kept = np.where(allowed, weights, 0.0)
    if kept.sum() > 0:
        return kept / kept.sum()
    return allowed / max(allowed.sum(), 1)

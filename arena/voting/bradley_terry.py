"""Bradley–Terry scores with bootstrap confidence intervals, fitted on win/tie counts per pair.

The published ranking of every board, as LMArena computes it: a logistic Bradley–Terry model,
ties (of either kind) as half a win for each side, scores on the Elo scale (base 10, scale 400,
mean 1000 unless anchored), intervals from a bootstrap over votes. Works on aggregated counts,
so the cost grows with the number of model pairs, not of votes; the bootstrap resamples counts
(a multinomial over pair outcomes), never vote rows, and all rounds are fitted at once.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

BASE, SCALE, INITIAL = 10.0, 400.0, 1000.0
NEWTON_STEPS = 50
TOLERANCE = 1e-9
# A vanishing ridge keeps a model that won (or lost) every vote finite; it moves ordinary
# scores by far less than a rounding step.
RIDGE = 1e-6


@dataclass(frozen=True)
class PairCounts:
    """Outcomes per pair of models: `first` beat `second` (wins), lost (losses), or tied."""

    models: list[str]
    first: np.ndarray  # (K,) model indices
    second: np.ndarray  # (K,)
    wins: np.ndarray  # (K,) votes for `first`
    losses: np.ndarray  # (K,) votes for `second`
    ties: np.ndarray  # (K,) ties and both-bad

    @classmethod
    def from_rows(cls, models: list[str], rows) -> "PairCounts":
        """rows: (first index, second index, wins, losses, ties)."""
        table = np.asarray(list(rows), dtype=float).reshape(-1, 5)
        index = table[:, :2].astype(int)
        return cls(models, index[:, 0], index[:, 1], table[:, 2], table[:, 3], table[:, 4])

    def votes_per_model(self) -> np.ndarray:
        totals = self.wins + self.losses + self.ties
        return np.bincount(self.first, totals, len(self.models)) + np.bincount(
            self.second, totals, len(self.models)
        )

    @property
    def total(self) -> int:
        return int((self.wins + self.losses + self.ties).sum())


@dataclass(frozen=True)
class Board:
    models: list[str]
    scores: np.ndarray  # the fit on all votes
    lower: np.ndarray  # 2.5th percentile of the bootstrap
    upper: np.ndarray  # 97.5th percentile
    votes: np.ndarray

    def anchored(self, model: str, score: float) -> "Board":
        """The same board shifted so that `model` scores `score`."""
        shift = score - float(self.scores[self.models.index(model)])
        return replace(
            self, scores=self.scores + shift, lower=self.lower + shift, upper=self.upper + shift
        )

    def rows(self, min_votes: int = 0) -> list[dict]:
        """Best first; rank = 1 + the number of models surely better (lower bound above
        this model's upper bound); models under `min_votes` are marked preliminary."""
        order = np.argsort(-self.scores, kind="stable")
        return [
            {
                "model": self.models[i],
                "score": round(float(self.scores[i]), 2),
                "ci_lower": round(float(self.lower[i]), 2),
                "ci_upper": round(float(self.upper[i]), 2),
                "rank": 1 + int(np.sum(self.lower > self.upper[i])),
                "votes": int(self.votes[i]),
                "preliminary": bool(self.votes[i] < min_votes),
            }
            for i in order
        ]


def fit(counts: PairCounts) -> np.ndarray:
    """Elo-scale scores of the maximum-likelihood fit on all votes."""
    halves = _half_wins(counts.wins, counts.losses, counts.ties)
    return _to_elo(_newton(counts, *[h[None, :] for h in halves]))[0]


def board(
    counts: PairCounts, rounds: int = 100, seed: int = 0, anchor: tuple[str, float] | None = None
) -> Board:
    """The fit plus a seeded bootstrap of `rounds` resamples of the votes."""
    scores = fit(counts)
    samples = bootstrap(counts, rounds, seed) if rounds else scores[None, :]
    lower, upper = np.percentile(samples, [2.5, 97.5], axis=0)
    fitted = Board(counts.models, scores, lower, upper, counts.votes_per_model())
    return fitted.anchored(*anchor) if anchor else fitted


def bootstrap(counts: PairCounts, rounds: int, seed: int = 0) -> np.ndarray:
    """(rounds, models) scores, each fitted on a resample of all votes with replacement."""
    cells = np.concatenate([counts.wins, counts.losses, counts.ties])
    if not cells.sum():
        return np.full((rounds, len(counts.models)), INITIAL)
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(int(cells.sum()), cells / cells.sum(), size=rounds).astype(float)
    wins, losses, ties = np.split(drawn, 3, axis=1)
    return _to_elo(_newton(counts, *_half_wins(wins, losses, ties)))


def win_probability(score_a: float, score_b: float) -> float:
    """The chance that A beats B under the fitted model (ties counted as half)."""
    return 1.0 / (1.0 + BASE ** ((score_b - score_a) / SCALE))


def _half_wins(wins, losses, ties):
    return wins + ties / 2, losses + ties / 2


def _to_elo(strengths: np.ndarray) -> np.ndarray:
    return SCALE / np.log(BASE) * strengths + INITIAL


def _newton(counts: PairCounts, won: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Maximise every round's log-likelihood at once: (rounds, K) half-wins -> (rounds, M).

    Strengths sum to zero (the likelihood only knows differences). Each step solves the
    rounds' Newton systems together; the Hessian is a weighted graph Laplacian, made definite
    by the ridge and the sum-to-zero direction.
    """
    models = len(counts.models)
    if models == 0:
        return np.zeros((won.shape[0], 0))
    incidence = _incidence(counts.first, counts.second, models)
    scatter = _laplacian_scatter(counts.first, counts.second, models)
    games = won + lost
    strength = np.zeros((won.shape[0], models))
    centring = np.full((models, models), 1.0 / models)
    for _ in range(NEWTON_STEPS):
        gap = (incidence @ strength.T).T  # (rounds, K): strength of first - second
        p_first = _sigmoid(gap)
        gradient = (incidence.T @ (won - games * p_first).T).T - RIDGE * strength
        weights = games * p_first * (1 - p_first)
        hessian = (scatter.T @ weights.T).T.reshape(-1, models, models)
        hessian += RIDGE * np.eye(models) + centring
        step = np.linalg.solve(hessian, gradient[..., None])[..., 0]
        strength += step
        strength -= strength.mean(axis=1, keepdims=True)
        if np.abs(step).max() < TOLERANCE:
            break
    return strength


def _incidence(first, second, models) -> sparse.csr_matrix:
    rows = np.arange(len(first))
    return sparse.csr_matrix(
        (
            np.r_[np.ones(len(first)), -np.ones(len(first))],
            (np.r_[rows, rows], np.r_[first, second]),
        ),
        shape=(len(first), models),
    )


def _laplacian_scatter(first, second, models) -> sparse.csr_matrix:
    """(K, M*M) map from pair weights to the entries of the weighted Laplacian."""
    rows = np.arange(len(first))
    cells = np.r_[
        first * models + first,
        second * models + second,
        first * models + second,
        second * models + first,
    ]
    values = np.r_[np.ones(2 * len(first)), -np.ones(2 * len(first))]
    return sparse.csr_matrix(
        (values, (np.r_[rows, rows, rows, rows], cells)), shape=(len(first), models * models)
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(x / 2))

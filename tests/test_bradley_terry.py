"""Bradley–Terry scores checked by hand and against an independent maximum-likelihood fit."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from arena.voting import bradley_terry as bt
from arena.voting.bradley_terry import Board, PairCounts

GAP_AT_75_PERCENT = 400 * math.log10(3)  # 190.849 points: 3 to 1 odds on the Elo scale


def counts(models: str, *rows) -> PairCounts:
    """PairCounts of one-letter models; rows (first, second, wins, losses, ties)."""
    return PairCounts.from_rows(list(models), rows)


def test_a_75_percent_winner_leads_by_400_log10_3_around_a_mean_of_1000():
    scores = bt.fit(counts("AB", (0, 1, 75, 25, 0)))
    assert scores[0] - scores[1] == pytest.approx(GAP_AT_75_PERCENT, abs=1e-3)
    assert scores.mean() == pytest.approx(1000.0, abs=1e-9)
    assert scores[0] == pytest.approx(1000 + GAP_AT_75_PERCENT / 2, abs=1e-3)


@pytest.mark.parametrize(
    "rows",
    [
        [(0, 1, 50, 0, 50)],  # 50 wins and 50 ties: 75 of 100 points
        [(1, 0, 25, 75, 0)],  # the same pair listed the other way round
        [(1, 0, 0, 50, 50)],
        [(0, 1, 25, 0, 0), (1, 0, 0, 50, 0), (0, 1, 0, 25, 0)],  # split over several rows
    ],
)
def test_ties_are_half_wins_and_the_listing_of_a_pair_does_not_matter(rows):
    expected = bt.fit(counts("AB", (0, 1, 75, 25, 0)))
    assert bt.fit(counts("AB", *rows)) == pytest.approx(expected, abs=1e-6)


def test_a_cycle_of_three_gives_equal_scores():
    cycle = counts("ABC", (0, 1, 30, 10, 5), (1, 2, 30, 10, 5), (2, 0, 30, 10, 5))
    assert bt.fit(cycle) == pytest.approx([1000.0] * 3, abs=1e-6)


def test_the_score_gap_gives_the_win_probability():
    assert bt.win_probability(1000 + GAP_AT_75_PERCENT, 1000) == pytest.approx(0.75)
    assert bt.win_probability(1234.5, 1234.5) == 0.5
    assert bt.win_probability(1400, 1000) == pytest.approx(10 / 11)  # 400 points: 10 to 1
    assert bt.win_probability(900, 1150) + bt.win_probability(1150, 900) == pytest.approx(1)
    # The fitted gap reproduces the observed share of points of the pair.
    scores = bt.fit(counts("AB", (0, 1, 60, 20, 20)))
    assert bt.win_probability(*scores) == pytest.approx(0.7, abs=1e-6)


def test_a_model_that_won_every_vote_stays_finite_and_on_top():
    sweep = counts("ABC", (0, 1, 20, 0, 0), (0, 2, 15, 0, 0), (1, 2, 12, 8, 3))
    scores = bt.fit(sweep)
    assert np.isfinite(scores).all()
    assert scores[0] > scores[1] > scores[2]
    assert bt.fit(counts("ABC", (1, 2, 12, 8, 3), (0, 1, 20, 0, 0), (0, 2, 15, 0, 0))) == (
        pytest.approx(scores)
    )
    fitted = bt.board(sweep, rounds=30, seed=1)
    assert all(np.isfinite(v).all() for v in (fitted.scores, fitted.lower, fitted.upper))
    assert [row["model"] for row in fitted.rows()] == ["A", "B", "C"]


def test_anchoring_shifts_scores_and_intervals_so_the_anchor_has_its_score():
    fitted = bt.board(fitted_counts(), rounds=20, seed=2)
    pinned = fitted.anchored("B", 1100.0)
    shift = 1100.0 - fitted.scores[1]
    assert pinned.scores[1] == pytest.approx(1100.0)
    assert pinned.scores == pytest.approx(fitted.scores + shift)
    assert pinned.lower == pytest.approx(fitted.lower + shift)
    assert pinned.upper == pytest.approx(fitted.upper + shift)
    assert bt.board(fitted_counts(), rounds=0, anchor=("C", 900.0)).scores[2] == pytest.approx(900)
    ranks = [(row["model"], row["rank"]) for row in pinned.rows()]
    assert ranks == [(row["model"], row["rank"]) for row in fitted.rows()]


def fitted_counts() -> PairCounts:
    return counts("ABC", (0, 1, 30, 10, 5), (1, 2, 25, 20, 5))


def test_the_bootstrap_is_deterministic_for_a_seed_and_differs_for_another():
    data = random_counts(np.random.default_rng(7), models=5)
    first = bt.bootstrap(data, rounds=40, seed=3)
    assert first.shape == (40, 5)
    assert np.array_equal(first, bt.bootstrap(data, rounds=40, seed=3))
    assert not np.allclose(first, bt.bootstrap(data, rounds=40, seed=4))
    assert bt.board(data, rounds=40, seed=3).rows() == bt.board(data, rounds=40, seed=3).rows()
    assert bt.board(data, rounds=40, seed=3).rows() != bt.board(data, rounds=40, seed=4).rows()
    # Each round is an honest fit of a resample: centred on 1000 and spread around the fit.
    assert first.mean(axis=1) == pytest.approx(np.full(40, 1000.0))
    fitted = bt.board(data, rounds=40, seed=3)
    assert (fitted.lower < fitted.scores).all() and (fitted.scores < fitted.upper).all()


def test_the_95_percent_interval_has_the_width_of_the_standard_error():
    """300 of 400 votes: the gap's standard error is 1/sqrt(n p (1-p)) logits, each score has
    half of it, and a 95 % interval spans 1.96 of them either side."""
    standard_error = 400 / math.log(10) / math.sqrt(400 * 0.75 * 0.25) / 2  # 10.03 points
    fitted = bt.board(counts("AB", (0, 1, 300, 100, 0)), rounds=2000, seed=0)
    half_width = (fitted.upper - fitted.lower) / 2
    assert half_width == pytest.approx([1.96 * standard_error] * 2, rel=0.06)


def test_without_bootstrap_rounds_the_interval_is_the_fit():
    fitted = bt.board(fitted_counts(), rounds=0)
    assert np.array_equal(fitted.lower, fitted.scores)
    assert np.array_equal(fitted.upper, fitted.scores)


def constructed_board() -> Board:
    """C and A overlap at the top; B is clearly below both. Listed out of order."""
    return Board(
        models=["B", "C", "A"],
        scores=np.array([900.0, 1090.0, 1100.0]),
        lower=np.array([880.0, 1070.0, 1080.0]),
        upper=np.array([920.0, 1110.0, 1120.0]),
        votes=np.array([49, 50, 120]),
    )


def test_ranks_count_only_the_models_surely_better():
    rows = constructed_board().rows()
    assert [(row["model"], row["rank"]) for row in rows] == [("A", 1), ("C", 1), ("B", 3)]
    assert rows[0] == {
        "model": "A",
        "score": 1100.0,
        "ci_lower": 1080.0,
        "ci_upper": 1120.0,
        "rank": 1,
        "votes": 120,
        "preliminary": False,
    }


def test_touching_intervals_do_not_separate_ranks():
    lower, upper = np.array([1000.0, 980.0]), np.array([1020.0, 1000.0])
    board = Board(["A", "B"], np.array([1010.0, 990.0]), lower, upper, np.array([60, 60]))
    assert [row["rank"] for row in board.rows()] == [1, 1]


@pytest.mark.parametrize(
    ("min_votes", "preliminary"),
    [(0, set()), (50, {"B"}), (51, {"B", "C"}), (121, {"A", "B", "C"})],
)
def test_models_under_min_votes_are_preliminary(min_votes, preliminary):
    rows = constructed_board().rows(min_votes)
    assert {row["model"] for row in rows if row["preliminary"]} == preliminary


def random_counts(rng: np.random.Generator, models: int) -> PairCounts:
    """Every pair played, with wins, losses and ties, around hidden strengths."""
    strength = rng.normal(0, 1, models)
    rows = []
    for i in range(models):
        for j in range(i + 1, models):
            games = int(rng.integers(20, 200))
            p = 1 / (1 + math.exp(strength[j] - strength[i]))
            ties = int(rng.integers(0, games // 4))
            wins = int(rng.binomial(games - ties, p))
            first, second = (i, j) if rng.random() < 0.5 else (j, i)
            cells = (wins, games - ties - wins) if first == i else (games - ties - wins, wins)
            rows.append((first, second, *cells, ties))
    return PairCounts.from_rows([f"model {k}" for k in range(models)], rows)


def reference_fit(data: PairCounts) -> np.ndarray:
    """The same likelihood maximised by scipy: model 0's strength fixed at 0, ties as halves."""
    won = data.wins + data.ties / 2
    lost = data.losses + data.ties / 2
    models = len(data.models)

    def strengths(free):
        return np.r_[0.0, free]

    def negative_log_likelihood(free):
        s = strengths(free)
        gap = s[data.first] - s[data.second]
        value = np.sum(won * np.logaddexp(0, -gap) + lost * np.logaddexp(0, gap))
        p_first = 1 / (1 + np.exp(-gap))
        per_pair = -(won - (won + lost) * p_first)
        gradient = np.bincount(data.first, per_pair, models) - np.bincount(
            data.second, per_pair, models
        )
        return value, gradient[1:]

    result = minimize(
        negative_log_likelihood,
        np.zeros(models - 1),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-10, "maxiter": 10_000},
    )
    s = strengths(result.x)
    return 400 / math.log(10) * (s - s.mean()) + 1000


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_fit_agrees_with_an_independent_maximum_likelihood_fit(seed):
    data = random_counts(np.random.default_rng(seed), models=3 + seed)
    assert np.abs(bt.fit(data) - reference_fit(data)).max() < 0.01


def test_a_pair_that_never_played_is_harmless():
    data = counts("ABC", (0, 1, 30, 10, 5), (1, 2, 25, 20, 5), (0, 2, 0, 0, 0))
    assert bt.fit(data) == pytest.approx(bt.fit(fitted_counts()), abs=1e-6)
    assert list(data.votes_per_model()) == [45, 95, 50]
    assert data.total == 95

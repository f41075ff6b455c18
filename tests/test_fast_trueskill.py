"""The closed-form one-versus-one update equals the trueskill package's factor graph."""

import random

import pytest
import trueskill

from arena.voting.fast_trueskill import OneVersusOne

ENVIRONMENTS = {
    "default": {},
    "wide": {"mu": 1500, "sigma": 350, "beta": 120, "tau": 4, "draw_probability": 0.3},
    "narrow": {"mu": 10, "sigma": 3, "beta": 0.5, "tau": 0, "draw_probability": 0.02},
}


def outcomes(rng: random.Random, models: int, games: int):
    """(first, second, result) with result "win" (first won), "loss" or "draw"."""
    for _ in range(games):
        first, second = rng.sample(range(models), 2)
        yield first, second, rng.choice(("win", "win", "loss", "draw"))


@pytest.mark.parametrize("name", ENVIRONMENTS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_update_equals_rate_1vs1(name, seed):
    env = trueskill.TrueSkill(**ENVIRONMENTS[name])
    fast = OneVersusOne(env)
    rng = random.Random(seed)
    ratings = [env.create_rating() for _ in range(4)]
    mine = [(r.mu, r.sigma) for r in ratings]
    draws = 0
    for first, second, result in outcomes(rng, len(ratings), 400):
        if result == "loss":
            first, second = second, first
        drawn = result == "draw"
        draws += drawn
        expected = trueskill.rate_1vs1(ratings[first], ratings[second], drawn=drawn, env=env)
        # The same inputs as the package's, so that every step is compared on its own ...
        got = fast.rate(
            (ratings[first].mu, ratings[first].sigma),
            (ratings[second].mu, ratings[second].sigma),
            drawn,
        )
        for (mu, sigma), rating in zip(got, expected, strict=True):
            assert mu == pytest.approx(rating.mu, rel=0, abs=1e-9)
            assert sigma == pytest.approx(rating.sigma, rel=0, abs=1e-9)
        # ... and the closed form's own running state, which must not drift away.
        mine[first], mine[second] = fast.rate(mine[first], mine[second], drawn)
        ratings[first], ratings[second] = expected
    assert draws > 50
    for (mu, sigma), rating in zip(mine, ratings, strict=True):
        assert mu == pytest.approx(rating.mu, rel=0, abs=1e-9)
        assert sigma == pytest.approx(rating.sigma, rel=0, abs=1e-9)


@pytest.mark.parametrize("name", ENVIRONMENTS)
@pytest.mark.parametrize("drawn", [False, True])
def test_mismatched_and_uncertain_players_equal_rate_1vs1(name, drawn):
    """Favourites, upsets and players of very different certainty, from a seeded draw."""
    env = trueskill.TrueSkill(**ENVIRONMENTS[name])
    fast = OneVersusOne(env)
    rng = random.Random(99)
    for _ in range(200):
        winner = env.create_rating(
            env.mu + rng.uniform(-3, 3) * env.sigma, env.sigma * rng.uniform(0.05, 1.5)
        )
        loser = env.create_rating(
            env.mu + rng.uniform(-3, 3) * env.sigma, env.sigma * rng.uniform(0.05, 1.5)
        )
        expected = trueskill.rate_1vs1(winner, loser, drawn=drawn, env=env)
        got = fast.rate((winner.mu, winner.sigma), (loser.mu, loser.sigma), drawn)
        assert [value for pair in got for value in pair] == pytest.approx(
            [value for rating in expected for value in (rating.mu, rating.sigma)],
            rel=0,
            abs=1e-9,
        )

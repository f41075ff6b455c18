"""Pairing that learns: the pure rule (weights, exploration, exposure bounds, placement boost,
randomness, settings). The site's serving through it: tests/test_pairing_learns.py."""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from arena.voting.matchmaking import ModelState, Settings, choose, pair_weights

SEEDS_FILE = Path(__file__).resolve().parents[1] / "seeds" / "pairing.json"


def ladder(count=8, sigma=1.0, votes=100, battles=100, step=3.0):
    return [ModelState(25 + step * i, sigma, votes, battles) for i in range(count)]


def test_weights_are_symmetric_zero_on_the_diagonal_and_sum_to_one():
    rng = np.random.default_rng(3)
    states = [
        ModelState(rng.normal(25, 5), rng.uniform(0.5, 8), int(v), int(b))
        for v, b in zip(rng.integers(0, 60, 12), rng.integers(40, 60, 12), strict=True)
    ]
    weights = pair_weights(states, Settings())
    assert np.allclose(weights, weights.T)
    assert not np.diagonal(weights).any()
    assert weights.sum() == pytest.approx(1.0)
    assert (weights >= 0).all()


def test_close_uncertain_pairs_weigh_more_than_far_settled_ones():
    states = [
        ModelState(25.0, 3.0, 100, 100),
        ModelState(25.5, 3.0, 100, 100),
        ModelState(5.0, 0.8, 100, 100),
        ModelState(45.0, 0.8, 100, 100),
    ]
    # The kernel alone: with four models the cap on each one's chance of playing (1.5 x 2/4)
    # would spread the weight; max_share 2 is certainty, no cap.
    weights = pair_weights(states, Settings(max_share=2.0))
    assert weights[0, 1] > 10 * weights[2, 3]


def test_exploration_gives_every_pair_a_chance():
    far_apart = ladder(sigma=0.5, step=30.0)  # neighbour weights underflow between far models
    pairs = len(far_apart) * (len(far_apart) - 1)
    greedy = pair_weights(far_apart, Settings(exploration=0.0))
    assert (greedy + np.eye(len(far_apart)) < 1e-12).any()
    exploring = pair_weights(far_apart, Settings(exploration=0.1))
    off_diagonal = exploring[~np.eye(len(far_apart), dtype=bool)]
    assert off_diagonal.min() >= 0.1 / pairs * (1 - 1e-9)


def chances(weights):
    """Each model's chance of playing the next battle."""
    return 2 * weights.sum(axis=1)


def test_a_model_at_the_edge_of_min_share_plays_next():
    states = ladder()
    states[5] = ModelState(states[5].mu, 1.0, 100, 46)  # after the battle: mean 93.5, floor 46.75
    weights = pair_weights(states, Settings())
    others = np.delete(np.delete(weights, 5, axis=0), 5, axis=1)
    assert not others.any()
    rng = np.random.default_rng(0)
    assert all(5 in choose(states, Settings(), rng) for _ in range(50))


def test_a_model_far_behind_catches_up_at_the_top_chance_without_jumping_the_queue():
    states = ladder()
    states[5] = ModelState(states[5].mu, 1.0, 100, 40)  # a late arrival: 6.5 battles short
    weights = pair_weights(states, Settings())
    cap = Settings().max_share * 2 / len(states)
    assert chances(weights)[5] == pytest.approx(cap, rel=0.03)
    assert np.delete(weights, 5, axis=0).any()  # other pairs are still served


def test_no_model_plays_more_than_max_share_of_the_mean_chance():
    # Two close uncertain models the kernel would pair nearly always, among settled far ones.
    states = [ModelState(25.0, 3.0, 100, 100), ModelState(25.3, 3.0, 100, 100)]
    states += [ModelState(25.0 + 15 * k, 0.5, 100, 100) for k in range(2, 10)]
    cap = Settings().max_share * 2 / len(states)
    assert chances(pair_weights(states, Settings())).max() <= cap * 1.02


def test_a_model_above_max_share_sits_out():
    states = ladder()
    states[2] = ModelState(states[2].mu, 1.0, 100, 200)  # mean 112.5: share 1.78
    weights = pair_weights(states, Settings())
    assert not weights[2].any() and not weights[:, 2].any()
    assert weights.sum() == pytest.approx(1.0)


def test_a_model_far_ahead_sits_out_even_when_another_must_play():
    states = ladder()
    states[1] = ModelState(states[1].mu, 1.0, 100, 51)  # at the edge: floor 51.4 after
    states[6] = ModelState(states[6].mu, 1.0, 100, 170)  # ahead: 171 > 1.5 x 102.9
    weights = pair_weights(states, Settings())
    assert 2 * weights[1].sum() == pytest.approx(1.0)  # every pair holds the model behind
    assert weights[1, 6] == 0


def test_shares_stay_within_the_bounds_draw_after_draw():
    # Three close, uncertain models that the neighbour weights favour, nine far-apart settled
    # ones they would starve: the bounds hold the shares, checked after every draw.
    mu = [25.0, 25.3, 25.6, 0.0, 10.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    sigma = [3.0] * 3 + [0.5] * 9
    battles, settings, rng = np.zeros(len(mu), int), Settings(), np.random.default_rng(7)
    for _ in range(40 * len(mu)):
        states = [ModelState(m, s, 100, n) for m, s, n in zip(mu, sigma, battles, strict=True)]
        battles[list(choose(states, settings, rng))] += 1
        mean = battles.mean()
        if mean >= 10:
            assert battles.max() / mean <= settings.max_share + 1e-12, battles
            # Several models behind at once: those not drawn slip by under one battle.
            assert battles.min() / mean >= settings.min_share - 1 / mean, battles


def test_a_new_model_is_boosted():
    settled = ladder(sigma=2.0, step=0.0)
    newcomer = [*settled[:-1], ModelState(25.0, 2.0, 3, 100)]
    share_settled = pair_weights(settled, Settings())[-1].sum()
    share_new = pair_weights(newcomer, Settings())[-1].sum()
    # Boosted up to the cap: 1.5 x the mean chance, not every battle.
    assert share_new == pytest.approx(Settings().max_share * share_settled, rel=0.03)
    # Boost 1 is no boost.
    assert pair_weights(newcomer, Settings(placement_boost=1.0))[-1].sum() == pytest.approx(
        share_settled
    )


def test_draws_are_random_and_differ_between_seeds():
    states = ladder(sigma=3.0, step=1.0)

    def draws(seed):
        rng = np.random.default_rng(seed)
        return [choose(states, Settings(), rng) for _ in range(30)]

    assert draws(1) != draws(2)
    assert draws(1) == draws(1)
    sides = Counter(pair[0] < pair[1] for pair in draws(3) + draws(4))
    assert sides[True] and sides[False]  # the order within a pair is random too


def test_settings_come_from_defaults_and_community_overrides():
    config = {
        "default": {"exploration": 0.2, "closeness": 3.0},
        "communities": {"medical": {"exploration": 0.4}},
    }
    assert Settings.from_mapping(config, "medical") == Settings(exploration=0.4, closeness=3.0)
    assert Settings.from_mapping(config, "coding") == Settings(exploration=0.2, closeness=3.0)
    assert Settings.from_mapping(None) == Settings()
    with pytest.raises(ValueError, match="unknown pairing settings: explore"):
        Settings.from_mapping({"default": {"explore": 0.2}})
    with pytest.raises(ValueError, match="min_share"):
        Settings.from_mapping({"communities": {"legal": {"min_share": 1.2}}}, "legal")


def test_the_seeded_settings_file_loads_for_every_community():
    config = json.loads(SEEDS_FILE.read_text())
    for community in ("general", "coding", "medical", "legal", *config["communities"]):
        assert isinstance(Settings.from_mapping(config, community), Settings)

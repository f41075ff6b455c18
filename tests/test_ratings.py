"""TrueSkill with this arena's settings: the package's update, tau 0, draws per scope, and the
replay that rebuilds ratings."""

import pytest
import trueskill

from arena.voting import rating_settings
from arena.voting.ratings import Standing, conservative_score, replay, update_standings

DRAWS = 0.25


def package(draws=DRAWS):
    return trueskill.TrueSkill(tau=0.0, draw_probability=draws)


def test_one_win_matches_the_package_with_the_arenas_settings():
    winner, loser = Standing(), Standing()
    update_standings(winner, loser, "a", DRAWS)
    expected = trueskill.rate_1vs1(trueskill.Rating(), trueskill.Rating(), env=package())
    assert (winner.mu, winner.sigma) == pytest.approx(
        (expected[0].mu, expected[0].sigma), abs=1e-12
    )
    assert (loser.mu, loser.sigma) == pytest.approx((expected[1].mu, expected[1].sigma), abs=1e-12)
    assert (winner.wins, winner.losses, loser.wins, loser.losses) == (1, 0, 0, 1)


def test_the_draw_probability_changes_what_a_win_means():
    common, rare = Standing(), Standing()
    update_standings(common, Standing(), "a", 0.40)
    update_standings(rare, Standing(), "a", 0.02)
    assert common.mu > rare.mu  # beating the draw margin is more telling when draws are common


def test_b_wins_mirror_a_wins():
    a, b = Standing(), Standing()
    update_standings(a, b, "b", DRAWS)
    mirror_winner, mirror_loser = Standing(), Standing()
    update_standings(mirror_winner, mirror_loser, "a", DRAWS)
    assert (b.mu, a.mu) == (mirror_winner.mu, mirror_loser.mu)
    assert (a.losses, b.wins) == (1, 1)


@pytest.mark.parametrize("choice", ["tie", "both_bad"])
def test_tie_and_both_bad_are_draws(choice):
    a, b = Standing(), Standing()
    update_standings(a, b, choice, DRAWS)
    expected, _ = trueskill.rate_1vs1(
        trueskill.Rating(), trueskill.Rating(), drawn=True, env=package()
    )
    assert a.mu == b.mu == pytest.approx(25.0)
    assert a.sigma == b.sigma == pytest.approx(expected.sigma, abs=1e-12)
    assert a.sigma < Standing().sigma  # a draw is still information
    assert (a.ties, b.ties, a.wins, b.losses) == (1, 1, 0, 0)


def test_sigma_shrinks_as_votes_come_in():
    """With tau 0 nothing is added back: uncertainty falls with every vote."""
    a, b = Standing(), Standing()
    sigmas = []
    for number in range(200):
        update_standings(a, b, "a" if number % 3 else "b", DRAWS)
        sigmas.append(a.sigma)
    assert all(later < earlier for earlier, later in zip(sigmas, sigmas[1:], strict=False))
    assert sigmas[-1] < 0.25 * Standing().sigma


def test_draw_between_unequal_models_pulls_them_together():
    strong, weak = Standing(), Standing()
    for _ in range(3):
        update_standings(strong, weak, "a", DRAWS)
    gap = strong.mu - weak.mu
    update_standings(strong, weak, "both_bad", DRAWS)
    assert strong.mu - weak.mu < gap


def test_unknown_choice_is_refused():
    with pytest.raises(ValueError):
        update_standings(Standing(), Standing(), "left", DRAWS)


def test_replay_rates_overall_and_per_community_with_each_scopes_draws():
    votes = [(1, 2, "a", "coding"), (1, 3, "tie", "general")]
    standings = replay(votes, {"overall": 0.1, "coding": 0.3, "general": 0.2})
    assert standings[(1, "overall")].votes == 2
    assert standings[(1, "coding")].votes == 1
    assert standings[(3, "general")].ties == 1
    assert (2, "general") not in standings
    other = replay(votes, {"overall": 0.1, "coding": 0.05, "general": 0.2})
    assert other[(1, "coding")].mu != standings[(1, "coding")].mu
    assert other[(1, "overall")].mu == standings[(1, "overall")].mu


def test_draw_probabilities_stay_inside_the_bounds():
    assert rating_settings._bounded(0.0) == rating_settings.DRAW_BOUNDS[0]
    assert rating_settings._bounded(1.0) == rating_settings.DRAW_BOUNDS[1]
    assert rating_settings._bounded(0.1234567) == 0.1235


def test_conservative_score():
    assert conservative_score(25.0, 25 / 3) == pytest.approx(0.0)

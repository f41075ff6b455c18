"""TrueSkill numbers, draws, both-bad, and the replay that rebuilds ratings."""

import pytest
import trueskill

from arena.voting.ratings import Standing, conservative_score, replay, update_standings


def test_one_win_from_defaults_matches_the_package():
    winner, loser = Standing(), Standing()
    update_standings(winner, loser, "a")
    assert (round(winner.mu, 3), round(winner.sigma, 3)) == (29.396, 7.171)
    assert (round(loser.mu, 3), round(loser.sigma, 3)) == (20.604, 7.171)
    expected = trueskill.rate_1vs1(
        trueskill.Rating(), trueskill.Rating(), env=trueskill.TrueSkill()
    )
    assert (winner.mu, winner.sigma) == (expected[0].mu, expected[0].sigma)
    assert (winner.wins, winner.losses, loser.wins, loser.losses) == (1, 0, 0, 1)


def test_b_wins_mirror_a_wins():
    a, b = Standing(), Standing()
    update_standings(a, b, "b")
    assert (round(b.mu, 3), round(a.mu, 3)) == (29.396, 20.604)
    assert (a.losses, b.wins) == (1, 1)


@pytest.mark.parametrize("choice", ["tie", "both_bad"])
def test_tie_and_both_bad_are_draws(choice):
    a, b = Standing(), Standing()
    update_standings(a, b, choice)
    expected, _ = trueskill.rate_1vs1(
        trueskill.Rating(), trueskill.Rating(), drawn=True, env=trueskill.TrueSkill()
    )
    assert a.mu == b.mu == pytest.approx(25.0)
    assert a.sigma == b.sigma == expected.sigma
    assert a.sigma < Standing().sigma  # a draw is still information
    assert (a.ties, b.ties, a.wins, b.losses) == (1, 1, 0, 0)


def test_draw_between_unequal_models_pulls_them_together():
    strong, weak = Standing(), Standing()
    for _ in range(3):
        update_standings(strong, weak, "a")
    gap = strong.mu - weak.mu
    update_standings(strong, weak, "both_bad")
    assert strong.mu - weak.mu < gap


def test_unknown_choice_is_refused():
    with pytest.raises(ValueError):
        update_standings(Standing(), Standing(), "left")


def test_replay_rates_overall_and_per_community():
    standings = replay([(1, 2, "a", "coding"), (1, 3, "tie", "general")])
    assert standings[(1, "overall")].votes == 2
    assert standings[(1, "coding")].votes == 1
    assert standings[(3, "general")].ties == 1
    assert (2, "general") not in standings


def test_conservative_score():
    assert conservative_score(25.0, 25 / 3) == pytest.approx(0.0)

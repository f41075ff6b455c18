"""Vote-integrity detectors on small hand-made examples: each rigging pattern is flagged, honest
voters of a seeded synthetic world are not, and the weights a rebuild uses are deterministic."""

import itertools
import random

import pytest

from arena.integrity.detection import (
    affinity_flags,
    burst_flags,
    detect,
    selective_flags,
    weights,
)
from arena.integrity.records import Ballot, Flag, Settings, fit_board
from arena.voting.bradley_terry import win_probability

MODELS = ["m1", "m2", "m3", "m4", "m5", "m6"]
EVEN_BOARD = dict.fromkeys(MODELS, 1000.0)
PAIRS = list(itertools.combinations(MODELS, 2))


def honest_voter(rng: random.Random, voter: str, battles: int, board=EVEN_BOARD, start=0.0):
    """Votes per the board, with some ties and a few random skips, a minute or more apart."""
    ballots, at = [], start
    for _ in range(battles):
        a, b = rng.sample(MODELS, 2)
        at += 60 + rng.expovariate(1 / 60)
        roll = rng.random()
        if roll < 0.05:
            outcome = "skipped"
        elif roll < 0.15:
            outcome = "tie"
        else:
            outcome = "a" if rng.random() < win_probability(board[a], board[b]) else "b"
        ballots.append(Ballot(voter, a, b, outcome, at))
    return ballots


def honest_crowd(seed: int, voters: int = 40, battles: int = 40, board=EVEN_BOARD):
    rng = random.Random(seed)
    return [ballot for n in range(voters) for ballot in honest_voter(rng, f"h{n}", battles, board)]


def flagged(flags, test: str) -> set:
    return {flag.voter_id for flag in flags if flag.test == test}


# -- each pattern is caught ----------------------------------------------------------------------


def test_a_voter_who_always_picks_one_model_is_flagged_for_affinity_with_that_model():
    rng = random.Random(1)
    ballots = honest_crowd(1)
    for n in range(30):
        a, b = rng.sample(MODELS, 2)
        if "m3" not in (a, b):
            b = "m3" if a != "m3" else b
        ballots.append(Ballot("fan", a, b, "a" if a == "m3" else "b", n * 120.0))
    flags = affinity_flags(ballots, EVEN_BOARD)
    assert flagged(flags, "affinity") == {"fan"}
    (flag,) = flags
    assert flag.subject == "m3"
    assert flag.evidence["votes_showing_model"] == 30
    assert flag.evidence["points_for_model"] == 30
    assert flag.evidence["share_expected"] == pytest.approx(0.5)
    assert flag.p_value == pytest.approx(0.5**30)
    assert flag.q_value < 0.05


def test_affinity_is_judged_against_the_board_so_backing_the_favourite_is_not_suspect():
    board = {**EVEN_BOARD, "m3": 1600.0}  # m3 wins 97 % against everyone
    ballots = honest_crowd(2, board=board)
    ballots += [Ballot("realist", "m3", m, "a", n * 120.0) for n, m in enumerate(MODELS[3:] * 8)]
    assert "realist" not in flagged(affinity_flags(ballots, board), "affinity")
    assert "realist" in flagged(affinity_flags(ballots, EVEN_BOARD), "affinity")


def test_a_mild_lean_is_not_flagged_however_many_votes_prove_it():
    ballots = honest_crowd(8)
    for n in range(2000):
        opponent = MODELS[3 + n % 3]
        ballots.append(Ballot("leaning", "m3", opponent, "a" if n % 5 < 3 else "b", n * 120.0))
    lean = affinity_flags(ballots, EVEN_BOARD, Settings(min_excess=0.0))
    assert flagged(lean, "affinity") == {"leaning"}  # 60 % where 50 % is expected: p < 1e-15
    assert flagged(affinity_flags(ballots, EVEN_BOARD), "affinity") == set()


def add_bloc(ballots, seed: int, members: int, battles: int, outcome_of, stagger: float) -> set:
    """`members` voters "bloc0".. each judging `battles` random pairs with `outcome_of(a, b)`,
    two minutes apart (member n `stagger` × n seconds later); returns their ids."""
    rng = random.Random(seed)
    for member in range(members):
        for n in range(battles):
            a, b = rng.sample(MODELS, 2)
            at = n * 120.0 + member * stagger
            ballots.append(Ballot(f"bloc{member}", a, b, outcome_of(a, b), at))
    return {f"bloc{n}" for n in range(members)}


def for_m3_or_skip(a: str, b: str) -> str:
    """A target-only voter: for m3 whenever it is shown, skips everything else."""
    return ("a" if a == "m3" else "b") if "m3" in (a, b) else "skipped"


def test_a_large_blocs_favourite_is_judged_against_the_board_without_the_bloc():
    """Thirty voters who rank the models upside down drag the published board their way:
    against it, honest voters seem to favour the strong models. Once the bloc is found, the
    board is refitted without it; honest voters are then ordinary and the bloc's affinity for
    m1, the weakest model, shows."""
    board = {m: 1000.0 + 60 * n for n, m in enumerate(MODELS)}
    ballots = honest_crowd(9, voters=40, battles=40, board=board)
    members = add_bloc(ballots, 9, 30, 80, lambda a, b: "a" if a < b else "b", stagger=0.0)
    published = fit_board(ballots, {})
    honest = {f"h{n}" for n in range(40)}
    assert flagged(affinity_flags(ballots, published), "affinity") & honest
    flags = detect(ballots, published)
    assert flagged(flags, "bloc") == members
    assert flagged(flags, "affinity") == members
    assert {f.voter_id for f in flags if f.test == "affinity" and f.subject == "m1"} == members


def test_a_bloc_flagged_only_for_skipping_is_left_out_of_the_board_it_is_judged_against():
    """Forty accounts vote for m3 whenever it is shown and skip everything else. Their skips
    flag them at once; their votes only when the board they shaped is fitted without them:
    at half weight they dragged m3 up to where their votes looked ordinary (1 of 40 found)."""
    board = {m: 1000.0 + 40 * n for n, m in enumerate(MODELS)}
    ballots = honest_crowd(5, voters=40, battles=40, board=board)
    members = add_bloc(ballots, 5, 40, 30, for_m3_or_skip, stagger=1.0)
    flags = detect(ballots, fit_board(ballots, {}))
    assert {flag.voter_id for flag in flags} <= members
    assert len(flagged(flags, "affinity")) >= 25
    assert {f.subject for f in flags if f.test == "affinity"} == {"m3"}


def test_a_voter_who_skips_every_battle_without_the_target_is_flagged_as_selective():
    rng = random.Random(3)
    ballots = honest_crowd(3)
    for n in range(60):
        a, b = rng.sample(MODELS, 2)
        outcome = "skipped" if "m5" not in (a, b) else rng.choice("ab")
        ballots.append(Ballot("picky", a, b, outcome, n * 120.0))
    flags = selective_flags(ballots)
    assert flagged(flags, "selective") == {"picky"}
    evidence = next(f.evidence for f in flags if f.subject == "m5")
    assert evidence["skip_rate_when_shown"] == 0.0
    assert evidence["skip_rate_when_absent"] == 1.0
    assert evidence["pattern"] == "skips when absent"


def test_a_burst_of_votes_is_flagged_and_a_steady_voter_is_not():
    rng = random.Random(4)
    ballots = honest_crowd(4)
    ballots += [
        Ballot("sprinter", *rng.sample(MODELS, 2), "a", 10_000 + 5.0 * n) for n in range(16)
    ]
    ballots += [Ballot("steady", *rng.sample(MODELS, 2), "a", 20.1 * n) for n in range(16)]
    ballots += [Ballot("brisk", *rng.sample(MODELS, 2), "a", 20.0 * n) for n in range(16)]
    flags = burst_flags(ballots, Settings(burst_window_seconds=300, burst_max_votes=15))
    assert flagged(flags, "burst") == {"sprinter", "brisk"}  # 16 votes in 300 s, ends included
    sprint = next(flag for flag in flags if flag.voter_id == "sprinter")
    assert sprint.evidence["votes_in_window"] == 16
    assert sprint.evidence["mean_seconds_between_votes"] == 5.0


def test_skips_do_not_count_towards_a_burst():
    ballots = [Ballot("idle", "m1", "m2", "skipped", 1.0 * n) for n in range(50)]
    assert burst_flags(ballots) == []


def bloc_world(seed: int, members: int):
    """An honest crowd on a spread-out board, plus a bloc that follows one secret ranking."""
    board = {m: 1000.0 + 40 * n for n, m in enumerate(MODELS)}
    ballots = honest_crowd(seed, board=board)
    rng = random.Random(seed)
    secret = {m: rng.random() for m in MODELS}
    for member in range(members):
        for n in range(40):
            a, b = rng.sample(MODELS, 2)
            choice = "a" if secret[a] > secret[b] else "b"
            ballots.append(Ballot(f"bloc{member}", a, b, choice, n * 120.0))
    return ballots, board


def test_voters_who_vote_alike_far_beyond_the_board_are_flagged_as_one_bloc():
    ballots, board = bloc_world(5, members=4)
    flags = [f for f in detect(ballots, board) if f.test == "bloc"]
    assert flagged(flags, "bloc") == {f"bloc{n}" for n in range(4)}
    assert {f.subject for f in flags} == {"bloc 1"}
    evidence = flags[0].evidence
    assert evidence["bloc_size"] == 4
    assert evidence["bloc_members"] == ["bloc0", "bloc1", "bloc2", "bloc3"]
    assert evidence["agreed"] == evidence["matched_votes"]
    assert evidence["agreed_expected"] < evidence["matched_votes"] * 0.75


def test_two_separate_blocs_are_reported_separately():
    ballots, board = bloc_world(6, members=3)
    rng = random.Random(60)
    rival = {m: rng.random() for m in MODELS}
    for member in range(3):
        for n in range(40):
            a, b = rng.sample(MODELS, 2)
            ballots.append(Ballot(f"rival{member}", a, b, "a" if rival[a] > rival[b] else "b", n))
    blocs = {}
    for flag in detect(ballots, board):
        if flag.test == "bloc":
            blocs.setdefault(flag.subject, set()).add(flag.voter_id)
    assert sorted(map(sorted, blocs.values())) == [
        ["bloc0", "bloc1", "bloc2"],
        ["rival0", "rival1", "rival2"],
    ]


# -- honest voters are left alone ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [11, 12])
def test_honest_voters_of_a_seeded_world_are_not_flagged(seed):
    board = {m: 1000.0 + 60 * n for n, m in enumerate(MODELS)}
    ballots = honest_crowd(seed, voters=120, battles=60, board=board)
    flags = detect(ballots, fit_board(ballots, {}))
    # Each test controls its false-discovery rate at 5 %; on a world of honest voters alone
    # that allows a flag in at most 1 world in 20, so none is expected here.
    assert flags == []


def test_a_large_bloc_does_not_make_the_honest_crowd_look_like_one():
    """A bloc of 40 makes 780 true pairs; were the error controlled over pairs, the chance
    pairs of honest voters it lets through would come out as blocs too."""
    board = {m: 1000.0 + 60 * n for n, m in enumerate(MODELS)}
    ballots = honest_crowd(13, voters=80, battles=40, board=board)
    rng = random.Random(13)
    for member in range(40):
        for n in range(80):
            a, b = rng.sample(MODELS, 2)
            ballots.append(Ballot(f"bloc{member}", a, b, "a" if a < b else "b", n * 120.0))
    flags = detect(ballots, fit_board(ballots, {}))  # the board as published, bloc and all
    assert flagged(flags, "bloc") == {f"bloc{n}" for n in range(40)}
    assert not any(voter.startswith("h") for voter in flagged(flags, "bloc"))


# -- weights -------------------------------------------------------------------------------------


def flag(voter, test):
    return Flag(voter, test, "m1", 0.001, 0.01, {})


def test_weights_exclude_steering_down_weight_odd_behaviour_and_spare_cleared_voters():
    flags = [
        flag("fan", "affinity"),
        flag("member", "bloc"),
        flag("picky", "selective"),  # censoring steers the board too
        flag("fast", "burst"),
        flag("both", "burst"),
        flag("both", "selective"),
        flag("appealed", "affinity"),
    ]
    assert weights(flags, cleared={"appealed"}) == {
        "fan": 0.0,
        "member": 0.0,
        "picky": 0.0,
        "fast": 0.5,
        "both": 0.0,
    }


def test_detection_and_weights_are_deterministic_whatever_the_order_of_the_log():
    ballots, board = bloc_world(7, members=4)
    ballots += [Ballot("sprinter", "m1", "m2", "a", 5.0 * n) for n in range(20)]
    shuffled = ballots[:]
    random.Random(0).shuffle(shuffled)
    first, second = detect(ballots, board), detect(shuffled, board)
    assert first == second
    assert weights(first) == weights(reversed(second))
    assert flagged(first, "bloc") and flagged(first, "burst")


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="outcome"):
        Ballot("v", "m1", "m2", "draw", 0.0)

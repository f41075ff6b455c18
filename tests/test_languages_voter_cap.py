"""The voter cap of a board (?voter_cap=on) on a skewed, hand-checked example: one voter casts
200 votes for X over Y, thirty voters cast 3 each for Y over X.

Uncapped (trust=all: no integrity weights, no share cap) X has 200 wins to Y's 90 and leads.
Capped at K = 20 the heavy voter's 200 votes weigh 20 together (0.1 each), the others' 3 stay
3: X 20, Y 90, Y leads. On the published board the share cap first holds the heavy voter to a
tenth of X's 290 votes (factor 0.1 * 290 / 200 = 0.145, weight 29); the voter cap then scales
that 29 to 20, so each vote weighs 0.1, not 0.145 x 0.1: nothing is taken off twice.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Community, LanguageModel, User, Vote, VoterWeight
from arena.voting import boards, share_cap, tallies, trust, voter_cap
from arena.voting.selection import BoardKey


@pytest.fixture
def skewed(app):
    with app.app_context(), unit_of_work(db.session):
        general = Community(slug="general", name="General", description="")
        x = LanguageModel(slug="x", name="Model X", organization="")
        y = LanguageModel(slug="y", name="Model Y", organization="")
        users = [User(username=f"voter{n}", password_hash="-") for n in range(31)]
        db.session.add_all([general, x, y, *users])
        db.session.flush()
        heavy, crowd = users[0], users[1:]
        ballots = [(heavy.id, "a")] * 200 + [(user.id, "b") for user in crowd for _ in range(3)]
        db.session.add_all(
            Vote(
                community_id=general.id,
                voter_id=voter,
                model_a_id=x.id,
                model_b_id=y.id,
                choice=choice,
                origin="arena",
                voter_trust="counted",
            )
            for voter, choice in ballots
        )
        db.session.flush()
        tallies.rebuild(db.session)
        return {"x": x.id, "y": y.id, "heavy": heavy.id}


def wins(app, **key) -> dict[str, float]:
    """Wins of each model on the board the key describes (no ties in this example)."""
    with app.app_context():
        counts = boards.pair_counts(db.session, BoardKey(**key))
    won = dict(zip(counts.models, [float(counts.wins[0]), float(counts.losses[0])], strict=True))
    return {name: round(value, 6) for name, value in won.items()}


def test_capping_each_voter_turns_the_skewed_board_around(app, skewed):
    assert wins(app, trust="all") == {"Model X": 200.0, "Model Y": 90.0}
    assert wins(app, trust="all", voter_cap=True) == {"Model X": 20.0, "Model Y": 90.0}
    client = app.test_client()
    uncapped = client.get("/api/v1/leaderboard?method=bt&trust=all").get_json()["models"]
    capped = client.get("/api/v1/leaderboard?trust=all&voter_cap=on").get_json()
    assert [row["model"] for row in uncapped] == ["Model X", "Model Y"]
    assert [row["model"] for row in capped["models"]] == ["Model Y", "Model X"]
    assert (capped["method"], capped["voter_cap"]) == ("bt", True)


def test_the_weights_are_the_hand_computed_ones(app, skewed):
    with app.app_context():
        cells = share_cap.voter_cells(db.session, BoardKey(trust="all"))
        assert voter_cap.weights(cells, 20) == {skewed["heavy"]: 0.1}
        totals = {skewed["x"]: 290, skewed["y"]: 290}
        factors = share_cap.share_factors(cells, totals, 0.1, 50)
        assert factors == {
            (skewed["heavy"], skewed["x"]): 0.145,
            (skewed["heavy"], skewed["y"]): 0.145,
        }
        # After the share cap the heavy voter weighs 29; the cap scales that to 20.
        assert voter_cap.weights(cells, 20, factors) == {skewed["heavy"]: pytest.approx(20 / 29)}


@pytest.fixture
def shipped_rules(monkeypatch):
    """seeds/integrity.json: the share cap at a tenth of a model's votes (tests run without)."""
    monkeypatch.setenv("ARENA_INTEGRITY_FILE", str(trust.DEFAULT_FILE))
    trust.default_policy.cache_clear()
    yield
    monkeypatch.undo()
    trust.default_policy.cache_clear()


def test_on_the_published_board_the_share_cap_and_the_voter_cap_take_nothing_twice(
    app, skewed, shipped_rules
):
    assert wins(app) == {"Model X": 29.0, "Model Y": 90.0}  # the share cap alone
    assert wins(app, voter_cap=True) == {"Model X": 20.0, "Model Y": 90.0}


def test_the_vote_log_is_untouched_and_the_page_says_the_board_is_capped(app, skewed):
    with app.app_context():
        before = db.session.scalars(select(Vote.id).order_by(Vote.id)).all()
    page = app.test_client().get("/leaderboard?voter_cap=on").get_data(as_text=True)
    assert "count as at most 20 votes" in page and 'data-voter-cap="on"' in page
    assert 'id="board-voter-cap" checked' in page
    with app.app_context():
        assert db.session.scalars(select(Vote.id).order_by(Vote.id)).all() == before


@pytest.mark.parametrize("integrity_weight", [1.0, 0.5, 0.0])
def test_a_flagged_voter_is_held_to_k_on_a_board_of_every_vote_too(app, skewed, integrity_weight):
    """trust=all keeps flagged voters' votes whole on the board, so the cap must count them
    whole too: a weight of 0 once left the heavy voter's 200 votes uncapped."""
    with app.app_context(), unit_of_work(db.session):
        community_id = db.session.scalar(select(Community.id))
        db.session.add(
            VoterWeight(
                voter_id=skewed["heavy"], community_id=community_id, weight=integrity_weight
            )
        )
    assert wins(app, trust="all", voter_cap=True) == {"Model X": 20.0, "Model Y": 90.0}


@pytest.fixture
def crowd_first(app, skewed):
    """The crowd votes first, an hour apart; the heavy voter after them (from hour 90)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context(), unit_of_work(db.session):
        votes = db.session.scalars(select(Vote).order_by(Vote.id)).all()
        for hour, vote in enumerate(
            sorted(votes, key=lambda v: (v.voter_id == skewed["heavy"], v.id))
        ):
            vote.created_at = start + timedelta(hours=hour)
    return start


def counts_until(app, until, **key) -> dict[str, float]:
    with app.app_context():
        counts = boards.pair_counts(db.session, BoardKey(**key), until=until)
    won = dict(zip(counts.models, [float(counts.wins[0]), float(counts.losses[0])], strict=True))
    return {name: round(value, 6) for name, value in won.items()}


def test_a_board_of_the_past_caps_and_weighs_only_the_votes_up_to_then(app, skewed, crowd_first):
    """Scores over time fit the votes up to each moment: the caps and the integrity weights
    must count the same votes (they once counted the whole log and left X at -169 wins)."""
    at_hour_99 = crowd_first + timedelta(hours=99)  # the crowd's 90 votes, the heavy voter's 10
    assert counts_until(app, at_hour_99, trust="all") == {"Model X": 10.0, "Model Y": 90.0}
    assert counts_until(app, at_hour_99, trust="all", voter_cap=True) == {
        "Model X": 10.0,
        "Model Y": 90.0,
    }
    with app.app_context(), unit_of_work(db.session):
        community_id = db.session.scalar(select(Community.id))
        db.session.add(VoterWeight(voter_id=skewed["heavy"], community_id=community_id, weight=0.5))
    assert counts_until(app, at_hour_99) == {"Model X": 5.0, "Model Y": 90.0}
    with app.app_context():
        history = boards.score_history(db.session, BoardKey(trust="all", voter_cap=True))
    assert all(abs(score) < 5000 for scores in history["scores"].values() for score in scores)


@pytest.fixture
def skewed_with_answers(app):
    """The skewed example on prompts with answers, so style control can fit it too."""
    from tests.factories import make_world

    with app.app_context(), unit_of_work(db.session):
        world = make_world(db.session)
        general = world["communities"]["general"].id
        x, y = world["models"][0].id, world["models"][1].id
        prompt = world["prompts"][0].id
        users = [User(username=f"voter{n}", password_hash="-") for n in range(31)]
        db.session.add_all(users)
        db.session.flush()
        heavy, crowd = users[0], users[1:]
        ballots = [(heavy.id, "a")] * 200 + [(user.id, "b") for user in crowd for _ in range(3)]
        db.session.add_all(
            Vote(community_id=general, voter_id=voter, model_a_id=x, model_b_id=y,
                 prompt_id=prompt, choice=choice, origin="arena", voter_trust="counted")
            for voter, choice in ballots
        )  # fmt: skip
        db.session.flush()
        tallies.rebuild(db.session)
        return {"heavy": heavy.id, "community": general}


def leader(app, query: str) -> str:
    reply = app.test_client().get("/api/v1/leaderboard?" + query)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["models"][0]["model"]


def test_style_control_weighs_each_vote_as_the_caps_and_weights_leave_it(app, skewed_with_answers):
    assert leader(app, "method=bt&trust=all&style=length") == "Zephyrine 0"
    assert leader(app, "trust=all&style=length&voter_cap=on") == "Zephyrine 1"
    assert leader(app, "method=bt&style=length") == "Zephyrine 0"
    with app.app_context(), unit_of_work(db.session):
        db.session.add(
            VoterWeight(
                voter_id=skewed_with_answers["heavy"],
                community_id=skewed_with_answers["community"],
                weight=0.0,
            )
        )
    assert leader(app, "method=bt&style=length") == "Zephyrine 1"  # the published board
    assert leader(app, "method=bt&trust=all&style=length") == "Zephyrine 0"  # every vote

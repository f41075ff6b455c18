"""The voter cap of a board (?voter_cap=on) on a skewed, hand-checked example: one voter casts
200 votes for X over Y, thirty voters cast 3 each for Y over X.

Uncapped (trust=all: no integrity weights, no share cap) X has 200 wins to Y's 90 and leads.
Capped at K = 20 the heavy voter's 200 votes weigh 20 together (0.1 each), the others' 3 stay
3: X 20, Y 90, Y leads. On the published board the share cap first holds the heavy voter to a
tenth of X's 290 votes (factor 0.1 * 290 / 200 = 0.145, weight 29); the voter cap then scales
that 29 to 20, so each vote weighs 0.1, not 0.145 x 0.1: nothing is taken off twice.
"""

import pytest
from sqlalchemy import select

from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Community, LanguageModel, User, Vote
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

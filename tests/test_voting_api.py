"""The JSON API's voting contract, its errors, and that errors change nothing."""

import pytest
import trueskill
from sqlalchemy import func, select

from arena.extensions import db
from arena.models import Battle, Rating, Vote
from tests.conftest import api_client_for


def row_counts(app) -> dict:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Battle, Vote, Rating)
        }


def test_battle_then_vote_reveals_models_and_updates_the_leaderboard(any_app, any_api):
    battle = any_api.battle()
    assert set(battle) == {"token", "community", "prompt", "context", "responses"}
    assert battle["community"] == "general"
    assert set(battle["responses"]) == {"a", "b"}
    assert battle["responses"]["a"] and battle["responses"]["b"]

    reply = any_api.vote(battle["token"], "a")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["choice"] == "a"
    assert body["models"]["a"] != body["models"]["b"]

    board = any_app.test_client().get("/api/v1/leaderboard").get_json()
    assert board["method"] == "trueskill" and board["community"] is None
    assert [row["model"] for row in board["models"]] == [body["models"]["a"], body["models"]["b"]]
    top, bottom = board["models"]
    assert set(top) == {"model", "score", "mu", "sigma", "votes", "wins", "losses", "ties"}
    # The package's own update, with the arena's tau 0 and the default draw probability of a
    # scope no retune has seen yet.
    environment = trueskill.TrueSkill(tau=0.0, draw_probability=0.10)
    winner, loser = trueskill.rate_1vs1(
        environment.create_rating(), environment.create_rating(), env=environment
    )
    expected_top = (round(winner.mu, 3), round(winner.sigma, 3), 1, 1)
    assert (top["mu"], top["sigma"], top["wins"], top["votes"]) == expected_top
    assert (bottom["mu"], bottom["losses"]) == (round(loser.mu, 3), 1)
    assert top["score"] == round(winner.mu - 3 * winner.sigma, 3)


def test_battle_in_a_named_community(api):
    battle = api.battle("coding")
    assert battle["community"] == "coding"
    assert "coding" in battle["prompt"]
    assert api.vote(battle["token"], "tie").status_code == 200
    board = api.get("/api/v1/leaderboard?community=coding").get_json()
    assert board["community"] == "coding"
    assert all(row["ties"] == 1 for row in board["models"])
    assert api.get("/api/v1/leaderboard?community=general").get_json()["models"] == []


def test_second_vote_on_a_battle_is_a_conflict_and_changes_nothing(any_app, any_api):
    battle = any_api.battle()
    assert any_api.vote(battle["token"], "b").status_code == 200
    before = row_counts(any_app)
    again = any_api.vote(battle["token"], "a")
    assert again.status_code == 409
    assert "already" in again.get_json()["error"]
    assert row_counts(any_app) == before


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"choice": "left"}, 400, "choice must be one of"),
        ({}, 400, "choice"),
        ({"choice": 1}, 400, "choice must be one of"),
        (["a"], 400, "JSON object"),
    ],
)
def test_bad_vote_bodies_are_refused(app, api, body, status, message):
    battle = api.battle()
    before = row_counts(app)
    reply = api.post(f"/api/v1/battles/{battle['token']}/vote", json=body)
    assert reply.status_code == status
    assert message in reply.get_json()["error"]
    assert row_counts(app) == before


def test_unknown_token_is_not_found(app, api):
    before = row_counts(app)
    reply = api.vote("no-such-token")
    assert reply.status_code == 404
    assert reply.get_json()["error"] == "No such battle."
    assert row_counts(app) == before


def test_someone_elses_battle_is_not_found(app, api):
    battle = api.battle()
    mallory = api_client_for(app, "mallory")
    before = row_counts(app)
    assert mallory.vote(battle["token"]).status_code == 404
    assert row_counts(app) == before
    assert api.vote(battle["token"]).status_code == 200


def test_requests_without_credentials_are_unauthorised(app, api):
    battle = api.battle()
    anonymous = app.test_client()
    before = row_counts(app)
    assert anonymous.post("/api/v1/battles").status_code == 401
    reply = anonymous.post(f"/api/v1/battles/{battle['token']}/vote", json={"choice": "a"})
    assert reply.status_code == 401
    assert "Authorization" in reply.get_json()["error"]
    assert row_counts(app) == before


def test_a_wrong_bearer_token_is_unauthorised(app, world):
    client = app.test_client()
    reply = client.post("/api/v1/battles", headers={"Authorization": "Bearer ca_forged"})
    assert reply.status_code == 401
    assert "invalid or revoked" in reply.get_json()["error"]


def test_unknown_community_is_not_found(app, api):
    before = row_counts(app)
    reply = api.post("/api/v1/battles", json={"community": "astrology"})
    assert reply.status_code == 404
    assert "astrology" in reply.get_json()["error"]
    assert row_counts(app) == before
    assert api.get("/api/v1/leaderboard?community=astrology").status_code == 404


def test_browser_session_needs_the_csrf_header(browser_client):
    from tests.conftest import csrf_token

    assert browser_client.post("/api/v1/battles", json={}).status_code == 400
    token = csrf_token(browser_client, "/")
    reply = browser_client.post("/api/v1/battles", json={}, headers={"X-CSRFToken": token})
    assert reply.status_code == 201


def test_unknown_api_route_answers_json(app):
    reply = app.test_client().get("/api/v1/nothing-here")
    assert reply.status_code == 404
    assert reply.get_json()["status"] == 404

"""No model identity reaches the voter before the vote: not in HTML, JSON or socket events."""

import re

from sqlalchemy import select

from arena.extensions import db
from arena.models import Battle, Response
from tests.conftest import csrf_token

BATTLES = 40


def identities(world) -> list[str]:
    """Names and slugs of every model in the test world."""
    return [value for _, slug, name in world["models"] for value in (slug, name)]


def model_ids_in_battle(app, token) -> set[int]:
    with app.app_context():
        battle = db.session.scalar(select(Battle).where(Battle.token == token))
        ids = (battle.response_a_id, battle.response_b_id)
        return set(db.session.scalars(select(Response.model_id).where(Response.id.in_(ids))))


def assert_blind(text: str, world) -> None:
    lowered = text.lower()
    for identity in identities(world):
        assert identity.lower() not in lowered, f"{identity!r} leaked before the vote"


def test_api_battles_reveal_nothing_before_the_vote(app, api, world):
    for number in range(BATTLES):
        reply = api.post("/api/v1/battles")
        raw = reply.get_data(as_text=True)
        assert_blind(raw, world)
        assert "model" not in raw.lower()  # no key or value mentioning models at all
        battle = reply.get_json()
        assert set(battle) == {"token", "community", "prompt", "context", "responses"}
        if number % 2:
            api.vote(battle["token"], "a")


def test_tokens_carry_no_model_ids_or_order(app, api, world):
    tokens = [api.battle()["token"] for _ in range(20)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert len(token) >= 32
        ids = model_ids_in_battle(app, token)
        assert all(str(model_id) != token for model_id in ids)


def test_left_and_right_are_shuffled(app, api, world):
    """Across many battles the least-served model lands on both sides."""
    first_model_by_side = {"a": set(), "b": set()}
    for _ in range(30):  # of the 36 distinct pairs of the general community
        battle = api.battle()
        reply = api.vote(battle["token"], "tie").get_json()
        first_model_by_side["a"].add(reply["models"]["a"])
        first_model_by_side["b"].add(reply["models"]["b"])
    assert first_model_by_side["a"] == first_model_by_side["b"] == {m[2] for m in world["models"]}


def test_arena_page_is_blind_until_voted(browser_client, world):
    for _ in range(BATTLES // 2):
        page = browser_client.get("/arena").get_data(as_text=True)
        assert_blind(page, world)
        token = re.search(r'action="/arena/([^/]+)/vote"', page).group(1)
        early = browser_client.get(f"/arena/{token}/result")
        assert early.status_code == 409
        assert_blind(early.get_data(as_text=True), world)
        voted = browser_client.post(
            f"/arena/{token}/vote",
            data={"choice": "b", "csrf_token": csrf_token(browser_client, "/")},
        )
        assert voted.status_code == 302
        revealed = browser_client.get(f"/arena/{token}/result").get_data(as_text=True)
        assert sum(name in revealed for _, _, name in world["models"]) == 2

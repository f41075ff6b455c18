"""No model identity reaches the voter before the vote: not in HTML, JSON or socket events.

The world's models and answers get seven-digit ids that nothing else on a page looks like, so
"no model or response id reaches the voter" is checked literally, next to the models' real
names, slugs and organisations as the database holds them.
"""

import json
import random
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from arena.extensions import db, socketio
from arena.models import Battle, LanguageModel, Response
from arena.voting import pairing
from tests.conftest import api_client_for, csrf_token, sign_up
from tests.factories import ids_from, make_world

MODEL_IDS_FROM, RESPONSE_IDS_FROM = 4_100_001, 8_300_001
BATTLES = 24  # 2 communities x 6 prompts x 6 pairs = 72 distinct battles: none is repeated
BATTLE_KEYS = {"token", "community", "prompt", "context", "responses"}
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,}")


@dataclass(frozen=True)
class Identities:
    """What would tell a voter which model wrote an answer."""

    words: tuple[str, ...]  # names, slugs and organisations
    numbers: tuple[int, ...]  # model and response ids
    names_by_id: dict

    def leaks(self, text: str) -> list[str]:
        lowered = text.lower()
        found = [word for word in self.words if word.lower() in lowered]
        return found + [str(n) for n in self.numbers if re.search(rf"(?<!\d){n}(?!\d)", text)]

    def assert_hidden(self, text: str, where: str) -> None:
        leaked = self.leaks(text)
        assert not leaked, f"{leaked} reached the voter in {where} before the vote"


@pytest.fixture
def identities(app) -> Identities:
    """The test world, with ids from MODEL_IDS_FROM / RESPONSE_IDS_FROM."""
    with app.app_context():
        with ids_from(db.session, {LanguageModel: MODEL_IDS_FROM, Response: RESPONSE_IDS_FROM}):
            make_world(db.session)
        models = db.session.scalars(select(LanguageModel)).all()
        response_ids = db.session.scalars(select(Response.id)).all()
        found = Identities(
            words=tuple(v for m in models for v in (m.name, m.slug, m.organization)),
            numbers=(*(m.id for m in models), *response_ids),
            names_by_id={m.id: m.name for m in models},
        )
    # Otherwise the id checks below would compare against small numbers found everywhere.
    assert min(m.id for m in models) == MODEL_IDS_FROM and len(models) == 4
    assert min(response_ids) == RESPONSE_IDS_FROM and len(response_ids) == 48
    return found


@pytest.fixture
def seeded_pairing(monkeypatch):
    """The same battles in the same order on every run, so a leak found once is found again."""
    rng = random.Random(20261102)
    choose = pairing.choose_pair
    monkeypatch.setattr(
        pairing, "choose_pair", lambda *args, **kwargs: choose(*args, **{**kwargs, "rng": rng})
    )


def walk(value):
    """Every key and leaf of a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
    else:
        yield value


def battle_models(app, token) -> set[str]:
    with app.app_context():
        battle = db.session.scalar(select(Battle).where(Battle.token == token))
        return {battle.response_a.model.name, battle.response_b.model.name}


def test_api_battles_reveal_nothing_before_the_vote(app, identities, seeded_pairing):
    api = api_client_for(app)
    for number in range(BATTLES):
        reply = api.post("/api/v1/battles", json={"community": ("general", "coding")[number % 2]})
        assert reply.status_code == 201
        identities.assert_hidden(reply.get_data(as_text=True), "POST /api/v1/battles")
        battle = reply.get_json()
        assert set(battle) == BATTLE_KEYS and set(battle["responses"]) == {"a", "b"}
        # Ids would travel as numbers; the view has none, and no key names a model.
        leaves = list(walk(battle))
        assert all(isinstance(leaf, str) for leaf in leaves), leaves
        assert not [leaf for leaf in leaves if "model" in leaf.lower()]
        if number % 2:
            assert api.vote(battle["token"], "a").status_code == 200


def test_tokens_are_random_and_carry_no_ids(app, identities, seeded_pairing):
    api = api_client_for(app)
    tokens = [api.battle()["token"] for _ in range(20)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert TOKEN.fullmatch(token), token
        identities.assert_hidden(token, f"the token {token}")


def test_the_pairs_first_model_lands_left_or_right_by_a_fair_coin(app, identities, monkeypatch):
    """Pairing hands over each pair with its lower model id first here (it draws the order at
    random itself); the serve's coin flip alone decides the sides. Without it that model would
    always sit on side A.

    With a fair coin, the number k of the 80 battles with it on side A is Binomial(80, 1/2); the
    test accepts 20 <= k <= 60, so it fails by bad luck with probability 2 P(k <= 19) = 2.7e-6.
    """
    choose = pairing.choose_pair

    def in_id_order(*args, **kwargs):
        pair = choose(*args, **kwargs)
        if pair.model_ids[0] > pair.model_ids[1]:
            pair = pairing.Pair(pair.prompt_id, pair.response_ids[::-1], pair.model_ids[::-1])
        return pair

    monkeypatch.setattr(pairing, "choose_pair", in_id_order)
    tokens = []
    for voter in range(5):
        api = api_client_for(app, f"voter{voter}")
        tokens += [api.battle("general")["token"] for _ in range(16)]
    with app.app_context():
        sides = []
        for token in tokens:
            battle = db.session.scalar(select(Battle).where(Battle.token == token))
            sides.append(battle.response_a.model_id < battle.response_b.model_id)
    assert 20 <= sum(sides) <= 60, f"the first model was on side A in {sum(sides)} of 80 battles"


def logged_in(app, username="alice"):
    client = app.test_client()
    assert sign_up(client, username).status_code == 302
    return client


def test_pages_and_socket_events_are_blind_until_the_vote(app, identities, seeded_pairing):
    client = logged_in(app)
    socket = socketio.test_client(app, flask_test_client=client, auth={"scope": "general"})
    assert socket.is_connected()
    revealed = set()
    for number in range(BATTLES):
        community = ("general", "coding")[number % 2]
        page = client.get(f"/arena?community={community}").get_data(as_text=True)
        identities.assert_hidden(page, "/arena")
        token = re.search(r'action="/arena/([^/]+)/vote"', page).group(1)
        shown = client.get(f"/arena/battles/{token}")
        assert shown.status_code == 200 and token in shown.get_data(as_text=True)
        identities.assert_hidden(shown.get_data(as_text=True), f"/arena/battles/{token}")
        early = client.get(f"/arena/{token}/result")
        assert early.status_code == 409
        identities.assert_hidden(early.get_data(as_text=True), "the early result page")
        identities.assert_hidden(json.dumps(socket.get_received()), "socket events")
        choice = ("a", "b", "tie")[number % 3]
        voted = client.post(
            f"/arena/{token}/vote", data={"choice": choice, "csrf_token": csrf_token(client, "/")}
        )
        assert voted.status_code == 302
        # Events after a vote name badges and scopes, never models.
        identities.assert_hidden(json.dumps(socket.get_received()), "socket events")
        result = client.get(f"/arena/{token}/result").get_data(as_text=True)
        names = {name for name in identities.names_by_id.values() if name in result}
        assert names == battle_models(app, token)
        revealed |= names
    assert revealed == set(identities.names_by_id.values())

"""Pairing that learns, through the site: serving draws each pair with the matchmaking rule
from the community's Rating rows and exposure (voting/matchmaking.py; the pure rule is tested
in tests/test_matchmaking.py). Exposure bounds, a newcomer's capped boost, double blindness
and unpredictability, on SQLite and on PostgreSQL.

Counting tests allow for chance: a bound on a count of n battles that each hold a model with
chance p is checked 4.5 standard deviations (sqrt(n p (1 - p))) away, so a correct rule fails
by bad luck with probability under 1e-5."""

import random
from collections import Counter
from itertools import combinations
from math import sqrt

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from arena.core.errors import NothingToServe
from arena.extensions import db
from arena.models import Battle, Community, Exposure, Prompt, Rating, Response
from arena.models.chats import SharedChat
from arena.voting import pairing
from arena.voting.matchmaking import Settings
from tests.conftest import build_app
from tests.factories import cast, make_voter, make_world, serve

Other = aliased(Response)
SETTINGS = Settings()  # seeds/pairing.json sets no override for the test communities
CLOSE_AND_UNCERTAIN = [(25.0, 3.0), (25.5, 3.0)]
FAR_AND_SETTLED = [(0.0, 0.5), (50.0, 0.5), (75.0, 0.5), (100.0, 0.5)]


def rated_world(session, ratings, prompts=30):
    """A one-community world whose models carry the given (mu, sigma) in that community,
    placed (100 votes each); returns the model ids in the order of `ratings`."""
    world = make_world(session, models=len(ratings), prompts=prompts, communities=("general",))
    ids = [model.id for model in world["models"]]
    for model_id, (mu, sigma) in zip(ids, ratings, strict=True):
        session.add(Rating(model_id=model_id, scope="general", mu=mu, sigma=sigma, votes=100))
    session.commit()
    return ids


def voters(session, count, prefix="voter"):
    return [make_voter(session, f"{prefix}{number}")[0].id for number in range(count)]


def exposures(model_ids) -> np.ndarray:
    rows = dict(db.session.execute(select(Exposure.model_id, Exposure.battles)).tuples().all())
    return np.array([rows.get(model_id, 0) for model_id in model_ids], dtype=float)


def battle_models(battle) -> frozenset[int]:
    ids = (battle.response_a_id, battle.response_b_id)
    return frozenset(db.session.scalars(select(Response.model_id).where(Response.id.in_(ids))))


def community_id(slug="general"):
    return db.session.scalar(select(Community.id).where(Community.slug == slug))


def test_every_share_of_battles_stays_within_the_bounds(any_app):
    with any_app.app_context():
        ids = rated_world(db.session, CLOSE_AND_UNCERTAIN + FAR_AND_SETTLED)
        people = voters(db.session, 6)
        for number in range(300):
            voter = people[number % len(people)]
            battle = serve(db.session, voter, "general")
            cast(db.session, voter, battle.token, ("a", "b", "tie")[number % 3])
            battles = exposures(ids)
            mean = battles.mean()
            if mean >= 10:
                assert battles.max() / mean <= SETTINGS.max_share + 1e-9, battles
                # Two at the floor at once: the one not drawn slips by under one battle.
                assert battles.min() / mean > SETTINGS.min_share - 1 / mean, battles


def test_close_uncertain_pairs_are_served_more_than_far_settled_ones(any_app):
    with any_app.app_context():
        ids = rated_world(db.session, CLOSE_AND_UNCERTAIN + FAR_AND_SETTLED)
        people = voters(db.session, 4)
        for number in range(120):
            serve(db.session, people[number % len(people)], "general")
        served = Counter(
            frozenset(pair)
            for pair in db.session.execute(
                select(Response.model_id, Other.model_id)
                .join(Battle, Battle.response_a_id == Response.id)
                .join(Other, Battle.response_b_id == Other.id)
            )
        )
        close = served[frozenset(ids[:2])]
        far = max(served[frozenset(pair)] for pair in combinations(ids[2:], 2))
        # Uniform pairs would give each of the 15 pairs 8 battles; the close pair gets about
        # 46 (capped: each model plays at most half the battles), the likeliest far pair 13.
        assert close > 3 * 120 / 15 and close > 2 * far, served


def test_a_new_model_is_boosted_but_does_not_jump_the_queue(any_app):
    """Five models served 200 battles each; a sixth arrives. The old least-served-first rule
    put it in every battle until it had half the mean (about 85 battles); now its chance of
    each battle is capped at max_share x the mean chance (1.5 x 2/6 = 1/2) and it catches up
    at that chance: above its fair third, never nearly everyone's battle."""
    with any_app.app_context():
        world = make_world(db.session, models=6, prompts=20, communities=("general",))
        *settled, newcomer = (model.id for model in world["models"])
        general = community_id()
        db.session.add_all(Exposure(model_id=m, community_id=general, battles=200) for m in settled)
        db.session.commit()
        people = voters(db.session, 4)
        holds = [
            newcomer in battle_models(serve(db.session, people[number % 4], "general"))
            for number in range(200)
        ]
    fair, cap = 2 / 6, SETTINGS.max_share * 2 / 6
    for first in (40, 200):
        most = cap * first + 4.5 * sqrt(first * cap * (1 - cap))
        assert sum(holds[:first]) <= most, f"newcomer in {sum(holds[:first])} of {first}"
    # At the cap it holds 100 of the 200 expected (sd 7.1): its fair 66.7 is 4.7 sd below.
    assert sum(holds) > fair * 200, f"newcomer in {sum(holds)} of 200: no boost"


def test_a_voter_never_gets_a_pair_from_their_own_chat(any_app):
    with any_app.app_context():
        world = make_world(db.session, models=4, prompts=10, communities=("general",))
        owner, other = voters(db.session, 2)
        chat = SharedChat(
            contributor_id=owner,
            community_id=community_id(),
            source_format="test",
            licence="CC-BY-4.0",
        )
        db.session.add(chat)
        db.session.flush()
        own = [prompt.id for prompt in world["prompts"][:8]]  # most prompts are the owner's
        db.session.execute(update(Prompt).where(Prompt.id.in_(own)).values(shared_chat_id=chat.id))
        db.session.commit()
        served = []
        with pytest.raises(NothingToServe):
            for _ in range(100):
                battle = serve(db.session, owner, "general")
                served.append(battle.prompt_id)
                cast(db.session, owner, battle.token, "tie")
        # Every pair of the two prompts not from the owner's chat, each once, and nothing else.
        assert len(served) == 2 * 6 and not set(served) & set(own)
        others = {serve(db.session, other, "general").prompt_id for _ in range(20)}
        assert others & set(own)  # the chat's prompts are in the arena, for everybody else


def test_identical_states_give_different_pairs(any_app):
    """Nobody can predict a pair: the same state, asked again and again (nothing recorded in
    between), gives different prompts and model pairs."""
    with any_app.app_context():
        rated_world(db.session, CLOSE_AND_UNCERTAIN + FAR_AND_SETTLED, prompts=10)
        (voter,) = voters(db.session, 1)
        pairs = [pairing.choose_pair(db.session, community_id(), voter) for _ in range(30)]
    assert len({(p.prompt_id, frozenset(p.model_ids)) for p in pairs}) >= 10
    assert len({p.model_ids for p in pairs}) >= 3


def test_two_voters_in_identical_worlds_get_different_sequences(tmp_path):
    sequences = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        app = build_app(folder)
        with app.app_context():
            rated_world(db.session, CLOSE_AND_UNCERTAIN + FAR_AND_SETTLED, prompts=10)
            (voter,) = voters(db.session, 1)
            sequence = []
            for _ in range(10):
                battle = serve(db.session, voter, "general")
                sequence.append((battle.prompt_id, battle_models(battle)))
                cast(db.session, voter, battle.token, "tie")
            sequences.append(sequence)
            db.session.remove()
            db.engine.dispose()
    assert sequences[0] != sequences[1]


def test_a_seeded_generator_makes_pairing_reproducible(app):
    with app.app_context():
        rated_world(db.session, CLOSE_AND_UNCERTAIN + FAR_AND_SETTLED, prompts=10)
        (voter,) = voters(db.session, 1)

        def draws(seed):
            rng = random.Random(seed)
            return [pairing.choose_pair(db.session, community_id(), voter, rng) for _ in range(10)]

        assert draws(5) == draws(5)
        assert draws(5) != draws(6)


def test_settings_come_per_community_from_the_pairing_file(tmp_path, monkeypatch):
    (tmp_path / "pairing.json").write_text(
        '{"default": {"exploration": 0.3}, "communities": {"coding": {"closeness": 4.0}}}'
    )
    monkeypatch.setenv("ARENA_PAIRING_FILE", str(tmp_path / "pairing.json"))
    assert pairing.settings_for("coding") == Settings(exploration=0.3, closeness=4.0)
    assert pairing.settings_for("general") == Settings(exploration=0.3)
    monkeypatch.delenv("ARENA_PAIRING_FILE")
    assert pairing.settings_for("general") == SETTINGS  # seeds/pairing.json

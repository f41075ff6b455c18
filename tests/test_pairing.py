"""Pair selection: bounded exposure across models, no repeated battle while unseen ones remain."""

import random
from itertools import combinations

import pytest
from sqlalchemy import func, select

from arena.core.errors import Conflict, NothingToServe
from arena.extensions import db
from arena.models import Battle, Community, Exposure, Vote
from arena.voting import pairing
from tests.factories import cast, make_voter, make_world, serve


def community_id(slug="general"):
    return db.session.scalar(select(Community.id).where(Community.slug == slug))


def test_every_model_gets_a_fair_share_of_battles(app):
    with app.app_context():
        make_world(db.session, models=5, prompts=10)
        voter, _ = make_voter(db.session)
        for _ in range(50):
            serve(db.session, voter.id, "general")
        served = dict(
            db.session.execute(select(Exposure.model_id, Exposure.battles)).tuples().all()
        )
        # 50 battles x 2 seats over 5 models: 20 on average, and pairing keeps every model's
        # share within 0.5-1.5x the mean (a model at the floor may slip by under one battle).
        assert sum(served.values()) == 100 and len(served) == 5
        assert all(9 <= battles <= 30 for battles in served.values()), served


def test_a_voter_never_repeats_a_battle_while_unseen_ones_remain(app):
    with app.app_context():
        make_world(db.session, models=3, prompts=2, communities=("general",))
        voter, _ = make_voter(db.session)
        distinct_battles = 2 * len(list(combinations(range(3), 2)))  # 2 prompts x 3 pairs
        seen = []
        for _ in range(distinct_battles):
            battle = serve(db.session, voter.id, "general")
            seen.append((battle.prompt_id, frozenset((battle.response_a_id, battle.response_b_id))))
            cast(db.session, voter.id, battle.token, "a")
        assert len(set(seen)) == distinct_battles
        # Everything judged: no repeat (a second judgement would not count anyway).
        with pytest.raises(NothingToServe, match="judged them all"):
            serve(db.session, voter.id, "general")


def test_served_but_unjudged_pairs_come_back_last_and_count_once(app):
    with app.app_context():
        make_world(db.session, models=2, prompts=1, communities=("general",))
        voter, _ = make_voter(db.session)
        first = serve(db.session, voter.id, "general")
        twin = serve(db.session, voter.id, "general")  # the only pair, again
        assert (first.prompt_id, {first.response_a_id, first.response_b_id}) == (
            twin.prompt_id,
            {twin.response_a_id, twin.response_b_id},
        )
        cast(db.session, voter.id, first.token, "a")
        # The twin was open while the models were revealed: voting on it now changes nothing.
        with pytest.raises(Conflict, match="already judged this pair"):
            cast(db.session, voter.id, twin.token, "b")
        assert db.session.scalar(select(func.count(Vote.id))) == 1


def test_inactive_models_are_not_served(app):
    with app.app_context():
        world = make_world(db.session, models=4, prompts=3)
        retired, *active = (model.id for model in world["models"])
        world["models"][0].is_active = False
        db.session.commit()
        rng = random.Random(1)  # one seeded generator for all draws: reproducible, not constant
        pairs = {
            frozenset(pairing.choose_pair(db.session, community_id(), 1, rng).model_ids)
            for _ in range(30)
        }
        # The draws explore every pair of the active models, and never reach the retired one.
        assert pairs == {frozenset(pair) for pair in combinations(active, 2)}
        assert retired not in set().union(*pairs)


@pytest.mark.parametrize(
    ("models", "retired"),
    [(1, 0), (2, 1)],
    ids=["one model", "two models, one retired"],
)
def test_fewer_than_two_active_models_have_nothing_to_serve(app, models, retired):
    with app.app_context():
        world = make_world(db.session, models=models, prompts=2)
        for model in world["models"][:retired]:
            model.is_active = False
        db.session.commit()
        voter, _ = make_voter(db.session)
        assert pairing.choose_pair(db.session, community_id(), voter.id) is None
        with pytest.raises(NothingToServe, match="fewer than two models"):
            serve(db.session, voter.id, "general")
        # Refusing wrote nothing: no battle, no exposure.
        assert db.session.scalar(select(func.count(Battle.id))) == 0
        assert db.session.scalar(select(func.count(Exposure.id))) == 0

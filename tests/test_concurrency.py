"""Concurrent votes lose nothing, count nothing twice, and replay to the same ratings."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Rating, Vote
from arena.voting import ratings
from tests.conftest import api_client_for

THREADS = 8
VOTERS = 4
BATTLES_EACH = 10
CHOICES = ("a", "b", "tie", "both_bad")


def live_ratings(app) -> dict:
    with app.app_context():
        rows = db.session.scalars(select(Rating)).all()
        return {
            (r.model_id, r.scope): (r.mu, r.sigma, r.votes, r.wins, r.losses, r.ties) for r in rows
        }


def test_concurrent_votes_lose_no_update(any_app, any_world):
    clients = [api_client_for(any_app, f"voter{n}") for n in range(VOTERS)]
    jobs = [
        (client, client.battle(), CHOICES[(n + i) % 4])
        for n, client in enumerate(clients)
        for i in range(BATTLES_EACH)
    ]
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(
            pool.map(lambda job: job[0].vote(job[1]["token"], job[2]).status_code, jobs)
        )
    assert statuses == [200] * len(jobs)

    live = live_ratings(any_app)
    with any_app.app_context():
        assert db.session.scalar(select(func.count(Vote.id))) == len(jobs)
        overall_votes = sum(v[2] for (m, scope), v in live.items() if scope == "overall")
        assert overall_votes == 2 * len(jobs)
        with unit_of_work(db.session):
            ratings.rebuild_ratings(db.session)
    assert live_ratings(any_app) == live  # exact floats: the replay is the live history


def test_racing_votes_on_one_battle_count_once(any_app, any_world):
    client = api_client_for(any_app)
    battle = client.battle()
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(
            pool.map(lambda c: client.vote(battle["token"], c).status_code, CHOICES * 2)
        )
    assert sorted(statuses) == [200] + [409] * 7
    with any_app.app_context():
        assert db.session.scalar(select(func.count(Vote.id))) == 1
        assert db.session.scalar(select(func.sum(Rating.votes))) == 4  # 2 models x 2 scopes

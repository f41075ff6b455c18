"""The integrity scan on the site: a rigger among honest voters is found, weighted out of the
published board (the vote log untouched), told why, can appeal, and a moderator can clear them.
Also: votes start the scan in the background, at most once per interval."""

import random
import time

import pytest
from sqlalchemy import func, select

from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Appeal, Battle, IntegrityClock, IntegrityFlag, Vote, VoterWeight
from arena.voting import battles as voting
from arena.voting import boards
from arena.voting.selection import BoardKey
from arena.web import integrity_job
from tests.conftest import ApiClient, build_app, csrf_token
from tests.factories import make_voter, make_world

PASSWORD = "correct horse"


def sides(battle: Battle) -> dict[int, str]:
    return {battle.response_a.model_id: "a", battle.response_b.model_id: "b"}


def play_honestly(session, voter_id: int, strength: dict[int, float], rng, battles: int):
    for _ in range(battles):
        with unit_of_work(session):
            battle = voting.serve_battle(session, voter_id)
        by_model = sides(battle)
        first, second = sorted(by_model)
        chance = 1 / (1 + 10 ** ((strength[second] - strength[first]) / 400))
        winner = first if rng.random() < chance else second
        with unit_of_work(session):
            voting.cast_vote(session, voter_id, battle.token, by_model[winner])


def play_for(session, voter_id: int, target: int, battles: int):
    """Vote for the target whenever it is shown; skip every other battle."""
    for _ in range(battles):
        with unit_of_work(session):
            battle = voting.serve_battle(session, voter_id)
        by_model = sides(battle)
        with unit_of_work(session):
            if target in by_model:
                voting.cast_vote(session, voter_id, battle.token, by_model[target])
            else:
                voting.skip_battle(session, voter_id, battle.token)


@pytest.fixture
def rigged(tmp_path):
    """Twenty honest voters and one rigger for the weakest model, on the general board."""
    app = build_app(tmp_path)
    with app.app_context():  # left before the test, so requests get sessions of their own
        session = db.session
        world = make_world(session, models=5, prompts=40, communities=("general",))
        models = [m.id for m in world["models"]]
        strength = {model: 1200 - 100 * rank for rank, model in enumerate(models)}
        rng = random.Random(3)
        for number in range(20):
            voter, _ = make_voter(session, f"honest{number}", PASSWORD)
            play_honestly(session, voter.id, strength, rng, battles=15)
        rigger, _ = make_voter(session, "rigger", PASSWORD)
        play_for(session, rigger.id, models[-1], battles=80)
        rigger_id = rigger.id
        db.session.remove()
    yield app, rigger_id, models[-1]
    with app.app_context():
        db.engine.dispose()


def scan_rows(session) -> tuple[list, list]:
    session.expire_all()
    flags = session.execute(
        select(
            IntegrityFlag.voter_id,
            IntegrityFlag.test,
            IntegrityFlag.subject,
            IntegrityFlag.q_value,
            IntegrityFlag.evidence,
        ).order_by(IntegrityFlag.voter_id, IntegrityFlag.test, IntegrityFlag.subject)
    ).all()
    weights = session.execute(
        select(VoterWeight.voter_id, VoterWeight.community_id, VoterWeight.weight).order_by(
            VoterWeight.voter_id
        )
    ).all()
    return [tuple(row) for row in flags], [tuple(row) for row in weights]


def logged_in(app, username: str):
    client = app.test_client()
    reply = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert reply.status_code == 302
    return client


def test_a_rigger_is_flagged_weighted_out_told_why_and_can_be_cleared(rigged):
    app, rigger, target = rigged
    with app.app_context():
        session = db.session
        votes_before = session.scalar(select(func.count()).select_from(Vote))
        published_before = boards.pair_counts(session, BoardKey(community="general"))
        result = app.test_cli_runner().invoke(args=["arena", "integrity-scan"])
        assert result.exit_code == 0 and "flags" in result.output, result.output
        tests = set(
            session.scalars(select(IntegrityFlag.test).where(IntegrityFlag.voter_id == rigger))
        )
        assert {"affinity", "selective"} <= tests
        assert session.get(VoterWeight, (rigger, 1)).weight == 0.0
        honest_flagged = session.scalar(
            select(func.count(func.distinct(VoterWeight.voter_id))).where(
                VoterWeight.voter_id != rigger
            )
        )
        # Pairs are drawn at random, and in a world of 20 voters the false-discovery rate lets
        # the odd honest voter through; BENCHMARKS.md measures it on 12,800 (0.15 %).
        assert honest_flagged <= 3
        assert session.scalar(select(func.count()).select_from(Vote)) == votes_before
        published = boards.pair_counts(session, BoardKey(community="general"))
        # Each weighted voter's votes come off the board by (1 - weight): the rigger's all.
        weighted_off = sum(
            (1 - weight) * session.scalar(select(func.count()).where(Vote.voter_id == voter))
            for voter, weight in session.execute(select(VoterWeight.voter_id, VoterWeight.weight))
        )
        rigger_votes = session.scalar(select(func.count()).where(Vote.voter_id == rigger))
        assert published_before.total - published.total == pytest.approx(weighted_off)
        assert weighted_off >= rigger_votes
        found = scan_rows(session)
        app.test_cli_runner().invoke(args=["arena", "integrity-scan"])
        assert scan_rows(session) == found  # derived: the same log gives the same scan

    voter = logged_in(app, "rigger")
    profile = voter.get("/profile").get_data(as_text=True)
    assert "How your votes count" in profile and "not counted" in profile
    assert "votes for one model far more often" in profile
    appeal = voter.post(
        "/profile/appeal", data={"text": "I just like it.", "csrf_token": csrf_token(voter, "/")}
    )
    assert appeal.status_code == 302
    second = voter.post(
        "/profile/appeal", data={"text": "Again", "csrf_token": csrf_token(voter, "/")}
    )
    assert second.status_code == 409
    assert voter.get("/moderation").status_code == 403

    runner = app.test_cli_runner()
    runner.invoke(args=["arena", "create-user", "mod", "--password", PASSWORD, "--role", "admin"])
    moderator = logged_in(app, "mod")
    page = moderator.get("/moderation").get_data(as_text=True)
    assert "rigger" in page and "I just like it." in page and "affinity" in page
    with app.app_context():
        appeal_id = db.session.scalar(select(func.max(Appeal.id)))
    cleared = moderator.post(
        f"/moderation/appeals/{appeal_id}",
        data={"decision": "cleared", "csrf_token": csrf_token(moderator, "/")},
    )
    assert cleared.status_code == 302
    with app.app_context():
        assert db.session.get(VoterWeight, (rigger, 1)) is None
        app.test_cli_runner().invoke(args=["arena", "integrity-scan"])
        assert db.session.get(VoterWeight, (rigger, 1)) is None  # cleared stays cleared
        assert db.session.scalar(select(func.count()).where(IntegrityFlag.voter_id == rigger))


def test_votes_start_the_scan_in_the_background_at_most_once_per_interval(tmp_path):
    app = build_app(tmp_path, INTEGRITY_SCAN_MINUTES=10)
    integrity_job._state["looked_at"] = float("-inf")
    with app.app_context():
        make_world(db.session, communities=("general",))
        user, token = make_voter(db.session, "voter", PASSWORD)
    client = ApiClient(app.test_client(), token)
    battle = client.battle()
    assert client.vote(battle["token"]).status_code == 200
    with app.app_context():
        deadline = time.monotonic() + 30  # the scan's thread may wait for a busy machine
        while time.monotonic() < deadline:
            db.session.rollback()  # a new read transaction each time: SQLite reads a snapshot
            first = db.session.get(IntegrityClock, 1).last_scan_at
            if first is not None:
                break
            time.sleep(0.05)
        assert first is not None
    assert client.vote(client.battle()["token"]).status_code == 200
    time.sleep(0.3)
    with app.app_context():
        assert db.session.get(IntegrityClock, 1).last_scan_at == first
        db.session.remove()
        db.engine.dispose()

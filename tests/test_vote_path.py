"""The vote path stays lean: bounded statements, no lazy loads, and what made it lean keeps
its promises (badges missed by none, pairing never serving what is inactive, the SQLite writer
lock always handed back). Counts, not timings: they fail on a structural regression."""

import dataclasses
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

from arena.core import db as units
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.game import badges
from arena.game.rules import default_rules
from arena.models import (
    Battle,
    Community,
    LanguageModel,
    Prompt,
    Response,
    UserBadge,
    VoteVerdict,
)
from arena.voting import battles as voting
from arena.voting import trust
from tests.conftest import api_client_for
from tests.factories import answer_text, cast, make_voter, make_world, serve

# Statements of one serve (battle view included) and one vote, once the voter's and the
# models' rows exist. They were 18 and about 40 before the vote path was made lean; integrity
# (voting/trust.py) adds two to a vote: the daily caps and the voter's standing. On SQLite each
# counts its BEGIN IMMEDIATE.
SERVE_STATEMENTS = 8
VOTE_STATEMENTS = 24
# The API adds authentication (a token with its user, one query) to each request.
API_EXTRA = 1


@contextmanager
def recorded(session):
    """Every SQL statement run in the block, and every ORM load that a lazy relationship or an
    expired attribute triggered."""
    statements, lazy = [], []

    def on_statement(_conn, _cursor, statement, _params, _context, _executemany):
        statements.append(statement)

    def on_orm_execute(state):
        if state.is_relationship_load or state.is_column_load:
            lazy.append(str(state.statement))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(session, "do_orm_execute", on_orm_execute)
    try:
        yield statements, lazy
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(session, "do_orm_execute", on_orm_execute)


def warm_up(session, voter_id: int, rounds: int = 4) -> None:
    """Votes that create the rating, total and streak rows a steady-state vote finds."""
    for number in range(rounds):
        battle = serve(session, voter_id, "general")
        cast(session, voter_id, battle.token, ("a", "b", "tie", "both_bad")[number])


def test_a_serve_and_a_vote_run_few_statements_and_no_lazy_load(any_app, any_world):
    with any_app.app_context():
        voter_id = make_voter(db.session)[0].id
        warm_up(db.session, voter_id)
        session = db.session()
        with recorded(session) as (statements, lazy):
            with unit_of_work(session):
                battle = voting.serve_battle(session, voter_id, "general")
            view = voting.battle_view(battle)
        assert view["token"] and view["responses"]["a"] and lazy == []
        assert len(statements) <= SERVE_STATEMENTS, statements
        with recorded(session) as (statements, lazy), unit_of_work(session):
            outcome = voting.cast_vote(session, voter_id, view["token"], "a")
        assert outcome.models["a"] and lazy == []
        assert len(statements) <= VOTE_STATEMENTS, statements


def test_the_api_adds_only_authentication_to_the_vote_path(app, world):
    client = api_client_for(app)
    for _ in range(4):
        client.vote(client.battle()["token"])
    with app.app_context():
        engine = db.engine
    statements = []

    def on_statement(_conn, _cursor, statement, *_):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        battle = client.battle()
        served, statements[:] = len(statements), []
        assert client.vote(battle["token"]).status_code == 200
        voted = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
    assert served <= SERVE_STATEMENTS + API_EXTRA
    assert voted <= VOTE_STATEMENTS + API_EXTRA


def test_evaluating_only_changed_criteria_misses_no_badge(app):
    """After a history of votes, evaluating every badge of every voter awards nothing more."""
    defaults = default_rules()
    reachable = {  # thresholds this short history reaches
        "ties-25": {"action": "vote_tie", "count": 5},
        "both-bad-25": {"action": "vote_both_bad", "count": 5},
        "streak-7": {"days": 5},
        "agreement-bronze": {"rate": 0.6, "min_votes": 5},
    }
    rules = dataclasses.replace(
        defaults,
        badges=[
            dataclasses.replace(b, params=reachable[b.slug]) if b.slug in reachable else b
            for b in defaults.badges
        ],
    )
    start = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    last_vote = {}
    with app.app_context():
        make_world(db.session, models=3, prompts=2, communities=("general", "daily"))
        voters = [make_voter(db.session, f"voter{n}")[0].id for n in range(6)]
        for step in range(30):  # ties, both-bad and a consensus on every pair of general
            voter, at = voters[step % 5], start + timedelta(days=step // 3, minutes=step)
            battle = serve(db.session, voter, "general")
            sides = [db.session.get(Response, battle.response_a_id).model_id]
            sides.append(db.session.get(Response, battle.response_b_id).model_id)
            lower = "a" if sides[0] < sides[1] else "b"  # three voters agree on the lower id
            choice = (lower, lower, "tie", "both_bad", lower)[step % 5]
            cast(db.session, voter, battle.token, choice, at=at, rules=rules)
            last_vote[voter] = at
        for day in range(6):  # one vote a day: a streak of 5 days and more
            at = start + timedelta(days=day, hours=1)
            battle = serve(db.session, voters[5], "daily")
            cast(db.session, voters[5], battle.token, "a", at=at, rules=rules)
            last_vote[voters[5]] = at
        earned = set(db.session.scalars(select(UserBadge.badge)))
        assert earned >= {"ties-25", "both-bad-25", "streak-7", "agreement-bronze"}
        assert db.session.scalar(select(func.count()).select_from(VoteVerdict)) == 30
        with unit_of_work(db.session):
            late = [
                (award.user_id, award.rule.slug)
                for user_id, at in last_vote.items()
                for award in badges.award_activity_badges(db.session, rules, user_id, None, at)
            ]
        assert late == []


def test_a_model_added_after_serving_began_is_served(app):
    with app.app_context():
        make_world(db.session, models=3, prompts=3, communities=("general",))
        voter, _ = make_voter(db.session)
        serve(db.session, voter.id, "general")  # pairing has read the community once
        newcomer = LanguageModel(slug="newcomer", name="Newcomer")
        db.session.add(newcomer)
        for prompt in db.session.scalars(select(Prompt)):
            db.session.add(Response(prompt=prompt, model=newcomer, text=answer_text(prompt.id)))
        db.session.commit()
        newcomer_id = newcomer.id
        served = set()
        for _ in range(4):
            battle = serve(db.session, voter.id, "general")
            served |= {
                db.session.get(Response, battle.response_a_id).model_id,
                db.session.get(Response, battle.response_b_id).model_id,
            }
        assert newcomer_id in served  # the least served model: never served before


def test_pairing_never_serves_a_prompt_deactivated_since_it_last_looked(app):
    """Withdraw one prompt and let another join the queue: the counts pairing watches stay the
    same, yet the withdrawn prompt is never served."""
    with app.app_context():
        make_world(db.session, models=3, prompts=4, communities=("general",))
        voter, _ = make_voter(db.session)
        first, second, *_ = db.session.scalars(select(Prompt.id).order_by(Prompt.id)).all()
        db.session.execute(update(Prompt).where(Prompt.id == second).values(is_active=False))
        db.session.commit()
        serve(db.session, voter.id, "general")
        db.session.execute(update(Prompt).where(Prompt.id == first).values(is_active=False))
        db.session.execute(update(Prompt).where(Prompt.id == second).values(is_active=True))
        db.session.commit()
        prompts = {serve(db.session, voter.id, "general").prompt_id for _ in range(12)}
        assert first not in prompts
        assert prompts  # something else was served


def test_a_failed_unit_of_work_hands_the_sqlite_writer_lock_back(app, world, monkeypatch):
    monkeypatch.setattr(units, "WRITE_LOCK_TIMEOUT", 2.0)
    with app.app_context(), pytest.raises(RuntimeError, match="boom"), unit_of_work(db.session):
        db.session.execute(update(Community).values(description="changed"))
        raise RuntimeError("boom")
    failures = []

    def other_writer():
        try:
            with app.app_context(), unit_of_work(db.session):
                db.session.execute(select(Battle.id)).all()
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)

    thread = threading.Thread(target=other_writer)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and failures == []
    with app.app_context():
        assert "changed" not in db.session.scalars(select(Community.description)).all()


# Run in another process: can it take the writer lock of the database at this path now?
LOCK_PROBE = """
import fcntl, sys
with open(sys.argv[1], "a+b") as file:
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("locked")
    else:
        print("free")
"""


def test_writers_in_other_processes_wait_their_turn_on_the_lock_file(app, world):
    """While a unit of work is open here, a writer in another process (a second gunicorn worker)
    finds the database's writer lock taken, and queues on it instead of polling in SQLite's
    busy handler; the lock is free again after the commit."""

    def probe(path: str) -> str:
        reply = subprocess.run(
            [sys.executable, "-c", LOCK_PROBE, path], capture_output=True, text=True, timeout=30
        )
        return reply.stdout.strip()

    with app.app_context():
        path = db.engine.url.database + units.WRITER_LOCK_SUFFIX
        with unit_of_work(db.session):
            db.session.execute(update(Community).values(description="being written"))
            assert probe(path) == "locked"
        assert probe(path) == "free"


def test_sqlite_reads_hold_no_transaction_and_a_write_begins_where_they_ran(app, world):
    """Reads run in autocommit mode (each sees the latest commit, as on PostgreSQL), so the
    request's authentication read costs no BEGIN and no COMMIT, and its write transaction
    starts on the same connection."""
    with app.app_context():
        session = db.session()
        with recorded(session) as (statements, _):
            session.execute(select(Community.id)).all()
            connection = session.connection().connection.dbapi_connection
            assert not connection.in_transaction
            with unit_of_work(session):
                assert session.connection().connection.dbapi_connection is connection
                assert connection.in_transaction
                session.execute(update(Community).values(description="written"))
        begins = [s for s in statements if s.split()[0].upper() in ("BEGIN", "COMMIT")]
        assert begins == ["BEGIN IMMEDIATE"]
        assert "written" in db.session.scalars(select(Community.description)).all()


def test_a_sqlite_write_outside_a_unit_of_work_still_waits_for_the_commit(app, world):
    """A write outside `begin_write` (a fixture, a script) opens a transaction instead of
    committing at once in autocommit mode: a rollback still undoes it."""
    with app.app_context():
        db.session.execute(select(Community.id)).all()
        db.session.execute(update(Community).values(description="never committed"))
        db.session.rollback()
        assert "never committed" not in db.session.scalars(select(Community.description)).all()


@pytest.mark.parametrize(
    ("statement", "index"),
    [
        (trust._VOTES_TODAY, "ix_votes_voter_id_created_at"),
        (voting._JUDGED_PAIRS, "ix_votes_voter_id_prompt_id"),
    ],
)
def test_a_votes_reads_of_its_voters_history_are_index_ranges(app, statement, index):
    """The daily caps and the already-judged check read a range of an index, not every vote
    the voter ever cast (a long-standing voter's votes would otherwise slow each new one)."""
    params = {"voter_id": 1, "since": "2026-01-01 00:00:00", "community_id": 1, "prompt_id": 1}
    with app.app_context():
        compiled = statement.compile(db.engine)
        values = tuple({**compiled.params, **params}[name] for name in compiled.positiontup)
        explained = db.session.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", values
        )
        plan = " ".join(row[-1] for row in explained)
    assert f"INDEX {index} (voter_id=? AND" in plan, plan

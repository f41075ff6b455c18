"""Vote integrity: provenance, probation and known-answer checks, caps, skips, the share cap,
consensus from counted votes only. Runs on SQLite and PostgreSQL with the shipped rules
(seeds/integrity.json), varied per test."""

import dataclasses

import pytest
from sqlalchemy import func, select

from arena.core.db import unit_of_work
from arena.core.errors import Conflict, NotFound, TooManyVotes
from arena.extensions import db
from arena.game.rules import default_rules
from arena.models import (
    Battle,
    PointEvent,
    Prompt,
    Rating,
    Response,
    Vote,
    VoterStanding,
    VoterWeight,
    VoteVerdict,
)
from arena.voting import battles as voting
from arena.voting import boards, checks, share_cap, tallies, trust
from arena.voting.selection import BoardKey
from tests.conftest import ApiClient, api_client_for, build_app, csrf_token, sign_up
from tests.factories import make_voter

SHIPPED = trust.load_policy(trust.DEFAULT_FILE)


@pytest.fixture(autouse=True)
def fresh_checks():
    checks.clear_cache()
    yield
    checks.clear_cache()


@pytest.fixture
def ids(any_app, any_world):
    """The world's ids, inside the app's context."""
    with any_app.app_context():
        yield any_world


def policy(**changes) -> trust.Policy:
    return dataclasses.replace(SHIPPED, **changes)


def import_votes(session, ids, winner_index=0, loser_index=1, per_prompt=3, prompts=6):
    """Unanimous imported votes: model `winner_index` beat `loser_index` on general prompts."""
    winner, loser = ids["models"][winner_index][0], ids["models"][loser_index][0]
    general = ids["prompts"][:prompts]  # make_world makes the general community's first
    for prompt_id in general:
        community_id = session.get(Prompt, prompt_id).community_id
        for number in range(per_prompt):
            session.add(
                Vote(
                    community_id=community_id,
                    prompt_id=prompt_id,
                    model_a_id=winner,
                    model_b_id=loser,
                    choice="a",
                    origin="import:test",
                    external_id=f"imported:{prompt_id}:{number}",
                )
            )
    session.commit()
    return general


def serve(session, voter_id, rules, community=None):
    with unit_of_work(session):
        battle = voting.serve_battle(session, voter_id, community, policy=rules)
    return battle


def cast(session, voter_id, token, choice, rules):
    with unit_of_work(session):
        return voting.cast_vote(session, voter_id, token, choice, policy=rules)


def right_answer(battle: Battle) -> str:
    return battle.expected


def wrong_answer(battle: Battle) -> str:
    return "b" if battle.expected == "a" else "a"


def standing_of(session, user_id) -> VoterStanding:
    return session.get(VoterStanding, user_id)


def test_provenance_follows_where_the_answers_come_from():
    assert trust.provenance("shared_chat") == ("private", "claimed")
    assert trust.provenance("custom") == ("private", "generated")
    assert trust.provenance("seed:vicuna80") == ("public", "benchmark")


def test_probation_votes_are_recorded_but_count_only_after_votes_and_checks(ids):
    session = db.session
    import_votes(session, ids)
    rules = policy(
        probation_votes=2, probation_checks=1, check_share_in_probation=1.0, check_share_after=0
    )
    voter, _ = make_voter(session, "newcomer")
    first = serve(session, voter.id, rules)
    assert first.expected in ("a", "b")  # a known-answer check, served blind
    cast(session, voter.id, first.token, right_answer(first), rules)
    everything = boards.pair_counts(session, BoardKey(trust="all"))
    assert everything.total - boards.pair_counts(session, BoardKey()).total == 1
    second = serve(session, voter.id, rules)
    cast(session, voter.id, second.token, right_answer(second), rules)
    assert session.scalar(select(func.count()).select_from(Rating)) == 0
    trusts = session.scalars(select(Vote.voter_trust).where(Vote.voter_id == voter.id)).all()
    assert trusts == ["probation", "probation"]
    assert standing_of(session, voter.id).state == "counted"

    third = serve(session, voter.id, rules)
    cast(session, voter.id, third.token, "tie", rules)
    counted = session.scalar(select(Vote.voter_trust).where(Vote.battle_id == third.id))
    assert counted == "counted"
    assert session.scalar(select(func.count()).select_from(Rating)) > 0
    # Counted now: the probation votes count on the published board too (not in TrueSkill).
    published = boards.pair_counts(session, BoardKey())
    assert published.total == boards.pair_counts(session, BoardKey(trust="all")).total


def test_failing_checks_excludes_an_account(ids):
    session = db.session
    import_votes(session, ids)
    rules = policy(probation_votes=100, check_share_in_probation=1.0, min_checks=3)
    voter, _ = make_voter(session, "guesser")
    for _ in range(3):
        battle = serve(session, voter.id, rules)
        assert battle.expected is not None
        cast(session, voter.id, battle.token, wrong_answer(battle), rules)
    standing = standing_of(session, voter.id)
    assert (standing.checks_failed, standing.state) == (3, "excluded")
    after = serve(session, voter.id, rules)
    cast(session, voter.id, after.token, "tie", rules)
    assert session.scalar(select(Vote.voter_trust).where(Vote.battle_id == after.id)) == "excluded"
    everything = boards.pair_counts(session, BoardKey(trust="all"))
    assert everything.total - boards.pair_counts(session, BoardKey()).total == 4  # none counts


def test_a_rebuild_derives_trust_and_standings_again(ids):
    session = db.session
    import_votes(session, ids)
    rules = policy(
        probation_votes=2, probation_checks=1, check_share_in_probation=1.0, check_share_after=0
    )
    voter, _ = make_voter(session, "steady")
    for _ in range(4):
        battle = serve(session, voter.id, rules)
        cast(session, voter.id, battle.token, battle.expected or "a", rules)
    recorded = session.scalars(select(Vote.voter_trust).order_by(Vote.id)).all()
    counts = standing_of(session, voter.id)
    before = (counts.votes, counts.checks_passed, counts.checks_failed, counts.state)
    with unit_of_work(session):
        live = Vote.__table__.c.voter_id.isnot(None)
        session.execute(Vote.__table__.update().where(live).values(voter_trust="excluded"))
        session.execute(VoterStanding.__table__.delete())
    with unit_of_work(session):
        trust.rebuild_standings(session, rules)
    session.expire_all()
    assert session.scalars(select(Vote.voter_trust).order_by(Vote.id)).all() == recorded
    counts = standing_of(session, voter.id)
    assert (counts.votes, counts.checks_passed, counts.checks_failed, counts.state) == before
    with unit_of_work(session):  # stricter rules apply to the whole log
        trust.rebuild_standings(session, dataclasses.replace(rules, probation_votes=10))
    assert standing_of(session, voter.id).state == "probation"


def test_daily_caps_refuse_the_vote_and_record_nothing(any_app, ids, monkeypatch):
    session = db.session
    rules = policy(probation_votes=0, probation_checks=0, votes_per_day=2)
    voter, token = make_voter(session, "eager")
    for _ in range(2):
        battle = serve(session, voter.id, rules)
        cast(session, voter.id, battle.token, "a", rules)
    third = serve(session, voter.id, rules)
    with pytest.raises(TooManyVotes):
        cast(session, voter.id, third.token, "a", rules)
    session.expire_all()
    assert session.get(Battle, third.id).status == "open"
    assert session.scalar(select(func.count()).select_from(Vote)) == 2

    per_community = policy(probation_votes=0, probation_checks=0, votes_per_day_per_community=2)
    monkeypatch.setattr(trust, "default_policy", lambda: per_community)
    client = ApiClient(any_app.test_client(), token)
    refused = client.post(f"/api/v1/battles/{third.token}/vote", json={"choice": "a"})
    assert refused.status_code == 429 and "community" in refused.get_json()["error"]
    other = serve(session, voter.id, per_community, "coding")
    allowed = client.post(f"/api/v1/battles/{other.token}/vote", json={"choice": "a"})
    assert allowed.status_code == 200, allowed.get_json()


def test_skips_are_recorded_and_free(any_app, ids):
    session = db.session
    client = api_client_for(any_app, "skipper")
    battle = client.post("/api/v1/battles", json={}).get_json()
    reply = client.post(f"/api/v1/battles/{battle['token']}/skip")
    assert reply.status_code == 200 and reply.get_json()["status"] == "skipped"
    row = session.scalar(select(Battle).where(Battle.token == battle["token"]))
    assert row.status == "skipped" and row.skipped_at is not None
    assert client.post(f"/api/v1/battles/{battle['token']}/skip").status_code == 409
    vote = client.post(f"/api/v1/battles/{battle['token']}/vote", json={"choice": "a"})
    assert vote.status_code == 409, vote.get_json()
    assert session.scalar(select(func.count()).select_from(PointEvent)) == 0
    stranger = api_client_for(any_app, "stranger")
    mine = client.post("/api/v1/battles", json={}).get_json()["token"]
    assert stranger.post(f"/api/v1/battles/{mine}/skip").status_code == 404
    with pytest.raises(NotFound), unit_of_work(session):
        voting.skip_battle(session, row.voter_id + 1000, mine)


def test_the_skip_button_records_a_skip_and_serves_the_next_battle(app, browser_client):
    page = browser_client.get("/arena").get_data(as_text=True)
    assert 'data-key="s"' in page and "/skip" in page
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    with app.app_context():
        token = db.session.scalar(select(Battle.token).where(Battle.status == "open"))
    reply = browser_client.post(f"/arena/{token}/skip", data={"csrf_token": csrf})
    assert reply.status_code == 302 and "/arena" in reply.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(Battle.status).where(Battle.token == token)) == "skipped"
        with pytest.raises(Conflict), unit_of_work(db.session):
            voting.skip_battle(db.session, 1, token)


def test_the_share_cap_scales_one_accounts_votes_down():
    # Voter 7 cast 40 of model 1's 100 votes, all for it; the cap is 10 %.
    cells = [(7, 1, 2, "a", 40), (8, 1, 2, "b", 10)]
    removed = share_cap.excess(cells, {1: 100, 2: 100}, share=0.1, min_model_votes=50)
    assert removed[(1, 2)].tolist() == pytest.approx([30.0, 0.0, 0.0])
    assert share_cap.excess(cells, {1: 40, 2: 40}, share=0.1, min_model_votes=50) == {}


def test_a_bloc_account_is_held_to_the_share_cap_on_the_published_board(ids, monkeypatch):
    session = db.session
    rules = policy(probation_votes=0, probation_checks=0, share_cap=0.1, share_cap_min_votes=3)
    monkeypatch.setattr(trust, "default_policy", lambda: rules)
    fan, _ = make_voter(session, "fan")
    for _ in range(12):
        battle = serve(session, fan.id, rules)
        cast(session, fan.id, battle.token, "a", rules)
    uncapped = boards.pair_counts(session, BoardKey(trust="all"))
    capped = boards.pair_counts(session, BoardKey())
    assert uncapped.total == 12
    assert capped.total < uncapped.total


def test_consensus_ignores_imported_votes(ids):
    session = db.session
    import_votes(session, ids, per_prompt=6)  # far past the consensus minimum
    rules = policy(probation_votes=0, probation_checks=0, check_share_in_probation=0.0)
    voter, _ = make_voter(session, "copier")
    for _ in range(6):
        battle = serve(session, voter.id, rules)
        cast(session, voter.id, battle.token, "a", rules)
    assert session.scalar(select(func.count()).select_from(VoteVerdict)) == 0


def test_public_answers_earn_only_the_base_point(ids):
    session = db.session
    for base_only, paid in ((True, 0), (False, 1)):
        rules = policy(
            probation_votes=0,
            probation_checks=0,
            check_share_in_probation=0.0,
            public_points_base_only=base_only,
        )
        agreeing = _crowd_on_one_pair(session, ids, rules, f"crowd{int(base_only)}")
        bonuses = session.scalar(
            select(func.count())
            .select_from(PointEvent)
            .where(PointEvent.reason == "vote_agrees", PointEvent.user_id.in_(agreeing))
        )
        assert (bonuses > 0) == bool(paid)


def _crowd_on_one_pair(session, ids, rules, prefix) -> list[int]:
    """Enough counted voters judge the same prompt and pair alike for a consensus."""
    prompt = session.get(Prompt, ids["prompts"][0])
    first, second = ids["models"][0][0], ids["models"][1][0]
    query = select(Response.model_id, Response.id).where(Response.prompt_id == prompt.id)
    answers = dict(session.execute(query).tuples().all())
    voters = []
    for number in range(default_rules().consensus_min_votes):
        voter, _ = make_voter(session, f"{prefix}{number}")
        with unit_of_work(session):
            battle = Battle(
                token=f"{prefix}-{number}",
                voter_id=voter.id,
                community_id=prompt.community_id,
                prompt_id=prompt.id,
                response_a_id=answers[first],
                response_b_id=answers[second],
            )
            session.add(battle)
        cast(session, voter.id, battle.token, "a", rules)
        voters.append(voter.id)
    return voters


def test_page_votes_are_limited_per_account_not_per_address(tmp_path):
    app = build_app(tmp_path, RATELIMIT_ENABLED=True)
    eager, patient = app.test_client(), app.test_client()
    assert sign_up(eager, "eager").status_code == 302
    assert sign_up(patient, "patient").status_code == 302
    csrf = csrf_token(eager, "/")
    replies = [
        eager.post("/arena/no-such-battle/vote", data={"csrf_token": csrf, "choice": "a"})
        for _ in range(121)
    ]
    assert {r.status_code for r in replies[:120]} == {404} and replies[-1].status_code == 429
    other = patient.post(
        "/arena/no-such-battle/vote", data={"csrf_token": csrf_token(patient, "/"), "choice": "a"}
    )
    assert other.status_code == 404  # the same address, another account: still allowed
    with app.app_context():
        db.engine.dispose()


def test_the_leaderboard_page_takes_the_provenance_filters(any_app, ids):
    client = any_app.test_client()
    page = client.get("/leaderboard?trust=all&exposure=public").get_data(as_text=True)
    assert 'data-trust="all"' in page and 'data-exposure="public"' in page
    assert 'Filtered: <span translate="no">trust all, exposure public</span>' in page
    assert client.get("/leaderboard?trust=everyone").status_code == 400


def test_the_result_page_tells_a_new_voter_their_votes_count_after_probation(
    app, browser_client, monkeypatch
):
    monkeypatch.setattr(trust, "default_policy", lambda: SHIPPED)
    page = browser_client.get("/arena").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    with app.app_context():
        token = db.session.scalar(select(Battle.token).where(Battle.status == "open"))
    voted = browser_client.post(f"/arena/{token}/vote", data={"csrf_token": csrf, "choice": "a"})
    result = browser_client.get(voted.headers["Location"]).get_data(as_text=True)
    left = SHIPPED.probation_votes - 1
    assert 'id="probation"' in result and f"{left} more votes" in result
    monkeypatch.setattr(
        trust, "default_policy", lambda: policy(probation_votes=0, probation_checks=0)
    )
    assert 'id="probation"' not in browser_client.get(voted.headers["Location"]).get_data(
        as_text=True
    )


def test_share_cap_and_scan_weights_never_take_a_vote_off_twice(any_app, ids, monkeypatch):
    # One account split 30/30 on a pair; another, excluded by a scan (weight 0), cast 20 votes
    # for one side. Capping what the weight already took off drove counts negative once.
    session = db.session
    rules = policy(share_cap=0.1, share_cap_min_votes=10)
    monkeypatch.setattr(trust, "default_policy", lambda: rules)
    first, second = ids["models"][0][0], ids["models"][1][0]
    prompt = session.get(Prompt, ids["prompts"][0])
    busy, _ = make_voter(session, "busy")
    excluded, _ = make_voter(session, "excluded")
    votes = [(busy.id, "a")] * 30 + [(busy.id, "b")] * 30 + [(excluded.id, "a")] * 20
    with unit_of_work(session):
        for voter_id, choice in votes:
            session.add(
                Vote(
                    voter_id=voter_id,
                    community_id=prompt.community_id,
                    prompt_id=prompt.id,
                    model_a_id=first,
                    model_b_id=second,
                    choice=choice,
                    origin="arena",
                    voter_trust="counted",
                )
            )
        session.add(VoterWeight(voter_id=excluded.id, community_id=prompt.community_id, weight=0))
        session.flush()
        tallies.rebuild(session)
    counts = boards.pair_counts(session, BoardKey())
    cells = [*counts.wins, *counts.losses, *counts.ties]
    assert min(cells) >= 0 and counts.total == pytest.approx(6.0)  # busy held to 10 % of 60

"""Flags on a battle: the API contract, the no-script form on the battle and reveal pages, and
that flagging names no model and leaves the battle votable."""

import re

import pytest
from sqlalchemy import func, select

from arena.core.db import unit_of_work
from arena.extensions import db
from arena.game import points
from arena.models import Battle, ContentFlag, PointEvent, User
from tests.conftest import api_client_for, csrf_token, sign_up
from tests.test_blindness import identities  # noqa: F401 - the fixture of the blindness test

FLAGGING_POINTS = 15  # seeds/gamification/ranks.json: flag_content


def give_points(app, username: str, amount: int = FLAGGING_POINTS) -> int:
    """Points as if earned, so the person holds the privileges up to that total."""
    with app.app_context(), unit_of_work(db.session):
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        grants = db.session.scalar(select(func.count()).where(PointEvent.reason == "test_grant"))
        db.session.add(
            PointEvent(
                user_id=user_id,
                amount=amount,
                reason="test_grant",
                board="contributors",
                ref_type="test",
                ref_id=grants + 1,
            )
        )
        points.rebuild_totals(db.session)
    return user_id


def stored_flags(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(ContentFlag.side, ContentFlag.reason, ContentFlag.note, ContentFlag.status)
        ).all()


def flag(api, token, side="a", reason="wrong", note=None):
    body = {"side": side, "reason": reason} | ({"note": note} if note is not None else {})
    return api.post(f"/api/v1/battles/{token}/flag", json=body)


@pytest.fixture
def flagger(app, world):
    api = api_client_for(app, "flagger")
    give_points(app, "flagger")
    return api


@pytest.fixture
def any_flagger(any_app, any_world):
    api = api_client_for(any_app, "flagger")
    give_points(any_app, "flagger")
    return api


def test_a_flag_is_filed_before_the_vote_and_the_battle_stays_votable(any_app, any_flagger):
    token = any_flagger.battle()["token"]
    reply = flag(any_flagger, token, "a", "reveals_model", "It says which lab trained it.")
    assert reply.status_code == 201
    filed = reply.get_json()
    assert set(filed) == {"id", "status", "side", "reason"}
    assert filed["status"] == "open" and filed["side"] == "a"
    assert filed["reason"] == "reveals_model" and isinstance(filed["id"], int)

    assert flag(any_flagger, token, "prompt", "spam").status_code == 201
    voted = any_flagger.vote(token, "b")
    assert voted.status_code == 200, voted.get_json()
    # From the reveal, the side not flagged yet.
    assert flag(any_flagger, token, "b", "biased").status_code == 201
    assert sorted(row[:2] for row in stored_flags(any_app)) == [
        ("a", "reveals_model"),
        ("b", "biased"),
        ("prompt", "spam"),
    ]


def test_a_flagged_battle_can_still_be_skipped(flagger):
    token = flagger.battle()["token"]
    assert flag(flagger, token, "prompt", "harmful").status_code == 201
    skipped = flagger.post(f"/api/v1/battles/{token}/skip")
    assert skipped.status_code == 200 and skipped.get_json()["status"] == "skipped"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"side": "c", "reason": "wrong"}, "side"),
        ({"side": "answer", "reason": "wrong"}, "side"),
        ({"reason": "wrong"}, "side"),
        ({"side": "a", "reason": "rude"}, "reason"),
        ({"side": "a"}, "reason"),
        ({"side": "a", "reason": "wrong", "note": "x" * 1001}, "note"),
    ],
)
def test_a_bad_side_reason_or_note_is_a_400_naming_it(app, flagger, body, field):
    token = flagger.battle()["token"]
    reply = flagger.post(f"/api/v1/battles/{token}/flag", json=body)
    assert reply.status_code == 400
    assert field in reply.get_json()["error"]
    assert stored_flags(app) == []


def test_without_the_privilege_the_403_says_what_unlocks_it(app, world):
    newcomer = api_client_for(app, "newcomer")
    give_points(app, "newcomer", FLAGGING_POINTS - 1)
    token = newcomer.battle()["token"]
    reply = flag(newcomer, token)
    assert reply.status_code == 403
    assert reply.get_json() == {
        "error": f"Flag content for review unlocks at 15 points; you have {FLAGGING_POINTS - 1}.",
        "status": 403,
    }
    assert stored_flags(app) == []
    give_points(app, "newcomer", 1)  # now at the threshold
    assert flag(newcomer, token).status_code == 201


def test_someone_elses_battle_is_a_404_as_for_votes(app, flagger):
    other = api_client_for(app, "other")
    token = other.battle()["token"]
    reply = flag(flagger, token)
    assert reply.status_code == 404
    assert reply.get_json()["error"] == other.vote("no-such-token").get_json()["error"]
    assert flag(flagger, "no-such-token").status_code == 404
    assert stored_flags(app) == []


def test_flagging_the_same_side_twice_is_a_409(app, flagger):
    token = flagger.battle()["token"]
    assert flag(flagger, token, "a", "wrong").status_code == 201
    again = flag(flagger, token, "a", "biased")
    assert again.status_code == 409
    assert again.get_json()["error"] == "You flagged this answer already; the moderators have it."
    assert flag(flagger, token, "b", "wrong").status_code == 201
    assert len(stored_flags(app)) == 2


def test_the_note_is_scrubbed_of_personal_data(app, flagger):
    token = flagger.battle()["token"]
    note = "Wrong: mail me at jane.doe@posteo.de or call +44 7911 123456 about it."
    assert flag(flagger, token, "a", "wrong", note).status_code == 201
    (_, _, stored, _), *_ = stored_flags(app)
    assert stored == "Wrong: mail me at [EMAIL] or call [PHONE] about it."


def test_no_model_identity_in_the_flag_reply_or_pages_before_the_vote(app, identities):  # noqa: F811
    api = api_client_for(app, "flagger")
    give_points(app, "flagger")
    token = api.battle()["token"]
    reply = flag(api, token, "a", "reveals_model", "Claims to be some model.")
    identities.assert_hidden(reply.get_data(as_text=True), "the flag reply")
    client = app.test_client()
    assert sign_up(client, "pageflagger").status_code == 302
    give_points(app, "pageflagger")
    page = client.get("/arena").get_data(as_text=True)
    assert 'id="flag-form"' in page
    identities.assert_hidden(page, "the battle page with its flag form")
    page_token = re.search(r'action="/arena/([\w-]+)/vote"', page).group(1)
    sent = client.post(
        f"/arena/{page_token}/flag",
        data={"side": "b", "reason": "wrong", "csrf_token": csrf_token(client, "/arena")},
        follow_redirects=True,
    )
    assert "Flag sent to the moderators" in sent.get_data(as_text=True)
    identities.assert_hidden(sent.get_data(as_text=True), "the battle page after a flag")


def test_the_battle_page_form_works_without_scripts(app, world):
    client = app.test_client()
    assert sign_up(client, "alice").status_code == 302
    give_points(app, "alice")
    page = client.get("/arena").get_data(as_text=True)
    assert 'id="flag-form"' in page and "<select" in page
    with app.app_context():
        token = db.session.scalar(select(Battle.token))
    sent = client.post(
        f"/arena/{token}/flag",
        data={"side": "prompt", "reason": "spam", "note": "", "csrf_token": csrf_token(client)},
    )
    assert sent.status_code == 302 and sent.location == f"/arena/battles/{token}"
    back = client.get(sent.location).get_data(as_text=True)
    assert "Flag sent to the moderators" in back and "you flagged the prompt" in back
    assert '<option value="prompt" disabled>' in back
    # The battle is still open: the vote goes through and its reveal offers the form again.
    voted = client.post(
        f"/arena/{token}/vote", data={"choice": "a", "csrf_token": csrf_token(client)}
    )
    assert voted.status_code == 302
    reveal = client.get(voted.location).get_data(as_text=True)
    assert 'id="flag-form"' in reveal
    sent = client.post(
        f"/arena/{token}/flag",
        data={"side": "a", "reason": "wrong", "csrf_token": csrf_token(client)},
    )
    assert sent.location == f"/arena/{token}/result"
    twice = client.post(
        f"/arena/{token}/flag",
        data={"side": "a", "reason": "wrong", "csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert "You flagged this answer already" in twice.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ContentFlag.id))) == 2


def test_without_the_privilege_the_page_says_what_unlocks_it(app, world):
    client = app.test_client()
    assert sign_up(client, "bob").status_code == 302
    page = client.get("/arena").get_data(as_text=True)
    assert 'id="flag-form"' not in page
    assert "Flag content for review unlocks at 15 points; you have 0." in page
    with app.app_context():
        token = db.session.scalar(select(Battle.token))
    refused = client.post(
        f"/arena/{token}/flag",
        data={"side": "a", "reason": "wrong", "csrf_token": csrf_token(client)},
    )
    assert refused.status_code == 403
    assert "unlocks at 15 points" in refused.get_data(as_text=True)
    assert stored_flags(app) == []

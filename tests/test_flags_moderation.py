"""Moderating flags: who sees a community's queue, what remove, redact and dismiss do to the
arena and to the flaggers' points, and the outcome each flagger sees on their profile."""

import json
import secrets

import pytest
from sqlalchemy import select

from arena.auditing.flags import removed_prompt_ids
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import (
    Battle,
    Community,
    CommunityRole,
    ContentFlag,
    PointEvent,
    Prompt,
    Response,
    User,
)
from arena.models.chats import SharedChat, SharedMessage
from arena.voting import battles as voting
from tests.chat_exports import export, two_model_chat
from tests.conftest import api_client_for, csrf_token, sign_up
from tests.factories import accept_shared_chats, serve
from tests.test_flags import give_points

QUEUE = "/communities/general/flags"


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def battle_on(app, username: str, prompt_id: int) -> str:
    """A battle of this person's on the prompt's first two answers (pairing would draw them)."""
    with app.app_context(), unit_of_work(db.session):
        prompt = db.session.get(Prompt, prompt_id)
        answers = db.session.scalars(
            select(Response.id).where(Response.prompt_id == prompt_id).order_by(Response.id)
        ).all()
        token = secrets.token_urlsafe(32)
        db.session.add(
            Battle(
                token=token,
                voter_id=user_id(app, username),
                community_id=prompt.community_id,
                prompt_id=prompt_id,
                response_a_id=answers[0],
                response_b_id=answers[1],
            )
        )
    return token


def flagger(app, username: str):
    api = api_client_for(app, username)
    give_points(app, username)
    return api


def flag(api, token, side="a", reason="wrong", note=""):
    reply = api.post(
        f"/api/v1/battles/{token}/flag", json={"side": side, "reason": reason, "note": note}
    )
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()["id"]


def browser(app, username: str, role: str | None = None, community="general", admin=False):
    client = app.test_client()
    assert sign_up(client, username).status_code == 302
    with app.app_context(), unit_of_work(db.session):
        user = db.session.scalar(select(User).where(User.username == username))
        user.role = "admin" if admin else user.role
        if role:
            where = db.session.scalar(select(Community.id).where(Community.slug == community))
            db.session.add(CommunityRole(community_id=where, user_id=user.id, role=role))
    return client


def decide(client, flag_id, action, slug="general", **fields):
    data = {
        "action": action,
        "csrf_token": csrf_token(client, f"/communities/{slug}/flags"),
        **fields,
    }
    return client.post(f"/communities/{slug}/flags/{flag_id}", data=data)


def flag_row(app, flag_id):
    with app.app_context():
        found = db.session.get(ContentFlag, flag_id)
        db.session.expunge(found)
        return found


def ledger(app, reason: str) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(PointEvent.user_id, PointEvent.amount, PointEvent.ref_type, PointEvent.ref_id)
            .where(PointEvent.reason == reason)
            .order_by(PointEvent.id)
        ).all()


def first_prompt(app, slug="general") -> int:
    with app.app_context():
        return db.session.scalar(
            select(Prompt.id).join(Community).where(Community.slug == slug).order_by(Prompt.id)
        )


@pytest.fixture
def general_prompt(app, world):
    return first_prompt(app)


def test_the_queue_is_for_the_communitys_moderators_and_admins(app, world, general_prompt):
    api = flagger(app, "zebulon")
    flag(
        api,
        battle_on(app, "zebulon", general_prompt),
        "a",
        "harmful",
        "Tells people to mix bleach.",
    )
    anonymous = app.test_client().get(QUEUE)
    assert anonymous.status_code == 302 and "/signup" in anonymous.location
    contributor = browser(app, "carol")
    refused = contributor.get(QUEUE)
    assert refused.status_code == 403
    assert "Only moderators of General (and site admins) may do this." in refused.get_data(
        as_text=True
    )
    elsewhere = browser(app, "dave", role="moderator", community="coding")
    assert elsewhere.get(QUEUE).status_code == 403
    assert elsewhere.get("/communities/coding/flags").status_code == 200
    assert browser(app, "auditor", role="auditor").get(QUEUE).status_code == 403
    for client in (browser(app, "mod", role="moderator"), browser(app, "root", admin=True)):
        page = client.get(QUEUE)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Harmful or unsafe" in html and "Tells people to mix bleach." in html
        assert "Answer from a contestant to question 0." in html
        assert "zebulon" not in html  # moderators judge the content, not who flagged it
    assert browser(app, "admin2", admin=True).get("/communities/nowhere/flags").status_code == 404


def test_only_moderators_resolve_and_a_refusal_changes_nothing(app, world, general_prompt):
    api = flagger(app, "flagger")
    flag_id = flag(api, battle_on(app, "flagger", general_prompt))
    contributor = browser(app, "carol")
    token = csrf_token(contributor, "/profile")
    refused = contributor.post(f"{QUEUE}/{flag_id}", data={"action": "remove", "csrf_token": token})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(Prompt, general_prompt).is_active
    assert flag_row(app, flag_id).status == "open"
    moderator = browser(app, "mod", role="moderator", community="coding")
    assert decide(moderator, flag_id, "remove", slug="coding").status_code == 404  # not theirs
    assert decide(browser(app, "mod2", role="moderator"), flag_id, "burn").status_code == 400
    assert flag_row(app, flag_id).status == "open"


def test_remove_takes_the_pair_out_of_the_arena_and_upholds_every_flag_on_it(any_app, any_world):
    app, general_prompt = any_app, first_prompt(any_app)
    first, second = flagger(app, "first"), flagger(app, "second")
    ids = [
        flag(first, battle_on(app, "first", general_prompt), "a", "harmful"),
        flag(second, battle_on(app, "second", general_prompt), "a", "wrong"),
    ]
    other_side = flag(second, battle_on(app, "second", general_prompt), "b", "biased")
    moderator = browser(app, "mod", role="moderator")
    done = decide(moderator, ids[0], "remove")
    assert done.status_code == 302 and done.location == QUEUE
    for flag_id in ids:
        row = flag_row(app, flag_id)
        assert (row.status, row.resolution, row.resolved_by_id) == (
            "upheld",
            "remove",
            user_id(app, "mod"),
        )
    assert flag_row(app, other_side).status == "open"  # another text: still the moderators' call
    assert ledger(app, "flag_upheld") == [
        (user_id(app, "first"), 2, "flag", ids[0]),
        (user_id(app, "second"), 2, "flag", ids[1]),
    ]
    assert decide(moderator, ids[1], "remove").status_code == 409
    assert len(ledger(app, "flag_upheld")) == 2
    with app.app_context():
        assert not db.session.get(Prompt, general_prompt).is_active
        voter = api_client_for(app, "voter")
        served = set()
        for _ in range(30):  # every pair of the five other prompts, and more
            battle = serve(db.session, user_id(app, "voter"), "general")
            served.add(battle.prompt_id)
        assert general_prompt not in served and len(served) == 5
    assert voter.battle("general")["prompt"] != "Question 0 for general: explain `recursion`."


def test_redact_stores_the_corrected_text_scrubbed_and_keeps_it_in_the_arena(
    app, world, general_prompt
):
    api = flagger(app, "flagger")
    token = battle_on(app, "flagger", general_prompt)
    answer_flag = flag(api, token, "b", "personal_data")
    prompt_flag = flag(api, token, "prompt", "personal_data")
    moderator = browser(app, "mod", role="moderator")
    empty = decide(moderator, answer_flag, "redact", text="  ")
    assert empty.status_code == 400 and flag_row(app, answer_flag).status == "open"
    corrected = "Ask Jane at jane.doe@posteo.de or on +44 7911 123456."
    assert decide(moderator, answer_flag, "redact", text=corrected).status_code == 302
    assert (
        decide(
            moderator, prompt_flag, "redact", text="Explain recursion, says jane.doe@posteo.de"
        ).status_code
        == 302
    )
    with app.app_context():
        battle = db.session.scalar(select(Battle).where(Battle.token == token))
        assert battle.response_b.text == "Ask Jane at [EMAIL] or on [PHONE]."
        assert battle.response_a.text.startswith("Answer from a contestant")
        assert battle.prompt.text == "Explain recursion, says [EMAIL]"
        assert battle.prompt.is_active
    assert (flag_row(app, answer_flag).status, flag_row(app, answer_flag).resolution) == (
        "upheld",
        "redact",
    )
    assert [row[1] for row in ledger(app, "flag_upheld")] == [2, 2]


def test_redact_corrects_the_shared_chats_copy_too(app, world):
    sharer = api_client_for(app, "sharer")
    chats = json.loads(export(two_model_chat()))
    shared = {"community": "coding", "licence": "CC0-1.0", "chats": chats}
    assert sharer.post("/api/v1/chats", json=shared).status_code == 201
    with app.app_context():
        accept_shared_chats(db.session)
        prompt_id = db.session.scalar(select(Prompt.id).where(Prompt.shared_chat_id.is_not(None)))
    api = flagger(app, "flagger")
    token = battle_on(app, "flagger", prompt_id)
    with app.app_context():
        battle = db.session.scalar(select(Battle).where(Battle.token == token))
        before = battle.response_a.text
    flag_id = flag(api, token, "a", "wrong")
    moderator = browser(app, "mod", role="moderator", community="coding")
    assert (
        decide(
            moderator, flag_id, "redact", slug="coding", text="Isolate shared state."
        ).status_code
        == 302
    )
    with app.app_context():
        texts = db.session.scalars(
            select(SharedMessage.content).join(SharedChat).where(SharedMessage.role == "assistant")
        ).all()
    assert "Isolate shared state." in texts and before not in texts


def test_dismissing_as_abusive_costs_points_and_a_plain_dismissal_nothing(any_app, any_world):
    app, general_prompt = any_app, first_prompt(any_app)
    api = flagger(app, "flagger")
    token = battle_on(app, "flagger", general_prompt)
    plain, abusive = flag(api, token, "a", "spam"), flag(api, token, "b", "spam")
    moderator = browser(app, "mod", role="moderator")
    assert decide(moderator, plain, "dismiss").status_code == 302
    assert decide(moderator, abusive, "dismiss", abusive="yes").status_code == 302
    assert (flag_row(app, plain).status, flag_row(app, plain).abusive) == ("dismissed", False)
    assert (flag_row(app, abusive).status, flag_row(app, abusive).abusive) == ("dismissed", True)
    assert ledger(app, "flag_abusive") == [(user_id(app, "flagger"), -5, "flag", abusive)]
    assert ledger(app, "flag_upheld") == []
    with app.app_context():
        assert db.session.get(Prompt, general_prompt).is_active


def test_a_moderators_own_flag_earns_nothing(app, world, general_prompt):
    moderator = browser(app, "mod", role="moderator")
    give_points(app, "mod")
    token = battle_on(app, "mod", general_prompt)
    sent = moderator.post(
        f"/arena/{token}/flag",
        data={"side": "a", "reason": "wrong", "csrf_token": csrf_token(moderator, "/profile")},
    )
    assert sent.status_code == 302
    with app.app_context():
        flag_id = db.session.scalar(select(ContentFlag.id))
    assert decide(moderator, flag_id, "remove").status_code == 302
    assert ledger(app, "flag_upheld") == []
    profile = moderator.get("/profile").get_data(as_text=True)
    assert "Upheld: removed from the arena and the data sets." in profile


def test_the_flagger_sees_each_outcome_on_their_profile(app, world, general_prompt):
    client = browser(app, "alice")
    give_points(app, "alice")
    token = battle_on(app, "alice", general_prompt)
    for side, reason in (("a", "wrong"), ("b", "spam"), ("prompt", "biased")):
        sent = client.post(
            f"/arena/{token}/flag",
            data={"side": side, "reason": reason, "csrf_token": csrf_token(client, "/profile")},
        )
        assert sent.status_code == 302
    with app.app_context():
        ids = dict(db.session.execute(select(ContentFlag.side, ContentFlag.id)).all())
    moderator = browser(app, "otterby", role="moderator")
    assert decide(moderator, ids["a"], "redact", text="A corrected answer.").status_code == 302
    assert decide(moderator, ids["b"], "dismiss", abusive="yes").status_code == 302
    profile = client.get("/profile").get_data(as_text=True)
    assert 'id="my-flags"' in profile
    assert "Factually wrong</strong> on an answer to" in profile
    assert "Upheld: a moderator corrected the text (+2 points)." in profile
    assert "Dismissed as abusive (-5 points)." in profile
    assert "Biased</strong> on the prompt" in profile and "Waiting for a moderator." in profile
    assert "otterby" not in profile.split('id="my-flags"')[1].split("</ul>")[0]


def test_votes_on_a_battle_whose_pair_was_removed_still_count(app, world, general_prompt):
    """Removal takes the pair out of what is served; a battle already open stays votable and
    its vote is kept in the log (data sets leave it out by the flag)."""
    api = flagger(app, "flagger")
    token = battle_on(app, "flagger", general_prompt)
    flag_id = flag(api, token, "prompt", "harmful")
    assert decide(browser(app, "mod", role="moderator"), flag_id, "remove").status_code == 302
    assert api.vote(token, "a").status_code == 200
    with app.app_context():
        assert db.session.scalars(removed_prompt_ids()).all() == [general_prompt]
        assert voting.battle_result(db.session, token, user_id(app, "flagger"))[2] == "a"

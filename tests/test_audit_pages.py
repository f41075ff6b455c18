"""The audit pages: who may open them, what an auditor sees (double blind), deciding from them."""

import random
import re

import pytest
from sqlalchemy import select

from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import OVERALL, PointTotal, User
from arena.models.chats import ACCEPTED, DISPUTED, REJECTED
from arena.web.pages import audit as audit_pages
from tests.conftest import csrf_token, sign_up
from tests.test_audit_queue import (
    AUDITED,
    add_community,
    audit,
    auditors,
    decided_chats,
    grant,
    person,
    review_status,
    share_chat,
)

QUEUE = f"/communities/{AUDITED}/audit"
FORM = re.compile(
    r'<form method="post" action="[^"]*/audit/(\d+)" class="card narrow audit-form">.*?</form>',
    re.S,
)


class AlwaysACheck(random.Random):
    """Draws that always ask for a known-answer item."""

    def random(self):
        return 0.0


class NeverACheck(random.Random):
    """Draws that never ask for a known-answer item (the site asks for one 5 % of the time)."""

    def random(self):
        return 0.999999


def normalised_form(page: str) -> str:
    """The decision form without what differs by request: the chat's id and the CSRF token."""
    form = FORM.search(page).group(0)
    form = re.sub(r"/audit/\d+", "/audit/N", form)
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', form)


def signed_in(app, username="alice", points=0):
    client = app.test_client()
    assert sign_up(client, username).status_code == 302
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        if points:
            with unit_of_work(db.session):
                db.session.add(
                    PointTotal(user_id=user_id, board="contributors", scope=OVERALL, points=points)
                )
    return client, user_id


def post_review(client, chat_id, **fields):
    data = {"csrf_token": csrf_token(client, QUEUE), "verdict": "accept", **fields}
    return client.post(f"{QUEUE}/{chat_id}", data=data)


@pytest.fixture(autouse=True)
def no_chance_checks(monkeypatch):
    """No known-answer item by chance: a test that wants one draws AlwaysACheck."""
    monkeypatch.setattr(audit_pages, "_draws", NeverACheck())


@pytest.fixture
def audited(app, world):
    with app.app_context():
        add_community(db.session)
    return app


def test_auditing_needs_the_privilege_and_says_what_unlocks_it(audited):
    client, _ = signed_in(audited)
    page = client.get(QUEUE)
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "Review shared chats as an auditor unlocks at 200 points; you have 0." in text
    assert "A moderator of Audited may also make you an auditor." in text
    assert post_review(client, 1).status_code == 403
    for moderators_only in (f"{QUEUE}/disputed", f"/communities/{AUDITED}/auditors"):
        reply = client.get(moderators_only)
        assert reply.status_code == 403 and "Only moderators of Audited" in reply.get_data(True)
    assert audited.test_client().get(QUEUE).status_code == 302  # anonymous: log in first


def test_the_auditor_sees_neither_contributor_nor_models(audited):
    with audited.app_context():
        contributor = person(db.session, "zed-contributor")
        share_chat(db.session, contributor, "My e-mail is jane.roe@contoso-mail.org, help?")
    client, _ = signed_in(audited, points=250)  # the privilege, earned
    html = client.get(QUEUE).get_data(as_text=True)
    assert "help?" in html and "Only real questions." in html  # the chat and the guidelines
    assert '<mark class="pii" title="redacted: EMAIL">[EMAIL]</mark>' in html
    assert "Model 1" in html and "Model 2" in html
    for hidden in ("zed-contributor", "llama", "qwen", "jane.roe", "known", "pending"):
        assert hidden not in html.lower(), hidden


def test_a_known_answer_item_looks_like_any_other(audited, monkeypatch):
    with audited.app_context():
        known = decided_chats(db.session, 1)[0]
        pending = share_chat(db.session, person(db.session, "contributor"), "Pending?")
    client, _ = signed_in(audited, points=250)
    plain = client.get(QUEUE).get_data(as_text=True)
    assert FORM.search(plain).group(1) == str(pending)
    monkeypatch.setattr(audit_pages, "_draws", AlwaysACheck())
    assert FORM.search(client.get(QUEUE).get_data(as_text=True)).group(1) == str(pending)  # held
    post_review(client, pending)
    with audited.app_context():
        second = share_chat(db.session, person(db.session, "another"), "Another pending?")
    check = client.get(QUEUE).get_data(as_text=True)
    assert FORM.search(check).group(1) == str(known)
    assert normalised_form(plain) == normalised_form(check)
    reply = post_review(client, known, verdict="reject", reason="spam")
    shown = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "a check with a known answer" in shown and "did not match it" in shown
    assert FORM.search(shown).group(1) == str(second)


def test_reviewing_from_the_page(audited):
    with audited.app_context():
        chat = share_chat(db.session, person(db.session, "contributor"), "Real question?")
        first, second = auditors(db.session, 2)
        audit(db.session, first, chat)
        audit(db.session, second, chat)
    client, user_id = signed_in(audited, points=250)
    assert post_review(client, chat + 1).status_code == 409  # not the item served
    client.get(QUEUE)
    missing = post_review(client, chat, verdict="reject", reason="personal_data")
    assert missing.status_code == 400 and "Say what should be redacted" in missing.get_data(True)
    reply = post_review(client, chat, note="Clear and useful.")
    assert reply.status_code == 302
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "with your review the chat is accepted" in page
    assert "Nothing waits for review" in page
    assert post_review(client, chat).status_code == 409
    with audited.app_context():
        assert review_status(db.session, chat) == ACCEPTED
    board = audited.test_client().get("/people?board=auditors").get_data(as_text=True)
    assert "alice" in board


def test_moderators_decide_disputed_chats_and_see_agreement(audited):
    with audited.app_context():
        chat = share_chat(db.session, person(db.session, "zed-contributor"), "Disputed?")
        team = auditors(db.session, 5)
        verdicts = ("accept", "accept", "reject", "reject", "accept")
        for number, (auditor, verdict) in enumerate(zip(team, verdicts, strict=True)):
            audit(db.session, auditor, chat, verdict, "off_topic", low_confidence=number == 4)
        assert review_status(db.session, chat) == DISPUTED
    client, user_id = signed_in(audited)
    with audited.app_context():
        grant(db.session, user_id, "moderator")
    page = client.get(f"{QUEUE}/disputed").get_data(as_text=True)
    assert "Disputed?" in page and "zed-contributor" not in page and "llama" not in page
    data = {"csrf_token": csrf_token(client, QUEUE), "verdict": "reject", "reason": "off_topic"}
    assert client.post(f"{QUEUE}/disputed/{chat}", data=data).status_code == 302
    with audited.app_context():
        assert review_status(db.session, chat) == REJECTED
    agreement_page = client.get(f"/communities/{AUDITED}/auditors").get_data(as_text=True)
    assert "auditor0" in agreement_page and 'id="community-alpha"' in agreement_page

"""Drafts of chat uploads: scrubbed at rest, gone after their lifetime (by the scheduled purge
and when touched), never cached; hand redaction hits the characters the contributor saw."""

import html
import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from arena.chats import drafts, sharing
from arena.core.db import unit_of_work
from arena.core.errors import NotFound
from arena.extensions import db
from arena.models.chats import ChatDraft, SharedChat, SharedMessage
from tests.chat_exports import answer, export, openwebui_chat, two_model_chat
from tests.conftest import csrf_token, sign_up
from tests.factories import make_voter

PAST_LIFETIME = drafts.DRAFT_LIFETIME + timedelta(minutes=1)


@pytest.fixture
def contributor(any_app, any_world):
    """A logged-in browser on SQLite and on PostgreSQL."""
    client = any_app.test_client()
    assert sign_up(client).status_code == 302
    return client


def upload(client, raw: bytes) -> str:
    """The preview's address of a fresh draft."""
    reply = client.post(
        "/chats/new",
        data={"file": (io.BytesIO(raw), "export.json"), "csrf_token": csrf_token(client, "/")},
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)[:500]
    return reply.headers["Location"]


def draft_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ChatDraft.id)))


def age_drafts(app, by: timedelta, preview: str | None = None) -> None:
    """Move the creation of every draft (or of one preview's) back in time, as the clock moving
    forward would."""
    with app.app_context(), unit_of_work(db.session):
        for draft in db.session.scalars(select(ChatDraft)):
            if preview is None or preview.endswith("/" + draft.token):
                draft.created_at -= by


def test_a_draft_holds_only_scrubbed_text(app, browser_client):
    chat = two_model_chat(question="Mail jane.roe@contoso-mail.org or call +44 20 7946 0958")
    upload(browser_client, export(chat))
    with app.app_context():
        stored = bytes(db.session.scalar(select(ChatDraft.raw)))
    message_ids = [key.encode() for key in chat["chat"]["history"]["messages"]]
    assert b"jane.roe" not in stored and b"7946" not in stored
    assert not [key for key in message_ids if key in stored]  # ids are keyed hashes
    assert b"[EMAIL]" in stored and b"[PHONE]" in stored


def test_the_scheduled_purge_deletes_abandoned_drafts_only(any_app, contributor):
    abandoned = upload(contributor, export(two_model_chat()))
    fresh = upload(contributor, export(two_model_chat("Another one")))
    age_drafts(any_app, PAST_LIFETIME, abandoned)
    runner = any_app.test_cli_runner()
    result = runner.invoke(args=["arena", "purge-drafts"])
    assert result.exit_code == 0 and "Deleted 1 expired draft(s)." in result.output
    assert draft_count(any_app) == 1
    assert contributor.get(fresh).status_code == 200  # a draft within its lifetime stays
    assert contributor.get(abandoned).status_code == 404


def test_a_new_upload_purges_abandoned_drafts(any_app, contributor):
    upload(contributor, export(two_model_chat()))
    age_drafts(any_app, PAST_LIFETIME)
    upload(contributor, export(two_model_chat("Another one")))
    assert draft_count(any_app) == 1


def test_an_expired_draft_is_never_shown_and_is_deleted_when_touched(any_app, contributor):
    preview = upload(contributor, export(two_model_chat()))
    age_drafts(any_app, drafts.DRAFT_LIFETIME - timedelta(minutes=1))
    assert contributor.get(preview).status_code == 200  # still within its lifetime
    age_drafts(any_app, timedelta(minutes=2))
    gone = contributor.get(preview)
    assert gone.status_code == 404 and "drafts are kept for 24 hours" in gone.get_data(as_text=True)
    assert draft_count(any_app) == 0


def test_an_expired_draft_cannot_be_published(any_app, contributor):
    preview = upload(contributor, export(two_model_chat()))
    age_drafts(any_app, PAST_LIFETIME)
    reply = contributor.post(
        preview + "/publish",
        data={
            "csrf_token": csrf_token(contributor, "/"),
            "community": "general",
            "licence": "CC0-1.0",
        },
    )
    assert reply.status_code == 404
    with any_app.app_context():
        assert db.session.scalar(select(func.count(SharedChat.id))) == 0
    assert draft_count(any_app) == 0


def test_a_draft_is_published_once(app, browser_client):
    preview = upload(browser_client, export(two_model_chat()))
    form = {
        "csrf_token": csrf_token(browser_client, "/"),
        "community": "general",
        "licence": "CC0-1.0",
    }
    assert browser_client.post(preview + "/publish", data=form).status_code == 302
    assert browser_client.post(preview + "/publish", data=form).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(SharedChat.id))) == 1


def test_publishing_a_draft_published_meanwhile_writes_nothing(app, world):
    """Two submits of one preview race past the read: the second finds its draft gone at the
    write and changes nothing."""
    with app.app_context():
        user, _ = make_voter(db.session)
        prepared = sharing.prepare(
            export(two_model_chat()), sharing.SharingOptions("general", "CC0-1.0"), user.share_key
        )
        with pytest.raises(NotFound), unit_of_work(db.session):
            sharing.publish(db.session, user.id, prepared, draft_token="published-meanwhile")
        assert db.session.scalar(select(func.count(SharedChat.id))) == 0


@pytest.mark.parametrize("manual", ["[" * 100_000, '{"0:x": [[0, 1]]}', '{"7:x": [[0, 1]]}'])
def test_unreadable_hand_marks_are_refused_clearly(app, browser_client, manual):
    preview = upload(browser_client, export(two_model_chat()))
    form = {"csrf_token": csrf_token(browser_client, "/"), "community": "general"}
    reply = browser_client.post(
        preview + "/publish", data={**form, "licence": "CC0-1.0", "manual": manual}
    )
    assert reply.status_code == 400 and draft_count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(SharedChat.id))) == 0


def test_someone_elses_draft_is_not_found(app, browser_client):
    preview = upload(browser_client, export(two_model_chat()))
    other = app.test_client()
    assert sign_up(other, "mallory").status_code == 302
    assert other.get(preview).status_code == 404
    assert draft_count(app) == 1  # not deleted by someone else's touch


# -- Cache-Control: no-store --------------------------------------------------------------------


def test_pages_with_raw_data_or_secrets_are_never_stored(app, browser_client, api):
    preview = upload(browser_client, export(two_model_chat()))
    bad_upload = browser_client.post(
        "/chats/new",
        data={
            "file": (io.BytesIO(b'[{"x"'), "e.json"),
            "csrf_token": csrf_token(browser_client, "/"),
        },
    )
    chats = json.loads(export(two_model_chat("Via the API")))
    answers = {
        "preview": browser_client.get(preview),
        "upload form": browser_client.get("/chats/new"),
        "upload refused (quotes the file)": bad_upload,
        "my chats": browser_client.get("/chats"),
        "my export": browser_client.get("/chats/export.json"),
        "API share": api.post(
            "/api/v1/chats", json={"community": "coding", "licence": "CC0-1.0", "chats": chats}
        ),
        "API my chats": api.get("/api/v1/chats"),
    }
    assert {name: reply.headers.get("Cache-Control") for name, reply in answers.items()} == (
        dict.fromkeys(answers, "no-store")
    )


def test_public_pages_stay_cacheable(app, world):
    assert "no-store" not in (app.test_client().get("/feedback").headers.get("Cache-Control") or "")


# -- line endings -------------------------------------------------------------------------------


def browser_text(page: str, key: str) -> str:
    """A message's text as the browser's DOM holds it: tags dropped, entities decoded, and
    CR LF and lone CR read as LF (HTML's input stream preprocessing)."""
    inner = re.search(rf'data-key="{re.escape(key)}"[^>]*>(.*?)</div>', page, re.DOTALL).group(1)
    return re.sub(r"\r\n?", "\n", html.unescape(re.sub(r"<[^>]+>", "", inner)))


def test_hand_redaction_hits_what_was_marked_in_a_windows_line_ending_message(app, browser_client):
    question = "First line\r\nSecond line\r\nThird line\rThe secret word is zebra, thanks."
    chat = openwebui_chat("CRLF", [(question, [answer("m-a", "Noted."), answer("m-b", "Ok.")])])
    preview = upload(browser_client, export(chat))
    page = browser_client.get(preview).get_data(as_text=True)
    key = re.search(r'data-key="(0:[^"]+)"[^>]*>First line', page).group(1)
    seen = browser_text(page, key)
    start = seen.index("zebra")  # where the contributor's selection starts, in the browser
    reply = browser_client.post(
        preview + "/publish",
        data={
            "csrf_token": csrf_token(browser_client, "/"),
            "community": "general",
            "licence": "CC0-1.0",
            "manual": json.dumps({key: [[start, start + len("zebra")]]}),
        },
    )
    assert reply.status_code == 302
    with app.app_context():
        stored = db.session.scalar(
            select(SharedMessage.content).where(SharedMessage.role == "user")
        )
    assert stored == "First line\nSecond line\nThird line\nThe secret word is [REDACTED], thanks."


def test_hand_marks_cutting_into_a_placeholder_take_all_of_it(app, browser_client):
    chat = two_model_chat(question="Write to jane.roe@contoso-mail.org today")
    preview = upload(browser_client, export(chat))
    page = browser_client.get(preview).get_data(as_text=True)
    key = re.search(r'data-key="(0:[^"]+)"[^>]*>Write to', page).group(1)
    seen = browser_text(page, key)
    assert seen == "Write to [EMAIL] today"
    start = seen.index("AIL]")
    browser_client.post(
        preview + "/publish",
        data={
            "csrf_token": csrf_token(browser_client, "/"),
            "community": "general",
            "licence": "CC0-1.0",
            "manual": json.dumps({key: [[start, start + 10]]}),
        },
    )
    with app.app_context():
        stored = db.session.scalar(
            select(SharedMessage.content).where(SharedMessage.role == "user")
        )
    assert stored == "Write to [REDACTED]"

"""`arena rescrub-chats` applies today's scrubbing to chats stored by earlier versions, which
kept model names, message ids, titles, notes and tags as sent and missed disguised personal data
in texts: afterwards nothing personal is left in any column, threads and votes are intact, and a
second run changes nothing."""

import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from arena.chats import rescrub, sharing
from arena.chats.publishing import model_slug
from arena.core import accounts
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Community, LanguageModel, Prompt, Response, Vote
from arena.models.chats import AnswerFeedback, SharedChat, SharedMessage

REAL_EXPORT = Path(__file__).parent / "data" / "chats" / "openwebui-0.12.4" / "chat-export-all.json"
EMAIL = "alice.smith@gmail.com"
KEYS = [f"{EMAIL}#{number}" for number in range(4)]  # raw message ids, as old versions kept them
# Nothing of these may be left anywhere once re-scrubbed.
PERSONAL = ("alice", "gmail", "&#64;", "7946 0958", "bob.jones", "Bob Jones", "81.2.69.160")
# A model's answer may hold private IP ranges: they stay (scrubbed as the model's, not a person's).
ANSWER = "Sure. Point it at 192.168.1.10 on port 8080."
TABLES = (SharedChat, SharedMessage, AnswerFeedback, Prompt, Response, LanguageModel, Vote)


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def store_old_chat(session) -> dict:
    """A chat as earlier versions stored it: only message texts scrubbed, and weakly."""
    with unit_of_work(session):
        user = accounts.create_user(session, "contributor", "correct horse")
        community = Community(slug="coding", name="Coding")
        named = LanguageModel(slug=model_slug(EMAIL), name=EMAIL, organization="")
        real = LanguageModel(slug="gpt-4o", name="gpt-4o", organization="")
        session.add_all([community, named, real])
        session.flush()
        chat = SharedChat(
            contributor_id=user.id, community_id=community.id, source_format="openwebui_chat",
            title=f"Chat of {EMAIL}", fingerprint="f" * 64, licence="CC0-1.0",
            tags=["python", EMAIL], notes="Call Bob Jones on +44 20 7946 0958",
            redaction_counts={"EMAIL": 1}, pairs=1,
        )  # fmt: skip
        session.add(chat)
        session.flush()
        question = "Mail me at alice&#64;gmail.com, my server is 81.2.69.160"
        messages = [
            (KEYS[0], None, "user", None, question, ""),
            (KEYS[1], KEYS[0], "assistant", EMAIL, "I will write to alice&#64;gmail.com", "ok"),
            (KEYS[2], KEYS[0], "assistant", "gpt-4o", ANSWER, "bob.jones@corp.io liked it"),
            (KEYS[3], KEYS[1], "user", None, "Thanks, Bob Jones here", ""),
        ]
        session.add_all(
            SharedMessage(
                chat_id=chat.id, position=position, message_key=key, parent_key=parent, role=role,
                model_name=model, content=content, feedback_note=note,
            )
            for position, (key, parent, role, model, content, note) in enumerate(messages)
        )  # fmt: skip
        prompt = Prompt(
            community_id=community.id, origin="shared_chat", text=question, context=[],
            external_id=f"chat:{chat.id}:{_sha1(KEYS[0])}", shared_chat_id=chat.id,
        )  # fmt: skip
        session.add(prompt)
        session.flush()
        session.add_all(
            [
                Response(prompt_id=prompt.id, model_id=named.id, text=messages[1][4]),
                Response(prompt_id=prompt.id, model_id=real.id, text=ANSWER),
            ]
        )
        session.add_all(
            AnswerFeedback(
                chat_id=chat.id, community_id=community.id, model_id=model_id,
                prompt_key=KEYS[0], message_key=key,
            )
            for model_id, key in ((named.id, KEYS[1]), (real.id, KEYS[2]))
        )  # fmt: skip
        session.add(
            Vote(
                voter_id=user.id, community_id=community.id, prompt_id=prompt.id,
                model_a_id=named.id, model_b_id=real.id, choice="a",
            )
        )  # fmt: skip
    return {"chat": chat.id, "named": named.id, "real": real.id, "prompt": prompt.id}


def snapshot(session) -> dict[str, list]:
    """Every column of every row of the tables a shared chat reaches, as text."""
    session.expire_all()
    return {
        model.__tablename__: [
            json.dumps([str(value) for value in row], sort_keys=True)
            for row in session.execute(select(model.__table__).order_by(model.__table__.c.id))
        ]
        for model in TABLES
    }


def run(app, *options) -> str:
    result = app.test_cli_runner().invoke(args=["arena", "rescrub-chats", *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_nothing_personal_is_left_and_threads_and_votes_hold(any_app):
    with any_app.app_context():
        ids = store_old_chat(db.session)
        votes = snapshot(db.session)["votes"]
    output = run(any_app)
    assert "4 message ids, 1 message model names" in output and "1 models renamed" in output
    with any_app.app_context():
        tables = snapshot(db.session)
        dump = json.dumps(tables)
        for personal in PERSONAL + tuple(_sha1(key) for key in KEYS):
            assert personal not in dump
        assert tables["votes"] == votes
        messages = db.session.scalars(select(SharedMessage).order_by(SharedMessage.position)).all()
        keys = [message.message_key for message in messages]
        assert [message.parent_key for message in messages] == [None, keys[0], keys[0], keys[1]]
        assert all(len(key) == 32 for key in keys)
        assert [m.model_name for m in messages] == [None, "unknown-model", "gpt-4o", None]
        assert "[EMAIL]" in messages[0].content and "[IP_ADDRESS]" in messages[0].content
        assert messages[2].content == ANSWER
        assert ANSWER in db.session.scalars(select(Response.text)).all()
        prompt = db.session.get(Prompt, ids["prompt"])
        assert prompt.external_id == f"chat:{ids['chat']}:{_sha1(keys[0])}"
        assert prompt.text == messages[0].content
        feedback = db.session.scalars(select(AnswerFeedback)).all()
        assert [(f.model_id, f.prompt_key, f.message_key) for f in feedback] == [
            (ids["real"], keys[0], keys[2])
        ]  # the renamed model's feedback is gone: a placeholder is no model to rate
        named = db.session.get(LanguageModel, ids["named"])
        assert (named.name, named.slug) == (f"unknown-model-{named.id}",) * 2
        assert not named.is_active and db.session.get(LanguageModel, ids["real"]).is_active
        chat = db.session.get(SharedChat, ids["chat"])
        assert chat.tags == ["python"] and chat.redaction_counts["EMAIL"] >= 4


def test_a_second_run_changes_nothing(any_app):
    with any_app.app_context():
        store_old_chat(db.session)
    run(any_app)
    with any_app.app_context():
        after_first = snapshot(db.session)
    assert "Changed: nothing." in run(any_app)
    with any_app.app_context():
        assert snapshot(db.session) == after_first


def test_a_dry_run_counts_and_writes_nothing(any_app):
    with any_app.app_context():
        store_old_chat(db.session)
        before = snapshot(db.session)
    output = run(any_app, "--dry-run")
    assert "Would change:" in output and "1 chat titles" in output and "4 message ids" in output
    with any_app.app_context():
        assert snapshot(db.session) == before


def test_chats_shared_today_are_left_as_they_are(app, api):
    chats = json.loads(REAL_EXPORT.read_bytes())
    options = {"community": "coding", "licence": "CC0-1.0", "tags": ["python"], "notes": "hi"}
    reply = api.post("/api/v1/chats", json={**options, "chats": chats})
    assert reply.status_code == 201, reply.get_json()
    with app.app_context():
        before = snapshot(db.session)
        assert before["shared_messages"] and before["prompts"]
    assert "Changed: nothing." in run(app)
    with app.app_context():
        assert snapshot(db.session) == before


def test_a_chat_withdrawn_after_detection_is_not_written_back(any_app):
    with any_app.app_context():
        ids = store_old_chat(db.session)
        batches = list(rescrub.plan_chats(db.session))
        with unit_of_work(db.session):
            sharing.withdraw(
                db.session, db.session.get(SharedChat, ids["chat"]).contributor_id, ids["chat"]
            )
        with unit_of_work(db.session):
            for batch in batches:
                rescrub.apply(db.session, batch.updates)
        db.session.expire_all()
        prompt = db.session.get(Prompt, ids["prompt"])
        assert (prompt.text, prompt.context) == (sharing.WITHDRAWN_TEXT, [])
        assert db.session.get(SharedChat, ids["chat"]).title == sharing.WITHDRAWN_TEXT
        texts = db.session.scalars(select(Response.text)).all()
        assert texts == [sharing.WITHDRAWN_TEXT] * 2

"""Sharing chats end to end: API, pages, CLI, scrubbing, pairs, feedback, withdrawal, export."""

import io
import json
import re

import pytest
from sqlalchemy import func, select

from arena.chats import sharing
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import LanguageModel, Prompt, Rating, Response, UserBadge, Vote
from arena.models.chats import AnswerFeedback, ChatDraft, SharedChat, SharedMessage
from tests.chat_exports import answer, export, openwebui_chat, two_model_chat
from tests.conftest import api_client_for, csrf_token
from tests.factories import accept_shared_chats

TABLES = (SharedChat, SharedMessage, AnswerFeedback, Prompt, Response, LanguageModel, ChatDraft)


def counts(app) -> dict:
    with app.app_context():
        return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def accepted(app) -> None:
    """Auditors accept every shared chat (the audit queue is tested in test_audit_*)."""
    with app.app_context():
        accept_shared_chats(db.session)


def share(api, *chats, community="coding", licence="CC-BY-4.0", **extra):
    body = {
        "community": community,
        "licence": licence,
        "chats": json.loads(export(*chats)),
        **extra,
    }
    return api.post("/api/v1/chats", json=body)


def test_a_shared_chat_is_scrubbed_mined_and_counted(any_app, any_api):
    app, api = any_app, any_api
    reply = share(api, two_model_chat(), tags=["testing"], notes="flaky CI")
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert body["redactions"] == {"EMAIL": 1}
    assert [(c["duplicate"], c["pairs"]) for c in body["chats"]] == [(False, 1)]
    with app.app_context():
        stored = " ".join(db.session.scalars(select(SharedMessage.content)))
        assert "jane.roe" not in stored and "[EMAIL]" in stored
        prompt = db.session.scalar(select(Prompt).where(Prompt.origin == "shared_chat"))
        assert "jane.roe" not in prompt.text and prompt.community.slug == "coding"
        chat = db.session.scalar(select(SharedChat))
        assert (chat.licence, chat.tags, chat.notes) == ("CC-BY-4.0", ["testing"], "flaky CI")
        assert {"llama3.1:8b", "qwen2.5:7b"} <= set(db.session.scalars(select(LanguageModel.slug)))
        assert "first-chat" in set(db.session.scalars(select(UserBadge.badge)))


def test_mined_pairs_join_the_arena_blind_and_without_their_contributor(app, world):
    contributor = api_client_for(app, "contributor")
    share(
        contributor, two_model_chat(question="Why is my flaky test failing?"), community="general"
    )
    accepted(app)
    voter = api_client_for(app, "voter")
    seen_mined = False
    for _ in range(40):
        battle = voter.battle("general")
        raw = json.dumps(battle)
        assert "contributor" not in raw and "llama" not in raw and "qwen" not in raw
        if "flaky test" in battle["prompt"]:
            seen_mined = True
            result = voter.vote(battle["token"], "a").get_json()
            assert set(result["models"].values()) == {"llama3.1:8b", "qwen2.5:7b"}
            break
        voter.vote(battle["token"], "tie")
    assert seen_mined, "the mined pair was never served"


def test_the_same_chat_twice_is_not_duplicated(any_app, any_api):
    app, api = any_app, any_api
    chat = two_model_chat()
    assert share(api, chat).status_code == 201
    before = counts(app)
    again = share(api, chat)
    assert again.status_code == 200
    assert again.get_json()["chats"][0]["duplicate"] is True
    assert counts(app) == before


@pytest.mark.parametrize(
    ("chats", "message"),
    [
        (
            '[{"id": "x", "chat": {"history": {"messages": '
            '{"m1": {"id": "m1", "content": "hi"}}}}}]',
            "no role",
        ),
        ('[{"id": "x", "chat": ', "not valid json"),
        ('{"something": "else"}', "format"),
        ("[]", "no chat"),
    ],
)
def test_malformed_exports_are_rejected_whole(app, api, chats, message):
    before = counts(app)
    good = json.loads(export(two_model_chat()))
    try:
        bad = json.loads(chats)
    except json.JSONDecodeError:
        bad = None
    if bad is None:  # a truncated file can only arrive as an upload
        reply = api.client.post(
            "/api/v1/chats",
            headers=api.headers,
            data={
                "community": "coding",
                "licence": "CC0-1.0",
                "file": (io.BytesIO(chats.encode()), "chat.json"),
            },
        )
    else:
        payload = good + bad if isinstance(bad, list) and bad else bad
        reply = api.post(
            "/api/v1/chats", json={"community": "coding", "licence": "CC0-1.0", "chats": payload}
        )
    assert reply.status_code == 400
    assert message in reply.get_json()["error"].lower()
    assert counts(app) == before


@pytest.mark.parametrize(
    ("extra", "status", "message"),
    [
        ({"licence": "GPL"}, 400, "licence must be one of"),
        ({"community": "astrology"}, 404, "astrology"),
        ({"tags": ["<script>"]}, 400, "tag"),
    ],
)
def test_bad_sharing_options_store_nothing(app, api, extra, status, message):
    before = counts(app)
    body = {
        "community": "coding",
        "licence": "CC0-1.0",
        "chats": json.loads(export(two_model_chat())),
        **extra,
    }
    reply = api.post("/api/v1/chats", json=body)
    assert reply.status_code == status
    assert message in reply.get_json()["error"]
    assert counts(app) == before


def test_sharing_needs_credentials(app, world):
    reply = app.test_client().post("/api/v1/chats", json={"chats": []})
    assert reply.status_code == 401


def test_self_identifying_answers_stay_out_of_pairs(app, api):
    chat = openwebui_chat(
        "Who are you?",
        [
            (
                "Who made you?",
                [
                    answer("gpt-4o", "As ChatGPT, developed by OpenAI, I am a language model."),
                    answer("llama3.1:8b", "I am an open model."),
                ],
            )
        ],
    )
    body = share(api, chat).get_json()
    assert body["chats"][0]["pairs"] == 0
    with app.app_context():
        mined = select(func.count(Prompt.id)).where(Prompt.origin == "shared_chat")
        assert db.session.scalar(mined) == 0
        assert db.session.scalar(select(func.count(AnswerFeedback.id))) == 2  # stats still count


def test_feedback_stats_from_shared_chats(app, api):
    share(api, two_model_chat())
    share(
        api,
        openwebui_chat(
            "Regenerated",
            [
                (
                    "Explain CRDTs",
                    [
                        answer("llama3.1:8b", "First try.", rating=-1),
                        answer("llama3.1:8b", "Second try.", rating=1),
                    ],
                )
            ],
        ),
    )
    pending = app.test_client().get("/api/v1/feedback-stats?community=coding").get_json()
    assert pending["models"] == []  # nothing counts before auditors accept it
    accepted(app)
    stats = app.test_client().get("/api/v1/feedback-stats?community=coding").get_json()
    by_model = {m["model"]: m for m in stats["models"]}
    llama, qwen = by_model["llama3.1:8b"], by_model["qwen2.5:7b"]
    assert (llama["answers"], llama["thumbs_up"], llama["thumbs_down"]) == (3, 2, 1)
    assert llama["regeneration_rate"] == round(1 / 3, 3)
    assert llama["preferred_over"] == {"qwen2.5:7b": 1}
    assert qwen["less_preferred_than"] == {"llama3.1:8b": 1}
    assert (llama["tokens_per_second"], qwen["tokens_per_second"]) == (60.0, 30.0)
    low, high = llama["satisfaction_interval"]
    assert low < 2 / 3 < high  # Wilson interval around 2 of 3
    assert (
        app.test_client().get("/api/v1/feedback-stats?community=general").get_json()["models"] == []
    )
    page = app.test_client().get("/feedback?community=coding").get_data(as_text=True)
    assert "llama3.1:8b" in page and "60.0" in page


def test_withdrawing_removes_pairs_and_text_but_keeps_votes(app, api):
    share(api, two_model_chat(question="Only mined prompt here?"), community="coding")
    accepted(app)
    voter = api_client_for(app, "voter2")
    with app.app_context():
        chat_id = db.session.scalar(select(SharedChat.id))
    battles = [voter.battle("coding") for _ in range(30)]
    mined = [b for b in battles if "Only mined prompt" in b["prompt"]]
    assert len(mined) == 1  # served once to this voter, never twice
    open_mined = voter.battle("general")  # unrelated; keeps the voter busy elsewhere
    voter.vote(mined[0]["token"], "a")
    with app.app_context():
        ratings_before = db.session.scalars(select(Rating.mu).order_by(Rating.id)).all()
        owner = db.session.scalar(select(SharedChat.contributor_id))
        with unit_of_work(db.session):
            sharing.withdraw(db.session, owner, chat_id)
        prompt = db.session.scalar(select(Prompt).where(Prompt.shared_chat_id == chat_id))
        assert not prompt.is_active and "Only mined" not in prompt.text
        assert db.session.scalar(select(func.count(SharedMessage.id))) == 0
        assert db.session.scalar(select(func.count(Vote.id))) == 1
        assert db.session.scalars(select(Rating.mu).order_by(Rating.id)).all() == ratings_before
    assert voter.vote(open_mined["token"], "tie").status_code == 200
    for _ in range(20):
        assert "Only mined prompt" not in api_client_for(app, f"late{_}").battle("coding")["prompt"]


def test_contributors_never_judge_pairs_from_their_own_chats(app, api):
    share(api, two_model_chat(question="My own chat's question?"), community="coding")
    for _ in range(36):  # every pair of the coding community, and more
        reply = api.post("/api/v1/battles", json={"community": "coding"})
        if reply.status_code == 404:
            break
        assert "My own chat" not in reply.get_json()["prompt"]
        api.vote(reply.get_json()["token"], "tie")


def test_votes_on_a_withdrawn_pair_are_refused(app, api):
    share(api, two_model_chat(question="Soon withdrawn?"), community="coding")
    accepted(app)
    voter = api_client_for(app, "voter3")
    battles = [voter.battle("coding") for _ in range(30)]
    mined = next(b for b in battles if "Soon withdrawn" in b["prompt"])
    with app.app_context():
        owner, chat_id = db.session.execute(select(SharedChat.contributor_id, SharedChat.id)).one()
        with unit_of_work(db.session):
            sharing.withdraw(db.session, owner, chat_id)
    reply = voter.vote(mined["token"], "a")
    assert reply.status_code == 409 and "withdrawn" in reply.get_json()["error"]


def test_titles_and_notes_are_scrubbed_too(app, api):
    chat = two_model_chat(title="Mail jane.roe@contoso-mail.org about it")
    body = share(api, chat, notes="ask me at +44 20 7946 0958").get_json()
    assert body["chats"][0]["title"] == "Mail [EMAIL] about it"
    with app.app_context():
        stored = db.session.execute(select(SharedChat.title, SharedChat.notes)).one()
    assert stored == ("Mail [EMAIL] about it", "ask me at [PHONE]")


def test_model_names_that_differ_only_in_case_are_one_model(app, api):
    chat = openwebui_chat(
        "Case",
        [
            (
                "Which is better?",
                [
                    answer("GPT-4o", "One."),
                    answer("gpt-4o", "Two."),
                    answer("llama3.1:8b", "Three."),
                ],
            )
        ],
    )
    reply = share(api, chat)
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["chats"][0]["pairs"] == 1


@pytest.mark.parametrize("field", ["community", "licence", "notes"])
def test_wrongly_typed_options_are_refused(app, api, field):
    before = counts(app)
    body = {
        "community": "coding",
        "licence": "CC0-1.0",
        "chats": json.loads(export(two_model_chat())),
        field: ["not", "text"],
    }
    reply = api.post("/api/v1/chats", json=body)
    assert reply.status_code == 400 and f"{field} must be text" in reply.get_json()["error"]
    assert counts(app) == before


def test_the_preview_flow_redacts_by_hand_and_keeps_no_original(app, browser_client):
    chat = two_model_chat(question="Ask the plumber about the leak, jane.roe@contoso-mail.org")
    csrf = csrf_token(browser_client, "/chats/new")
    upload = browser_client.post(
        "/chats/new",
        data={"file": (io.BytesIO(export(chat)), "export.json"), "csrf_token": csrf},
    )
    assert upload.status_code == 302
    preview_url = upload.headers["Location"]
    page = browser_client.get(preview_url).get_data(as_text=True)
    # The draft is kept scrubbed: the preview shows what will be published, never the original.
    assert '<mark class="pii" title="EMAIL">[EMAIL]</mark>' in page and "jane.roe" not in page
    key = re.search(r'data-key="(0:[^"]+)"[^>]*>Ask the', page).group(1)
    start = "Ask the plumber".index("plumber")
    reply = browser_client.post(
        preview_url.replace("/chats/drafts/", "/chats/drafts/") + "/publish",
        data={
            "csrf_token": csrf,
            "community": "general",
            "licence": "CC0-1.0",
            "tags": "testing, ci",
            "notes": "",
            "manual": json.dumps({key: [[start, start + len("plumber")]]}),
        },
    )
    assert reply.status_code == 302
    with app.app_context():
        stored = db.session.scalar(
            select(SharedMessage.content).where(SharedMessage.role == "user")
        )
        assert stored == "Ask the [REDACTED] about the leak, [EMAIL]"
        assert db.session.scalar(select(func.count(ChatDraft.id))) == 0  # the original is gone
        assert db.session.scalar(select(SharedChat.tags)) == ["testing", "ci"]
    listing = browser_client.get("/chats").get_data(as_text=True)
    assert "Fixing a flaky test" in listing and "1 EMAIL" in listing
    download = browser_client.get("/chats/export.json")
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.get_json()["chats"][0]["messages"][0]["content"].startswith(
        "Ask the [REDACTED]"
    )


def test_withdraw_through_the_page(app, browser_client):
    csrf = csrf_token(browser_client, "/chats/new")
    upload = browser_client.post(
        "/chats/new",
        data={
            "file": (io.BytesIO(export(two_model_chat())), "e.json"),
            "csrf_token": csrf,
        },
    )
    browser_client.post(
        upload.headers["Location"] + "/publish",
        data={"csrf_token": csrf, "community": "general", "licence": "CC0-1.0"},
    )
    with app.app_context():
        chat_id = db.session.scalar(select(SharedChat.id))
    confirmed = {"csrf_token": csrf, "understood": "yes"}
    assert browser_client.post(f"/chats/{chat_id}/withdraw", data=confirmed).status_code == 302
    again = browser_client.post(f"/chats/{chat_id}/withdraw", data=confirmed)
    assert again.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(SharedChat.status)) == "withdrawn"


def test_bad_uploads_on_the_page_say_what_is_wrong(app, browser_client):
    csrf = csrf_token(browser_client, "/chats/new")
    reply = browser_client.post(
        "/chats/new",
        data={"file": (io.BytesIO(b'[{"id": 1'), "broken.json"), "csrf_token": csrf},
    )
    assert reply.status_code == 400
    assert "not valid json" in reply.get_data(as_text=True).lower()
    assert counts(app)["ChatDraft"] == 0


def test_cli_imports_in_bulk_and_rejects_bad_files(app, world, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["arena", "create-user", "bulk", "--password", "correct horse"])
    good = tmp_path / "good.json"
    good.write_bytes(
        export(two_model_chat(), two_model_chat("Another", "Call me on +44 20 7946 0958"))
    )
    result = runner.invoke(
        args=["arena", "import-chats", str(good), "--user", "bulk", "--community", "coding"]
    )
    assert result.exit_code == 0, result.output
    assert "Published 2 chats (2 blind pairs)" in result.output
    assert "1 EMAIL" in result.output and "1 PHONE" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "x", "chat": {"history": {"messages": {"m": {"id": "m"}}}}}]')
    before = counts(app)
    failed = runner.invoke(
        args=["arena", "import-chats", str(bad), "--user", "bulk", "--community", "coding"]
    )
    assert failed.exit_code != 0 and "no role" in failed.output
    assert counts(app) == before

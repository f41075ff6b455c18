"""Every field a contributor sends is scrubbed, not only message text: model ids, message and
parent ids, tags, notes, titles and feedback notes, on real Open WebUI 0.12.4 exports and on
hand-made hostile ones. Nothing personal sent in them comes back from any page or API."""

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from arena.chats import sharing
from arena.chats.formats.fields import UNKNOWN_MODEL
from arena.chats.scrub import scrubbed_model_id
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Base
from arena.models.chats import SharedChat, SharedMessage
from tests.chat_exports import answer, export, openwebui_chat
from tests.conftest import csrf_token
from tests.factories import accept_shared_chats

REAL_EXPORTS = Path(__file__).parent / "data" / "chats" / "openwebui-0.12.4"
# Values sent where no message text is: each must never come back, in any form.
HOSTILE_EMAIL = "carol.white@hostile-mail.org"
HOSTILE_CARD = "4111-1111-1111-1111"
HOSTILE_PHONE = "+44 20 7946 0958"
HOSTILE_MARKERS = ("hostile-mail", "carol.white", "dave.black", "erin.green", "frank.gray")
HOSTILE_DIGITS = ("4111111111111111", "442079460958", "2079460958", "79460958")


def hostile_ids(raw: bytes) -> bytes:
    """A real export whose ids (of messages, so also parent ids, children lists and rated
    messages; of chats and users) are e-mail addresses; its thread structure is unchanged."""
    text = raw.decode()
    ids = sorted(set(re.findall(r'"id": "([0-9a-f-]{36})"', text)))
    for number, original in enumerate(ids):
        text = text.replace(original, f"dave.black{number}@hostile-mail.org")
    return text.encode()


def hostile(raw: bytes) -> bytes:
    """A real export with personal data in its ids, model ids, titles and feedback comments."""
    document = json.loads(hostile_ids(raw))
    for row in document:
        if isinstance(row.get("data"), dict):  # a feedback export's rating row
            row["data"]["comment"] = "frank.gray@hostile-mail.org, +44 20 7946 0958"
    for chat in _chats_in(document):
        chat["title"] = f"Ask erin.green@hostile-mail.org about {chat.get('title', '')}"
        for message in chat["history"]["messages"].values():
            if message.get("model") == "smollm2-b":
                message["model"] = HOSTILE_EMAIL
            if message.get("selectedModelId"):
                message["selectedModelId"] = HOSTILE_CARD
            if isinstance(message.get("annotation"), dict):
                message["annotation"]["comment"] = "frank.gray@hostile-mail.org, +44 20 7946 0958"
    return json.dumps(document).encode()


def _chats_in(value):
    """Every chat object (one with a history) anywhere in an export."""
    if isinstance(value, dict):
        if isinstance(value.get("history"), dict):
            yield value
        for item in value.values():
            yield from _chats_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _chats_in(item)


def leaked(text: str) -> list[str]:
    """The hostile values found in a page, a JSON answer or a table dump."""
    digits = re.sub(r"\D", "", text)
    return [value for value in HOSTILE_MARKERS if value in text.lower()] + [
        value for value in HOSTILE_DIGITS if value in digits
    ]


def every_row(app) -> str:
    """All rows of all tables as text: what a database dump would give away."""
    with app.app_context():
        rows = [
            repr(row)
            for table in Base.metadata.sorted_tables
            for row in db.session.execute(select(table)).all()
        ]
    return "\n".join(rows)


def share_options(**extra) -> dict:
    return {
        "community": "coding",
        "licence": "CC0-1.0",
        "tags": ["python", HOSTILE_PHONE, "4111 1111 1111 1111"],
        "notes": "Reach me at dave.black@hostile-mail.org",
        **extra,
    }


@pytest.mark.parametrize("export_file", ["chat-export-all.json", "feedback-history-export.json"])
def test_nothing_sent_outside_message_text_comes_back(any_app, any_api, export_file):
    raw = hostile((REAL_EXPORTS / export_file).read_bytes())
    body = {**share_options(), "chats": json.loads(raw), "consent": "everyone"}
    reply = any_api.post("/api/v1/chats", json=body)
    assert reply.status_code == 201, reply.get_json()
    assert leaked(reply.get_data(as_text=True)) == []
    with any_app.app_context():
        accept_shared_chats(db.session)  # what auditors accept is what the statistics show
    anonymous = any_app.test_client()
    answers = {
        "feedback-stats": anonymous.get("/api/v1/feedback-stats").get_data(as_text=True),
        "feedback page": anonymous.get("/feedback").get_data(as_text=True),
        "contributor export": any_api.get("/api/v1/chats?per_page=100").get_data(as_text=True),
        "database": every_row(any_app),
    }
    assert {where: leaked(text) for where, text in answers.items()} == dict.fromkeys(answers, [])
    # The real models stay; the hostile ids became the placeholder, which gets no statistics.
    stats = anonymous.get("/api/v1/feedback-stats").get_json()
    assert [model["model"] for model in stats["models"]] == ["smollm2-a"]
    chats = any_api.get("/api/v1/chats?per_page=100").get_json()["chats"]
    models = {message["model"] for chat in chats for message in chat["messages"]}
    assert models == {None, "smollm2-a", UNKNOWN_MODEL}
    assert {tuple(chat["tags"]) for chat in chats} == {("python",)}
    assert {chat["notes"] for chat in chats} == {"Reach me at [EMAIL]"}


def test_hashed_ids_keep_every_thread_and_pair(app, api):
    """The same real export with and without hostile ids: same trees, same pairs."""
    real = (REAL_EXPORTS / "chat-export-all.json").read_bytes()
    first = api.post("/api/v1/chats", json={**share_options(), "chats": json.loads(real)})
    with app.app_context():  # withdrawn, the same conversations may be shared again
        for chat in db.session.scalars(select(SharedChat)).all():
            with unit_of_work(db.session):
                sharing.withdraw(db.session, chat.contributor_id, chat.id)
    renamed = json.loads(hostile_ids(real))
    second = api.post("/api/v1/chats", json={**share_options(), "chats": renamed})
    pairs = [[chat["pairs"] for chat in reply.get_json()["chats"]] for reply in (first, second)]
    assert pairs[0] == pairs[1] and sum(pairs[0]) > 0
    with app.app_context():
        published = db.session.scalars(select(SharedChat).where(SharedChat.status == "published"))
        for chat in published:
            keys = {message.message_key for message in chat.messages}
            parents = [message.parent_key for message in chat.messages]
            assert parents[0] is None and set(parents[1:]) <= keys  # one tree, every link kept
            assert all(len(key) == 32 and "@" not in key for key in keys)


def test_the_page_flow_scrubs_every_field_too(app, browser_client):
    raw = hostile((REAL_EXPORTS / "chat-export-multi.json").read_bytes())
    csrf = csrf_token(browser_client, "/chats/new")
    upload = browser_client.post(
        "/chats/new", data={"file": (io.BytesIO(raw), "export.json"), "csrf_token": csrf}
    )
    assert upload.status_code == 302
    preview = browser_client.get(upload.headers["Location"]).get_data(as_text=True)
    assert leaked(preview) == [] and leaked(every_row(app)) == []  # the draft is scrubbed
    options = share_options()
    published = browser_client.post(
        upload.headers["Location"] + "/publish",
        data={**options, "tags": ", ".join(options["tags"]), "csrf_token": csrf},
    )
    assert published.status_code == 302
    pages = [
        browser_client.get(url).get_data(as_text=True)
        for url in ("/chats", "/chats/export.json", "/feedback")
    ]
    assert [leaked(page) for page in pages] == [[], [], []]
    assert leaked(every_row(app)) == []


@pytest.mark.parametrize(
    "model",
    [
        "smollm2-a",
        "llama3.1:8b",
        "gpt-4o-2024-08-06",
        "claude-3-5-sonnet-20241022",
        "qwen2.5:7b-instruct-q4_K_M",
        "meta-llama/Llama-3.1-8B-Instruct",
        "hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M",
        "phi3:3.8b-mini-128k-instruct-q4_0",
        "command-r-plus-08-2024",
    ],
)
def test_real_model_ids_are_kept(model):
    assert scrubbed_model_id(model) == (model, [])


@pytest.mark.parametrize(
    "model",
    [
        HOSTILE_EMAIL,
        HOSTILE_CARD,
        "4111111111111111",
        HOSTILE_PHONE,
        "+442079460958",
        "13800138000",
        "415.555.0123",
        "gpt-4 for carol",  # not a model id's shape
        "llama3@10.20.30.40",
        "sk-proj-abcdefghijklmnopqrstuvwxyz123456",
        "x" * 101,
        "unknown-model-7",  # a renamed placeholder (arena rescrub-chats) is not claimable
    ],
)
def test_model_ids_holding_personal_data_become_the_placeholder(model):
    assert scrubbed_model_id(model)[0] == UNKNOWN_MODEL


@pytest.mark.parametrize("source_format", ["openai", "sharegpt"])
def test_hand_made_hostile_models_in_other_formats(app, api, source_format):
    turns = [
        {"role": "user", "content": "Which sorting algorithm is stable?"},
        {"role": "assistant", "content": "Merge sort.", "model": HOSTILE_EMAIL},
        {"role": "assistant", "content": "Heap sort is not.", "model": "llama3.1:8b"},
    ]
    if source_format == "sharegpt":
        turns = [
            {"from": {"user": "human", "assistant": "gpt"}[t["role"]], "value": t["content"]}
            | ({"model": t["model"]} if "model" in t else {})
            for t in turns
        ]
        chat = {"id": HOSTILE_PHONE, "conversations": turns, "model": HOSTILE_CARD}
    else:
        chat = {"id": HOSTILE_PHONE, "messages": turns, "title": HOSTILE_EMAIL}
    reply = api.post("/api/v1/chats", json={**share_options(), "chats": [chat]})
    assert reply.status_code == 201, reply.get_json()
    assert leaked(every_row(app)) == []
    with app.app_context():
        models = set(db.session.scalars(select(SharedMessage.model_name)))
    assert models == {None, UNKNOWN_MODEL, "llama3.1:8b"}


def test_placeholder_models_never_pair_up(app, api):
    """Hostile model ids all become the placeholder, which may stand for several models: its
    answers form no blind pair, with each other or with a real model."""
    answers = [answer(HOSTILE_EMAIL, "One."), answer(HOSTILE_CARD, "Two."), answer("m-c", "Three.")]
    chat = openwebui_chat("Pairs", [("Which is better?", answers)])
    reply = api.post("/api/v1/chats", json={**share_options(), "chats": json.loads(export(chat))})
    assert reply.status_code == 201
    assert reply.get_json()["chats"][0]["pairs"] == 0
    assert reply.get_json()["redactions"]["EMAIL"] >= 2  # the notes' and the model id's

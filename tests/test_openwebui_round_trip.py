"""The Open WebUI round trip on real 0.12.4 exports (tests/data/chats/openwebui-0.12.4): each file
imports with the chats, pairs and feedback worked out by hand from it, and sharing again, rating
later, or sending the feedback export beside the chat export ends with every pair once and every
answer counted once."""

import copy
import json
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from arena.chats import sharing
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Prompt, Response
from arena.models.chats import AnswerFeedback, ChatDraft, SharedChat, SharedMessage
from tests.conftest import ApiClient, csrf_token
from tests.factories import make_voter

EXPORTS = Path(__file__).parent / "data" / "chats" / "openwebui-0.12.4"
OWNER, OWNER_NAME = "ad7bf48b-6501-42d8-ad6d-4b9b63f498b8", "Jane Doe"  # every chat's owner
OTHER, OTHER_NAME = "0b0b0b0b-1111-4222-8333-444444444444", "Sam Roe"
OPTIONS = {"community": "coding", "licence": "CC0-1.0"}
A, B = "smollm2-a", "smollm2-b"
SKY, FRUIT = "Explain in one sentence why the sky is blue.", "Name one fruit that is yellow."
POEM = "Write a two-line poem about the sea."
EVERY_PAIR = [SKY, FRUIT, POEM]


class Expected(NamedTuple):
    chats: int
    messages: int
    pairs: list[str]  # the prompt of each blind pair (a Prompt with 2+ Responses)
    feedback: int  # AnswerFeedback rows: one per answer with a model, failed ones too
    models: dict  # model -> (answers, thumbs up, thumbs down, failures, mean 1-10 rating)


# All nine chats (worked out from the JSON): sky (a, b, b again: 4 messages), fruit (a, b; "Is
# it sweet?" answered by a: 5), happy (a, b failed: 3), Maria (b: 2), colours (Arena Model ->
# a: 2), signature (a: 2), cat (a three times: 4), poem (a, b, a again: 4), capital (two turns
# of a: 4) = 30 messages, 19 answers with a model. Pairs: the first message of sky, fruit, poem.
# a: 13 answers, up colours, cat, poem, capital; down sky, fruit, signature, cat; 1-10: 3, 2,
# 7, 2, 8, 9 -> 31/6. b: 5 answers and 1 failure; up sky, fruit; down Maria, poem; 8, 9, 1, 3.
ALL = Expected(9, 30, EVERY_PAIR, 19, {A: (13, 4, 4, 0, 5.17), B: (5, 2, 2, 1, 5.25)})
# 12 rows rate 8 chats (happy has no rating); fruit's snapshot was taken before "Is it sweet?":
# 30 - 3 - 2 messages, 19 - 2 - 1 answers; a loses happy's and the follow-up's (11), b the
# failed one; every rating of the chat export is in a row.
FEEDBACK = Expected(8, 25, EVERY_PAIR, 16, {A: (11, 4, 4, 0, 5.17), B: (5, 2, 2, 0, 5.25)})
FILES = {
    # capital: two turns, one answer of a each (no pair); the second rated up, 9/10
    "chat-export-single.json": Expected(1, 4, [], 2, {A: (2, 1, 0, 0, 9.0)}),
    # poem: a, b, a again under one message: one pair; a's second rated up 8, b's down 3
    "chat-export-multi.json": Expected(
        1, 4, [POEM], 3, {A: (2, 1, 0, 0, 8.0), B: (1, 0, 1, 0, 3.0)}
    ),
    # cat: three answers of a: no pair; down (rating null), then up (no details)
    "chat-export-regen.json": Expected(1, 4, [], 3, {A: (3, 1, 1, 0, None)}),
    # colours: Open WebUI's Arena Model picked a (selectedModelId); up, 7/10
    "chat-export-arena.json": Expected(1, 2, [], 1, {A: (1, 1, 0, 0, 7.0)}),
    # happy: b failed beside a: no pair; its row counts a failure, not an answer
    "chat-export-backend-error.json": Expected(
        1, 3, [], 2, {A: (1, 0, 0, 0, None), B: (0, 0, 0, 1, None)}
    ),
    "chat-export-all.json": ALL,
    "chats-all.ndjson": ALL,
    "feedback-history-export.json": FEEDBACK,
}
CONSENT = {"feedback-history-export.json": {"consent": "everyone"}}


def rows(name: str) -> list:
    return json.loads((EXPORTS / name).read_text())


def chat_titled(title: str) -> dict:
    return next(row for row in rows("chat-export-all.json") if row["title"] == title)


def share(api: ApiClient, document, **options):
    return api.post("/api/v1/chats", json={**OPTIONS, **options, "chats": document})


def share_file(api: ApiClient, name: str, **options):
    options = {**CONSENT.get(name, {}), **options}
    if name.endswith(".ndjson"):  # the raw GET /api/v1/chats/all answer, options in the query
        return api.client.post(
            "/api/v1/chats?" + urlencode({**OPTIONS, **options}),
            data=(EXPORTS / name).read_bytes(),
            headers={**api.headers, "Content-Type": "application/x-ndjson"},
        )
    return share(api, rows(name), **options)


def contributor(app, name: str, publish_directly: bool = True) -> ApiClient:
    with app.app_context():
        _, token = make_voter(db.session, name, publish_directly=publish_directly)
    return ApiClient(app.test_client(), token)


def tally(app) -> dict:
    """What shared chats put in the database (the world's own prompts left out)."""
    mined = select(Prompt.id).where(Prompt.origin == "shared_chat")
    queries = {
        "chats": select(SharedChat.id).where(SharedChat.status == "published"),
        "messages": select(SharedMessage.id),
        "feedback": select(AnswerFeedback.id),
        "prompts": mined,
        "responses": select(Response.id).where(Response.prompt_id.in_(mined)),
        "drafts": select(ChatDraft.id),
    }
    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(query.subquery()))
            for name, query in queries.items()
        }


def blind_pairs(app) -> list[str]:
    """The prompt of every active mined prompt with two answers or more: a pair stored twice
    shows twice."""
    query = (
        select(Prompt.text)
        .join(Response, Response.prompt_id == Prompt.id)
        .where(Prompt.origin == "shared_chat", Prompt.is_active)
        .group_by(Prompt.id, Prompt.text)
        .having(func.count(Response.id) >= 2)
    )
    with app.app_context():
        return sorted(db.session.scalars(query))


def stats(app) -> dict:
    reply = app.test_client().get("/api/v1/feedback-stats?community=coding").get_json()
    return {model["model"]: model for model in reply["models"]}


def figures(app) -> dict:
    return {
        name: (m["answers"], m["thumbs_up"], m["thumbs_down"], m["failures"], m["detail_rating"])
        for name, m in stats(app).items()
    }


def holds(app, expected: Expected) -> None:
    found = tally(app)
    assert (found["chats"], found["messages"], found["feedback"]) == (
        expected.chats, expected.messages, expected.feedback,
    )  # fmt: skip
    assert blind_pairs(app) == sorted(expected.pairs)
    assert (found["prompts"], found["responses"]) == (len(expected.pairs), 2 * len(expected.pairs))
    assert figures(app) == expected.models


def unrated(document: list) -> list:
    """The export as it was before anything was rated: every annotation gone."""
    document = copy.deepcopy(document)
    for row in document:
        for message in row["chat"]["history"]["messages"].values():
            message.pop("annotation", None)
            message.pop("feedbackId", None)
    return document


def first_turn(row: dict) -> dict:
    """The chat as it was after its first turn: later messages dropped, links fixed."""
    row = copy.deepcopy(row)
    messages = row["chat"]["history"]["messages"]
    first = next(message for message in messages.values() if message["parentId"] is None)
    for key in [key for key in messages if key not in {first["id"], *first["childrenIds"]}]:
        del messages[key]
    for key in first["childrenIds"]:
        messages[key]["childrenIds"] = []
    return row


def answered_by_b_too(row: dict, question: str) -> dict:
    """The chat with smollm2-b answering `question` beside a, as Open WebUI's side by side."""
    row = copy.deepcopy(row)
    messages = row["chat"]["history"]["messages"]
    asked = next(message for message in messages.values() if message["content"] == question)
    reply = {**messages[asked["childrenIds"][0]], "id": "b-reply", "model": B, "modelIdx": 1}
    messages["b-reply"] = {**reply, "content": "Yes, a ripe banana is sweet.", "usage": {}}
    asked["childrenIds"].append("b-reply")
    return row


# -- every file --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_each_real_export_imports_as_worked_out_and_a_repeat_changes_nothing(
    any_app, any_api, name
):
    reply = share_file(any_api, name)
    assert reply.status_code == 201, reply.get_json()
    holds(any_app, FILES[name])
    before = (tally(any_app), stats(any_app))
    again = share_file(any_api, name)
    assert again.status_code == 200, again.get_json()
    chats = again.get_json()["chats"]
    assert len(chats) == FILES[name].chats
    assert all(c["duplicate"] and c["id"] is None and c["pairs"] == 0 for c in chats)
    assert (tally(any_app), stats(any_app)) == before


def test_a_failed_answer_stays_out_of_pairs_and_keeps_its_error_scrubbed(any_app, any_api):
    document = rows("chat-export-backend-error.json")
    assert share(any_api, document).status_code == 201
    with any_app.app_context():
        failed = db.session.execute(
            select(SharedMessage.content, SharedMessage.error).where(SharedMessage.model_name == B)
        ).one()
    assert tuple(failed) == ("", "Open WebUI: Server Connection Error")
    [message] = [m for m in any_api.get("/api/v1/chats").get_json()["chats"][0]["messages"]
                 if m["model"] == B]  # fmt: skip
    assert message["failed"] and message["error"] == "Open WebUI: Server Connection Error"
    # The same failure, had the backend's message named a host and a mailbox:
    [failure] = [m for m in document[0]["chat"]["history"]["messages"].values() if m.get("error")]
    failure["error"]["content"] = "Server Connection Error: 198.51.100.23 for ops.lead@acme-corp.de"
    document[0]["id"] = document[0]["chat"]["id"] = "another-chat"
    assert share(contributor(any_app, "second"), document).status_code == 201
    with any_app.app_context():
        errors = set(
            db.session.scalars(select(SharedMessage.error).where(SharedMessage.error != ""))
        )
    assert "Server Connection Error: [IP_ADDRESS] for [EMAIL]" in errors
    assert not any("acme-corp" in e or "198.51" in e for e in errors if e)


# -- sharing again -----------------------------------------------------------------------------


def test_ratings_given_after_sharing_arrive_with_the_feedback_export(any_app, any_api):
    first = share(any_api, unrated(rows("chat-export-multi.json"))).get_json()["chats"][0]
    assert figures(any_app) == {A: (2, 0, 0, 0, None), B: (1, 0, 0, 0, None)}
    reply = share_file(any_api, "feedback-history-export.json")
    assert reply.status_code == 201
    poem = next(c for c in reply.get_json()["chats"] if c["title"] == POEM)
    assert (poem["id"], poem["updated"], poem["new_ratings"], poem["new_messages"]) == (
        first["id"], True, 2, 0,
    )  # fmt: skip
    assert poem["pairs"] == 0
    holds(any_app, FEEDBACK)


@pytest.mark.parametrize(
    "export",
    [rows("chat-export-multi.json"), unrated(rows("chat-export-multi.json"))],
    ids=["rated", "unrated"],
)
def test_a_chat_export_after_the_feedback_export_adds_nothing(any_app, any_api, export):
    share_file(any_api, "feedback-history-export.json")
    reply = share(any_api, export)
    assert reply.status_code == 200 and reply.get_json()["chats"][0]["duplicate"]
    holds(any_app, FEEDBACK)  # an unrated copy takes no rating away either


@pytest.mark.parametrize("feedback_first", [False, True])
def test_export_all_and_the_feedback_export_in_either_order(any_app, any_api, feedback_first):
    files = ["chat-export-all.json", "feedback-history-export.json"]
    first, second = reversed(files) if feedback_first else files
    assert share_file(any_api, first).status_code == 201
    reply = share_file(any_api, second)
    reports = {c["title"]: c for c in reply.get_json()["chats"]}
    if feedback_first:  # the chat export brings happy, and fruit's follow-up
        assert reply.status_code == 201
        assert (reports[FRUIT]["updated"], reports[FRUIT]["new_messages"]) == (True, 2)
        assert not reports["Give me one word for happy."]["updated"]
    else:  # every snapshot, fruit's shorter one too, was shared already with its ratings
        assert reply.status_code == 200
        assert all(report["duplicate"] for report in reports.values())
    holds(any_app, ALL)  # 9 chats, not 10; 19 feedback rows, not 21
    a, b = stats(any_app)[A], stats(any_app)[B]
    assert (a["regeneration_rate"], b["regeneration_rate"]) == (0.231, 0.2)  # 3/13, 1/5
    # sky and fruit: b up and a down; poem: a up and b down
    assert (a["preferred_over"], a["less_preferred_than"]) == ({B: 1}, {B: 2})
    assert {r["code"]: r["count"] for r in b["reasons"]} == {
        "accurate_information": 2, "other": 1, "not_helpful": 1,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("grown", "new_messages", "new_pairs", "pairs"),
    [
        (chat_titled(FRUIT), 2, 0, [FRUIT]),  # "Is it sweet?" had one answer
        (answered_by_b_too(chat_titled(FRUIT), "Is it sweet?"), 3, 1, [FRUIT, "Is it sweet?"]),
    ],
)
def test_sharing_a_grown_chat_again_appends_its_new_turn(
    any_app, any_api, grown, new_messages, new_pairs, pairs
):
    first = share(any_api, [first_turn(grown)]).get_json()["chats"][0]
    assert (first["pairs"], tally(any_app)["messages"]) == (1, 3)
    again = share(any_api, [grown])
    assert again.status_code == 201
    report = again.get_json()["chats"][0]
    assert (report["id"], report["updated"], report["duplicate"]) == (first["id"], True, False)
    assert (report["new_messages"], report["pairs"]) == (new_messages, new_pairs)
    found = tally(any_app)
    assert (found["chats"], found["messages"]) == (1, 3 + new_messages)
    assert blind_pairs(any_app) == sorted(pairs)
    assert found["prompts"] == len(pairs)  # the first turn's prompt was not stored again
    assert share(any_api, [first_turn(grown)]).get_json()["chats"][0]["duplicate"]


def test_contributors_sharing_one_chat_keep_their_own_copies(any_app, any_api):
    fruit, other = chat_titled(FRUIT), contributor(any_app, "other")
    mine = share(any_api, [first_turn(fruit)]).get_json()["chats"][0]["id"]
    theirs = share(other, [fruit]).get_json()["chats"][0]
    assert theirs["id"] != mine and not theirs["updated"]
    grown = answered_by_b_too(fruit, "Is it sweet?")
    assert share(any_api, [grown]).get_json()["chats"][0]["id"] == mine
    with any_app.app_context():
        sizes = dict(
            db.session.execute(
                select(SharedChat.id, func.count(SharedMessage.id))
                .join(SharedMessage, SharedMessage.chat_id == SharedChat.id)
                .group_by(SharedChat.id)
            ).all()
        )
    assert sizes == {mine: 6, theirs["id"]: 5}


def test_a_withdrawn_chat_shared_again_is_a_new_chat(any_app, any_api):
    first = share_file(any_api, "chat-export-multi.json").get_json()["chats"][0]["id"]
    with any_app.app_context():
        owner = db.session.get(SharedChat, first).contributor_id
        with unit_of_work(db.session):
            sharing.withdraw(db.session, owner, first)
    reply = share_file(any_api, "chat-export-multi.json")
    assert reply.status_code == 201
    again = reply.get_json()["chats"][0]
    assert again["id"] != first and not again["updated"] and again["pairs"] == 1
    assert blind_pairs(any_app) == [POEM]  # the withdrawn chat's pair left the arena
    assert tally(any_app)["chats"] == 1


# -- consent -----------------------------------------------------------------------------------


def two_owners() -> list:
    """chat-export-all.json with the sky and fruit chats handed to another Open WebUI user."""
    document = rows("chat-export-all.json")
    for row in document:
        if row["title"] in (SKY, FRUIT):
            row["user_id"] = OTHER
            for message in row["chat"]["history"]["messages"].values():
                message.update(user_id=OTHER, user={"id": OTHER, "name": OTHER_NAME})
    return document


@pytest.mark.parametrize("publish_directly", [True, False])
@pytest.mark.parametrize(
    ("document", "names"),
    [
        (rows("feedback-history-export.json"), [OWNER, OWNER_NAME, "feedback export"]),
        (two_owners(), [OWNER, OWNER_NAME, OTHER, OTHER_NAME]),
    ],
)
def test_other_peoples_chats_need_consent_and_store_nothing_without(
    any_app, any_world, publish_directly, document, names
):
    api = contributor(any_app, "admin", publish_directly)
    before = tally(any_app)
    for options in ({}, {"only_user": "someone-not-in-the-file"}):
        reply = share(api, document, **options)
        assert reply.status_code == 400
        assert tally(any_app) == before
    assert all(name in share(api, document).get_json()["error"] for name in names)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (rows("feedback-history-export.json"), FEEDBACK),
        (two_owners(), ALL._replace(chats=7, messages=21, pairs=[POEM], feedback=13,
                                    models={A: (10, 4, 2, 0, 6.5), B: (2, 0, 2, 1, 2.0)})),
    ],
)  # fmt: skip
def test_only_the_chosen_users_chats_are_taken(any_app, any_api, document, expected):
    # All nine but sky (4 messages: a 1, b 2) and fruit (5: a 2, b 1), so the poem's pair alone.
    # a: up colours, cat, poem, capital; down signature, cat; 1-10: 7, 2, 8, 9 -> 6.5. b: down
    # Maria (1) and the poem (3), and happy's failure.
    reply = share(any_api, document, only_user=OWNER)
    assert reply.status_code == 201, reply.get_json()
    holds(any_app, expected)

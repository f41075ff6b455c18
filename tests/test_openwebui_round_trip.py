"""The Open WebUI round trip on real 0.12.4 exports: each file imports with the chats, pairs and
feedback worked out by hand from it; sharing again, rating later, or sending the feedback export
beside the chat export, ends with every pair stored once and every answer counted once."""

import copy
import json
from itertools import product
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from arena.chats import sharing
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Prompt, Response, User
from arena.models.chats import AnswerFeedback, ChatDraft, SharedChat, SharedMessage
from tests.conftest import ApiClient, csrf_token
from tests.factories import accept_shared_chats, make_voter

EXPORTS = Path(__file__).parent / "data" / "chats" / "openwebui-0.12.4"
OWNER, OWNER_NAME = "ad7bf48b-6501-42d8-ad6d-4b9b63f498b8", "Jane Doe"  # every chat's owner
OTHER, OTHER_NAME = "0b0b0b0b-1111-4222-8333-444444444444", "Sam Roe"
OPTIONS = {"community": "coding", "licence": "CC0-1.0"}
A, B = "smollm2-a", "smollm2-b"
SKY, FRUIT = "Explain in one sentence why the sky is blue.", "Name one fruit that is yellow."
POEM, FOLLOW_UP = "Write a two-line poem about the sea.", "Is it sweet?"


class Expected(NamedTuple):
    chats: int
    messages: int
    pairs: list[str]  # the prompt of each blind pair (a Prompt with 2+ Responses)
    feedback: int  # AnswerFeedback rows: one per answer with a model, failed ones too
    models: dict  # model -> (answers, thumbs up, thumbs down, failures, mean 1-10 rating)


# All nine chats: sky (a, b, b again: 4 messages), fruit (a, b; "Is it sweet?" answered by a: 5),
# happy (a, b failed: 3), Maria (b: 2), colours (Arena Model -> a: 2), signature (a: 2), cat (a
# three times: 4), poem (a, b, a again: 4), capital (two turns of a: 4) = 30 messages, 19 answers
# with a model; pairs under the first message of sky, fruit and poem. a: 13 answers, up colours,
# cat, poem, capital, down sky, fruit, signature, cat, 1-10: 3 2 7 2 8 9 -> 31/6. b: 5 answers
# and happy's failure, up sky, fruit, down Maria, poem, 1-10: 8 9 1 3 -> 21/4.
ALL = Expected(9, 30, [SKY, FRUIT, POEM], 19, {A: (13, 4, 4, 0, 5.17), B: (5, 2, 2, 1, 5.25)})
# 12 rows rate 8 chats (all but happy) with the chat export's ratings; fruit's snapshot predates
# "Is it sweet?": 30 - 3 - 2 messages, 19 - 2 - 1 answers (a: happy's, the follow-up; b: failure).
FEEDBACK = Expected(8, 25, ALL.pairs, 16, {A: (11, 4, 4, 0, 5.17), B: (5, 2, 2, 0, 5.25)})
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
    # happy: b failed beside a: no pair; b's row counts a failure, not an answer
    "chat-export-backend-error.json": Expected(
        1, 3, [], 2, {A: (1, 0, 0, 0, None), B: (0, 0, 0, 1, None)}
    ),
    "chat-export-all.json": ALL,
    "chats-all.ndjson": ALL,
    "feedback-history-export.json": FEEDBACK,
}


def rows(name: str) -> list:
    return json.loads((EXPORTS / name).read_text())


def chat_titled(title: str) -> dict:
    return next(row for row in rows("chat-export-all.json") if row["title"].startswith(title))


def share(api: ApiClient, document, **options):
    return api.post("/api/v1/chats", json={**OPTIONS, **options, "chats": document})


def share_file(api: ApiClient, name: str, **options):
    options = {"consent": "everyone", **options} if name.startswith("feedback") else options
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
    """What shared chats stored: row counts, each blind pair's prompt (twice if stored twice)."""
    mined = select(Prompt.id).where(Prompt.origin == "shared_chat")
    queries = {
        "chats": select(SharedChat.id).where(SharedChat.status == "published"),
        "messages": select(SharedMessage.id),
        "feedback": select(AnswerFeedback.id),
        "prompts": mined,
        "responses": select(Response.id).where(Response.prompt_id.in_(mined)),
        "drafts": select(ChatDraft.id),
    }
    pairs = (  # of chats still shared (they wait for auditors before they are served)
        select(Prompt.text)
        .join(Response, Response.prompt_id == Prompt.id)
        .join(SharedChat, SharedChat.id == Prompt.shared_chat_id)
        .where(Prompt.origin == "shared_chat", SharedChat.status == "published")
        .group_by(Prompt.id, Prompt.text)
        .having(func.count(Response.id) >= 2)
    )
    with app.app_context():
        found = {
            name: db.session.scalar(select(func.count()).select_from(query.subquery()))
            for name, query in queries.items()
        }
        return {**found, "pairs": sorted(db.session.scalars(pairs))}


def stats(app) -> dict:
    """Feedback statistics once auditors accepted every shared chat (they count nothing else)."""
    with app.app_context():
        accept_shared_chats(db.session)
    reply = app.test_client().get("/api/v1/feedback-stats?community=coding").get_json()
    return {model["model"]: model for model in reply["models"]}


def figures(app) -> dict:
    fields = ("answers", "thumbs_up", "thumbs_down", "failures", "detail_rating")
    return {name: tuple(model[f] for f in fields) for name, model in stats(app).items()}


def holds(app, expected: Expected) -> None:
    found = tally(app)
    counted = (found["chats"], found["messages"], found["feedback"])
    assert counted == (expected.chats, expected.messages, expected.feedback)
    assert found["pairs"] == sorted(expected.pairs)
    assert (found["prompts"], found["responses"]) == (len(expected.pairs), 2 * len(expected.pairs))
    assert figures(app) == expected.models


def unrated(document: list) -> list:
    """The export as it was before anything was rated: every annotation gone."""
    document = copy.deepcopy(document)
    for row in document:
        for message in row["chat"]["history"]["messages"].values():
            message.pop("annotation", None)
    return document


def first_turn(row: dict) -> dict:
    """The chat as it was after its first turn: later messages dropped, links fixed."""
    row = copy.deepcopy(row)
    messages = row["chat"]["history"]["messages"]
    first = next(message for message in messages.values() if message["parentId"] is None)
    for key in set(messages) - {first["id"], *first["childrenIds"]}:
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


@pytest.mark.parametrize("name", FILES)
def test_each_real_export_imports_as_worked_out_and_once(any_app, any_api, name):
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


@pytest.mark.parametrize(
    ("error", "stored"),
    [
        ("Open WebUI: Server Connection Error", "Open WebUI: Server Connection Error"),  # real
        ("Error: 198.51.100.23 for ops.lead@acme-corp.de", "Error: [IP_ADDRESS] for [EMAIL]"),
    ],
)
def test_a_failed_answer_is_no_pair_and_keeps_its_error_scrubbed(any_app, any_api, error, stored):
    document = rows("chat-export-backend-error.json")
    [failed] = [m for m in document[0]["chat"]["history"]["messages"].values() if m.get("error")]
    failed["error"]["content"] = error
    assert share(any_api, document).status_code == 201
    holds(any_app, FILES["chat-export-backend-error.json"])  # no pair; b: 1 failure, 0 answers
    with any_app.app_context():
        query = select(SharedMessage.content, SharedMessage.error)
        assert tuple(db.session.execute(query.where(SharedMessage.model_name == B)).one()) == (
            "", stored,
        )  # fmt: skip


@pytest.mark.parametrize("rated_first", [False, True])
def test_later_ratings_arrive_once_whichever_export_comes_first(any_app, any_api, rated_first):
    poem = unrated(rows("chat-export-multi.json"))  # the chat as shared before it was rated
    if rated_first:
        share_file(any_api, "feedback-history-export.json")
        reply = share(any_api, poem)  # takes no rating away
        assert reply.status_code == 200 and reply.get_json()["chats"][0]["duplicate"]
    else:
        first = share(any_api, poem).get_json()["chats"][0]
        assert figures(any_app) == {A: (2, 0, 0, 0, None), B: (1, 0, 0, 0, None)}
        reply = share_file(any_api, "feedback-history-export.json")
        assert reply.status_code == 201
        report = next(c for c in reply.get_json()["chats"] if c["title"] == POEM)
        assert (report["id"], report["updated"], report["new_ratings"]) == (first["id"], True, 2)
        assert (report["new_messages"], report["pairs"]) == (0, 0)
    holds(any_app, FEEDBACK)


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


@pytest.mark.parametrize(
    ("grown", "added", "mined", "pairs"),
    [
        (chat_titled(FRUIT), 2, 0, [FRUIT]),  # "Is it sweet?" has one answer
        (answered_by_b_too(chat_titled(FRUIT), FOLLOW_UP), 3, 1, [FRUIT, FOLLOW_UP]),
    ],
)
def test_a_grown_chat_shared_again_gains_its_new_turn(any_app, any_api, grown, added, mined, pairs):
    first = share(any_api, [first_turn(grown)]).get_json()["chats"][0]
    assert (first["pairs"], tally(any_app)["messages"]) == (1, 3)
    again = share(any_api, [grown])
    assert again.status_code == 201
    report = again.get_json()["chats"][0]
    assert (report["id"], report["updated"], report["duplicate"]) == (first["id"], True, False)
    assert (report["new_messages"], report["pairs"]) == (added, mined)
    found = tally(any_app)
    assert (found["chats"], found["messages"], found["pairs"]) == (1, 3 + added, sorted(pairs))
    assert found["prompts"] == len(pairs)  # the first turn's prompt was not stored again
    assert share(any_api, [first_turn(grown)]).get_json()["chats"][0]["duplicate"]


def test_contributors_sharing_one_chat_keep_their_own_copies(any_app, any_api):
    fruit, other = chat_titled(FRUIT), contributor(any_app, "other")
    mine = share(any_api, [first_turn(fruit)]).get_json()["chats"][0]["id"]
    theirs = share(other, [fruit]).get_json()["chats"][0]
    assert theirs["id"] != mine and not theirs["updated"]
    grown = share(any_api, [answered_by_b_too(fruit, FOLLOW_UP)]).get_json()["chats"][0]
    assert grown["id"] == mine
    with any_app.app_context():
        sizes = select(SharedMessage.chat_id, func.count()).group_by(SharedMessage.chat_id)
        assert dict(db.session.execute(sizes).all()) == {mine: 3 + 3, theirs["id"]: 5}


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
    found = tally(any_app)  # the withdrawn chat's pair left the arena
    assert (found["chats"], found["pairs"]) == (1, [POEM])


def two_owners() -> list:
    """chat-export-all.json with the sky and fruit chats handed to another Open WebUI user."""
    document = rows("chat-export-all.json")
    for row in document:
        if row["title"] in (SKY, FRUIT):
            row["user_id"] = OTHER
            for message in row["chat"]["history"]["messages"].values():
                message.update(user_id=OTHER, user={"id": OTHER, "name": OTHER_NAME})
    return document


# All nine but sky (4 messages: a 1, b 2) and fruit (5: a 2, b 1), so the poem's pair alone. a: up
# colours, cat, poem, capital, down signature, cat, 1-10: 7 2 8 9; b: down Maria (1), poem (3).
OWNERS_OWN = Expected(7, 21, [POEM], 13, {A: (10, 4, 2, 0, 6.5), B: (2, 0, 2, 1, 2.0)})


@pytest.mark.parametrize(
    ("document", "names", "own"),
    [
        (rows("feedback-history-export.json"), [OWNER, OWNER_NAME, "feedback export"], FEEDBACK),
        (two_owners(), [OWNER, OWNER_NAME, OTHER, OTHER_NAME], OWNERS_OWN),
    ],
)
def test_other_peoples_chats_need_consent(any_app, any_api, document, names, own):
    drafter, before = contributor(any_app, "drafter", publish_directly=False), tally(any_app)
    for api, options in product((any_api, drafter), ({}, {"only_user": "not-in-the-file"})):
        assert share(api, document, **options).status_code == 400
        assert tally(any_app) == before  # no chat, no draft
    assert all(name in share(any_api, document).get_json()["error"] for name in names)
    reply = share(any_api, document, only_user=OWNER)
    assert reply.status_code == 201, reply.get_json()
    holds(any_app, own)


@pytest.mark.parametrize("name", ["chat-export-multi.json", "feedback-history-export.json"])
def test_a_draft_stores_nothing_until_published_through_the_preview(any_app, any_world, name):
    api = contributor(any_app, "drafter", publish_directly=False)
    reply = share_file(api, name)
    assert reply.status_code == 202, reply.get_json()
    assert len(reply.get_json()["chats"]) == FILES[name].chats
    assert tally(any_app) == {**tally(any_app), "chats": 0, "messages": 0, "drafts": 1}
    browser, preview = any_app.test_client(), reply.get_json()["preview_url"]
    login = {"username": "drafter", "password": "correct horse", "csrf_token": csrf_token(browser)}
    assert browser.post("/login", data=login).status_code == 302
    form = {"csrf_token": csrf_token(browser, preview), **OPTIONS}
    assert browser.post(preview + "/publish", data=form).status_code == 302
    holds(any_app, FILES[name])
    assert tally(any_app)["drafts"] == 0


def test_a_draft_of_a_grown_chat_reports_only_its_new_pairs(any_app, any_api):
    fruit = chat_titled(FRUIT)
    share(any_api, [first_turn(fruit)])
    with any_app.app_context(), unit_of_work(db.session):
        db.session.scalar(select(User).where(User.username == "voter")).publish_directly = False
    report = share(any_api, [fruit]).get_json()["chats"][0]
    assert (report["updated"], report["new_messages"]) == (True, 2)
    assert report["pairs"] == 0  # published at once, the same chat reports 0: the pair exists


def test_detailed_ratings_reach_the_api_and_the_stats_but_personal_data_does_not(any_app, any_api):
    capital = rows("chat-export-single.json")[0]
    [answer] = [m for m in capital["chat"]["history"]["messages"].values() if "annotation" in m]
    answer["annotation"]["tags"] = ["geography", "concise"]  # the real files' tags are all empty
    chats = [capital, chat_titled("Hi, I'm Maria Rossi"), chat_titled("Your concise title")]
    assert share(any_api, chats).status_code == 201
    listing = any_api.get("/api/v1/chats")
    rated = [m for chat in listing.get_json()["chats"] for m in chat["messages"] if m["rating"]]
    fields = ("rating", "detail_rating", "reason", "reason_label", "feedback_tags", "feedback_note")
    ratings = sorted(tuple(message[name] for name in fields) for message in rated)
    assert ratings == [
        (-1, 1, "other", "Other", [], "It ignored me. Write to [EMAIL], tel [PHONE]"),
        # jane.doe@example.com: a stock address at an RFC 2606 domain is left on purpose
        (-1, 2, "other", "Other", [], "Call me on [PHONE] or mail jane.doe@example.com"),
        (1, 9, "accurate_information", "Accurate information", ["geography", "concise"],
         "Short and right."),
    ]  # fmt: skip
    a, b = stats(any_app)[A], stats(any_app)[B]
    assert (a["detail_rating"], a["detail_ratings"], a["tags"]) == (
        5.5, 2, {"concise": 1, "geography": 1},
    )  # fmt: skip
    reasons = [(r["code"], r["label"], r["count"]) for r in a["reasons"]]
    assert reasons == [("accurate_information", "Accurate information", 1), ("other", "Other", 1)]
    assert (b["detail_rating"], b["reasons"][0]["label"]) == (1.0, "Other")
    stats_page = any_app.test_client().get("/api/v1/feedback-stats").get_data(as_text=True)
    assert "smollm2" in stats_page
    for text in (listing.get_data(as_text=True), stats_page):
        digits = "".join(filter(str.isdigit, text))
        assert "maria.rossi84" not in text and "23456789" not in digits
        assert "4155550132" not in digits

"""The prompt library: sharing, sort orders, upvotes and their points, comments, pages, API."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from arena.core.db import unit_of_work
from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.core.events import PeopleChanged, PointsChanged
from arena.extensions import db, socketio
from arena.game import points
from arena.library import prompts as prompt_library
from arena.models import Community, LanguageModel, PointEvent, Prompt, User, Vote
from arena.models.library import PromptComment, PromptShare, PromptUpvote
from tests.conftest import csrf_token, sign_up

NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
TABLES = (PromptShare, PromptUpvote, PromptComment, PointEvent)


def counts() -> dict:
    return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def person(name: str, **fields) -> int:
    user = User(username=name, password_hash="not a real hash", **fields)
    db.session.add(user)
    db.session.commit()
    return user.id


def share(author_id, title="Explain recursion", community="general", **fields) -> int:
    fields.setdefault("text", f"{title}, please.")
    with unit_of_work(db.session):
        return prompt_library.share_prompt(db.session, author_id, community, title, **fields).id


def upvote(user_id: int, prompt_id: int, **options):
    """The library's upvote in its own unit of work, as a request runs it."""
    with unit_of_work(db.session):
        return prompt_library.upvote(db.session, user_id, prompt_id, **options)


def asked(share_id: int, *choices: str) -> None:
    """An arena prompt asked from the library prompt, with one vote per choice on its answers."""
    community_id = db.session.scalar(
        select(PromptShare.community_id).where(PromptShare.id == share_id)
    )
    model_a, model_b = db.session.scalars(select(LanguageModel.id).limit(2)).all()
    prompt = Prompt(
        community_id=community_id, origin="custom", text="asked", library_prompt_id=share_id
    )
    db.session.add(prompt)
    db.session.flush()
    for choice in choices:
        db.session.add(
            Vote(
                community_id=community_id,
                prompt_id=prompt.id,
                model_a_id=model_a,
                model_b_id=model_b,
                choice=choice,
            )
        )
    db.session.commit()


def titles(rows) -> list[str]:
    return [row["title"] for row in rows]


def logged_in(app, username):
    client = app.test_client()
    assert sign_up(client, username).status_code == 302
    return client


def share_in_page(client, **fields):
    data = {
        "title": "Regex walk-through",
        "text": "Explain `^a+b?$` **step by step**.",
        "system_prompt": "You are a patient teacher.",
        "tags": "Regex, python",
        "community": "coding",
        "csrf_token": csrf_token(client, "/prompts"),
        **fields,
    }
    return client.post("/prompts", data=data)


def share_id(app, title="Regex walk-through") -> int:
    with app.app_context():
        return db.session.scalar(select(PromptShare.id).where(PromptShare.title == title))


def test_a_shared_prompt_is_listed_with_everything_needed_to_reuse_it(app, browser_client):
    reply = share_in_page(browser_client)
    prompt_id = share_id(app)
    assert reply.status_code == 302 and reply.location == f"/prompts/{prompt_id}"
    body = app.test_client().get("/api/v1/prompts").get_json()
    assert (body["sort"], body["community"]) == ("top", None)
    [row] = body["prompts"]
    assert row["created_at"].startswith(str(datetime.now(UTC).year))
    del row["created_at"]
    assert row == {
        "id": prompt_id,
        "title": "Regex walk-through",
        "text": "Explain `^a+b?$` **step by step**.",
        "system_prompt": "You are a patient teacher.",
        "tags": ["regex", "python"],
        "community": "coding",
        "author": "alice",
        "upvotes": 0,
        "comments": 0,
        "uses": 0,
        "votes": 0,
        "answer_rating": None,
    }
    page = app.test_client().get("/prompts").get_data(as_text=True)
    assert "<strong>step by step</strong>" in page and "You are a patient teacher." in page
    assert f'href="/arena?community=coding&amp;ask={prompt_id}">Use in arena<' in page
    assert 'href="/prompts?tag=regex"' in page and "by alice" in page
    assert 'id="share-prompt"' not in page  # sharing needs an account


def test_sort_orders_top_new_and_by_answer_rating(any_app, any_world):
    with any_app.app_context():
        author, fans = person("author"), [person(f"fan{n}") for n in range(3)]
        old = share(author, "Old and loved")
        rated = share(author, "Answers shine")
        share(author, "Newest, untried")
        mixed = share(author, "Answers mixed", community="coding")
        for fan in fans:
            upvote(fan, old, at=NOON)
        upvote(fans[0], mixed, at=NOON)
        asked(rated, "a", "b", "tie")
        asked(mixed, "a", "both_bad")
        asked(mixed, "both_bad", "b")  # a second arena prompt asked from the same library prompt
        asked(old)  # asked, but nobody has voted on its answers yet

        top = prompt_library.library(db.session, "top")
        assert titles(top) == ["Old and loved", "Answers mixed", "Newest, untried", "Answers shine"]
        assert [row["upvotes"] for row in top] == [3, 1, 0, 0]
        new = prompt_library.library(db.session, "new")
        assert titles(new) == ["Answers mixed", "Newest, untried", "Answers shine", "Old and loved"]
        by_rating = prompt_library.library(db.session, "rated")
        assert titles(by_rating) == [
            "Answers shine",
            "Answers mixed",
            "Old and loved",  # no votes: last, then by upvotes
            "Newest, untried",
        ]
        stats = {r["title"]: (r["uses"], r["votes"], r["answer_rating"]) for r in by_rating}
        assert stats == {
            "Answers shine": (1, 3, 1.0),
            "Answers mixed": (2, 4, 0.5),
            "Old and loved": (1, 0, None),
            "Newest, untried": (0, 0, None),
        }
        assert titles(prompt_library.library(db.session, "top", "coding")) == ["Answers mixed"]
        assert titles(prompt_library.library(db.session, "top", limit=2)) == titles(top)[:2]


def test_library_filters_by_whole_tags_and_checks_its_parameters(any_app, any_world):
    with any_app.app_context():
        author = person("author")
        share(author, "Plain C", tags=["c"])
        share(author, "C sharp and C++", tags=["C#", "c++"])
        share(author, "Snake_case", tags=["snake_case"])
        assert titles(prompt_library.library(db.session, tag="C")) == ["Plain C"]
        assert titles(prompt_library.library(db.session, tag="c++")) == ["C sharp and C++"]
        assert titles(prompt_library.library(db.session, tag="snake_case")) == ["Snake_case"]
        assert prompt_library.library(db.session, tag="snake%") == []
        with pytest.raises(InvalidInput, match="sort must be one of top, new, rated"):
            prompt_library.library(db.session, "hot")
        with pytest.raises(NotFound):
            prompt_library.library(db.session, community_slug="astrology")
    client = any_app.test_client()
    body = client.get("/api/v1/prompts?sort=new&community=general&tag=c%23").get_json()
    assert (body["sort"], body["community"]) == ("new", "general")
    assert titles(body["prompts"]) == ["C sharp and C++"]
    assert client.get("/api/v1/prompts?sort=hot").get_json() == {
        "error": "sort must be one of top, new, rated.",
        "status": 400,
    }
    assert client.get("/api/v1/prompts?community=astrology").status_code == 404
    assert client.get("/prompts?sort=hot").status_code == 400


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "Hi"}, "The title must be 3 to 120 characters long."),
        ({"title": "x" * 121}, "The title must be 3 to 120 characters long."),
        ({"text": "   "}, "The prompt must be 1 to 4,000 characters long."),
        ({"text": "x" * 4001}, "The prompt must be 1 to 4,000 characters long."),
        ({"system_prompt": "x" * 2001}, "The system prompt is limited to 2,000 characters."),
        ({"tags": [f"t{n}" for n in range(9)]}, "at most 8 tags"),
        ({"tags": ["x" * 31]}, "use up to 30 letters"),
        ({"tags": ["<script>"]}, "use up to 30 letters"),
        ({"tags": "python"}, "tags must be a list"),
        ({"text": 42}, "The prompt must be text."),
    ],
)
def test_invalid_shares_are_refused_and_change_nothing(app, world, fields, message):
    with app.app_context():
        author = person("author")
        before = counts()
        with pytest.raises(InvalidInput, match=re.escape(message)):
            share(author, **{"text": "A fine prompt.", **fields})
        with pytest.raises(NotFound, match="no community called 'astrology'"):
            share(author, community="astrology")
        assert counts() == before


def test_the_share_form_reports_errors_and_needs_an_account(app, browser_client):
    reply = share_in_page(browser_client, title="Hi")
    assert reply.status_code == 400
    assert "The title must be 3 to 120 characters long." in reply.get_data(as_text=True)
    visitor = app.test_client()
    refused = share_in_page(visitor)
    assert refused.status_code == 302 and refused.location.startswith("/signup")
    with app.app_context():
        assert counts()["PromptShare"] == 0


def test_forms_need_the_csrf_token(app, browser_client):
    assert share_in_page(browser_client).status_code == 302
    prompt_id = share_id(app)
    bob = logged_in(app, "bob")
    data = {"title": "No token here", "text": "Hello", "community": "general"}
    for url, form in [
        ("/prompts", data),
        (f"/prompts/{prompt_id}/upvote", {}),
        (f"/prompts/{prompt_id}/comments", {"text": "Nice one"}),
    ]:
        reply = bob.post(url, data=form)
        assert reply.status_code == 400 and "Security check failed" in reply.get_data(as_text=True)
    with app.app_context():
        assert counts() == {
            "PromptShare": 1,
            "PromptUpvote": 0,
            "PromptComment": 0,
            "PointEvent": 0,
        }


def test_one_upvote_per_person_never_your_own_and_the_author_is_told(app, browser_client):
    share_in_page(browser_client)
    prompt_id = share_id(app)
    alice_socket = socketio.test_client(app, flask_test_client=browser_client)
    bob = logged_in(app, "bob")
    token = csrf_token(bob, "/prompts")
    page = bob.get("/prompts").get_data(as_text=True)
    assert f'action="/prompts/{prompt_id}/upvote"' in page
    first = bob.post(
        f"/prompts/{prompt_id}/upvote",
        data={"csrf_token": token, "next": "/prompts?sort=new#prompt-1"},
    )
    assert first.status_code == 302 and first.location == "/prompts?sort=new#prompt-1"
    again = bob.post(f"/prompts/{prompt_id}/upvote", data={"csrf_token": token})
    assert again.status_code == 409 and "already upvoted" in again.get_data(as_text=True)
    own = browser_client.post(
        f"/prompts/{prompt_id}/upvote", data={"csrf_token": csrf_token(browser_client, "/")}
    )
    assert own.status_code == 400 and "your own prompt" in own.get_data(as_text=True)
    assert bob.post("/prompts/999/upvote", data={"csrf_token": token}).status_code == 404

    received = [(e["name"], e["args"][0]) for e in alice_socket.get_received()]
    assert ("points", {"delta": 1, "points": 1, "points_this_week": 1}) in received
    with app.app_context():
        alice = db.session.scalar(select(User.id).where(User.username == "alice"))
        assert points.total_points(db.session, alice) == 1
        assert counts()["PromptUpvote"] == 1
    assert "▲ 1</span>" in browser_client.get("/prompts").get_data(as_text=True)  # no button
    bobs_page = bob.get(f"/prompts/{prompt_id}").get_data(as_text=True)
    assert re.search(r"<button[^>]*disabled[^>]*>▲ 1<", bobs_page)


def test_upvotes_cannot_redirect_elsewhere(app, browser_client):
    share_in_page(browser_client)
    prompt_id = share_id(app)
    bob = logged_in(app, "bob")
    reply = bob.post(
        f"/prompts/{prompt_id}/upvote",
        data={"csrf_token": csrf_token(bob, "/prompts"), "next": "//evil.example/prompts"},
    )
    assert reply.location == f"/prompts/{prompt_id}"


def test_upvote_points_grow_by_one_up_to_twenty_a_day(any_app, any_world):
    with any_app.app_context():
        author = person("author")
        prompt_id = share(author, community="coding")
        fans = [person(f"fan{n}") for n in range(22)]
        events = upvote(fans[0], prompt_id, at=NOON)
        assert events == [
            PointsChanged(user_id=author, delta=1, points=1, points_this_week=1),
            PeopleChanged(scopes=["overall", "coding"]),
        ]
        for fan in fans[1:21]:
            upvote(fan, prompt_id, at=NOON + timedelta(minutes=fan))
        assert points.total_points(db.session, author) == 20  # 21 upvotes, capped at 20 a day
        over_the_cap = upvote(fans[21], prompt_id, at=NOON)
        assert over_the_cap == []
        assert prompt_library.library(db.session)[0]["upvotes"] == 22

        late_fan = person("late")
        upvote(late_fan, prompt_id, at=NOON + timedelta(days=1))
        assert points.total_points(db.session, author) == 21
        ledger = db.session.execute(
            select(PointEvent.reason, PointEvent.board, func.sum(PointEvent.amount))
            .join(Community, Community.id == PointEvent.community_id)
            .where(PointEvent.user_id == author, Community.slug == "coding")
            .group_by(PointEvent.reason, PointEvent.board)
        ).all()
        assert ledger == [("prompt_upvoted", "contributors", 21)]
        assert db.session.scalar(select(func.count(PointEvent.id))) == 21


def test_a_second_upvote_and_a_self_upvote_change_nothing(any_app, any_world):
    with any_app.app_context():
        author, fan = person("author"), person("fan")
        prompt_id = share(author)
        upvote(fan, prompt_id, at=NOON)
        before = counts()
        with pytest.raises(Conflict, match="already upvoted"):
            upvote(fan, prompt_id, at=NOON)
        with pytest.raises(InvalidInput, match="can't upvote your own prompt"):
            upvote(author, prompt_id, at=NOON)
        with pytest.raises(NotFound):
            upvote(fan, prompt_id + 1, at=NOON)
        assert counts() == before
        assert points.total_points(db.session, author) == 1


def test_racing_upvotes_count_once_each_and_respect_the_cap(any_app, any_world):
    with any_app.app_context():
        author = person("author")
        prompt_id = share(author)
        fans = [person(f"fan{n}") for n in range(24)]

    def race(fan: int) -> str:
        with any_app.app_context():
            try:
                upvote(fan, prompt_id, at=NOON)
            except Conflict:
                return "conflict"
            finally:
                db.session.remove()
            return "ok"

    double_clicks = [fans[0]] * 8
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(race, double_clicks + fans[1:]))
    assert sorted(outcomes[:8]) == ["conflict"] * 7 + ["ok"]
    assert outcomes[8:] == ["ok"] * 23
    with any_app.app_context():
        assert counts()["PromptUpvote"] == 24
        assert points.total_points(db.session, author) == 20


def test_comments_are_shown_in_order_and_counted(app, browser_client):
    share_in_page(browser_client)
    prompt_id = share_id(app)
    bob = logged_in(app, "bob")
    token = csrf_token(bob, f"/prompts/{prompt_id}")
    for text in ("Works great with `re.fullmatch`.", "Also <b>bold</b> claims?"):
        reply = bob.post(f"/prompts/{prompt_id}/comments", data={"text": text, "csrf_token": token})
        assert reply.status_code == 302 and reply.location == f"/prompts/{prompt_id}#comments"
    empty = bob.post(f"/prompts/{prompt_id}/comments", data={"text": "  ", "csrf_token": token})
    assert empty.status_code == 400 and "1 to 2,000 characters" in empty.get_data(as_text=True)
    too_long = {"text": "x" * 2001, "csrf_token": token}
    assert bob.post(f"/prompts/{prompt_id}/comments", data=too_long).status_code == 400
    missing = bob.post("/prompts/999/comments", data={"text": "Hi", "csrf_token": token})
    assert missing.status_code == 404
    page = app.test_client().get(f"/prompts/{prompt_id}").get_data(as_text=True)
    assert page.index("re.fullmatch") < page.index("Also &lt;b&gt;bold&lt;/b&gt; claims?")
    assert "2 comments" in page and "<b>bold</b>" not in page
    with app.app_context():
        detail = prompt_library.prompt_detail(db.session, prompt_id)
        assert detail["prompt"]["comments"] == 2
        assert [(c["author"], c["text"][:5]) for c in detail["comments"]] == [
            ("bob", "Works"),
            ("bob", "Also "),
        ]
        with pytest.raises(NotFound):
            prompt_library.prompt_detail(db.session, prompt_id + 1)
    assert app.test_client().get("/api/v1/prompts").get_json()["prompts"][0]["comments"] == 2
    assert app.test_client().get("/prompts/999").status_code == 404


def test_anonymous_people_stay_anonymous_in_the_library(app, world):
    with app.app_context():
        author = person("secretive", display_name="Sec", anonymous_on_boards=True)
        named = person("open", display_name="Open Book")
        prompt_id = share(author, "Quiet prompt")
        share(named, "Loud prompt")
        with unit_of_work(db.session):
            prompt_library.comment(db.session, author, prompt_id, "My own follow-up.")
    client = app.test_client()
    authors = {p["title"]: p["author"] for p in client.get("/api/v1/prompts").get_json()["prompts"]}
    assert authors == {"Quiet prompt": "Anonymous", "Loud prompt": "Open Book"}
    for url in ("/prompts", f"/prompts/{prompt_id}", "/api/v1/prompts"):
        body = client.get(url).get_data(as_text=True)
        assert "secretive" not in body and "Sec<" not in body and '"Sec"' not in body
    assert "Anonymous · " in client.get(f"/prompts/{prompt_id}").get_data(as_text=True)


def test_use_in_arena_opens_the_ask_form_filled_in(app, browser_client):
    with app.app_context():
        prompt_id = share(person("librarian"), title="Haiku", text="Write a haiku about rain.")
    page = browser_client.get(f"/arena?community=general&ask={prompt_id}").get_data(as_text=True)
    assert '<details class="card ask" id="ask" open>' in page
    assert ">Write a haiku about rain.</textarea>" in page
    assert f'name="library" value="{prompt_id}"' in page
    assert browser_client.get("/arena?ask=999999").status_code == 404

"""/api/v1/me, /api/v1/people, the people board, the profile page and API tokens."""

import re

from sqlalchemy import select

from arena.extensions import db
from arena.models import ApiToken
from tests.conftest import api_client_for, csrf_token


def test_me_reports_points_rank_and_badges(app, api):
    api.vote(api.battle()["token"], "a")
    me = api.get("/api/v1/me").get_json()
    assert set(me) >= {"username", "points", "points_this_week", "rank", "badges"}
    assert me["username"] == "voter"
    assert me["points"] == me["points_this_week"] == 1  # the models predate the voter: no discovery
    assert me["rank"] == "Newcomer" and me["next_rank"] == {"name": "Voter", "points": 10}
    assert [(b["name"], b["tier"]) for b in me["badges"]] == [("First Vote", "bronze")]
    assert all(re.match(r"\d{4}-\d\d-\d\dT", b["awarded_at"]) for b in me["badges"])


def test_me_needs_credentials(app, world):
    assert app.test_client().get("/api/v1/me").status_code == 401


def test_people_board_ranks_contributors(app, world):
    keen, casual = api_client_for(app, "keen"), api_client_for(app, "casual")
    for _ in range(3):
        keen.vote(keen.battle()["token"], "tie")
    casual.vote(casual.battle()["token"], "tie")
    board = app.test_client().get("/api/v1/people?board=contributors&period=week").get_json()
    assert (board["board"], board["period"], board["community"]) == ("contributors", "week", None)
    assert [row["name"] for row in board["people"]] == ["keen", "casual"]
    assert board["people"][0]["rank"] == 1 and board["people"][0]["points"] == 3
    per_community = app.test_client().get("/api/v1/people?community=coding").get_json()
    assert per_community["people"] == []  # every vote above was in general
    auditors = app.test_client().get("/api/v1/people?board=auditors").get_json()
    assert auditors["people"] == []


def test_people_board_rejects_bad_parameters(app, world):
    client = app.test_client()
    assert "board must be one of" in client.get("/api/v1/people?board=x").get_json()["error"]
    assert client.get("/api/v1/people?period=year").status_code == 400
    assert client.get("/api/v1/people?community=nope").status_code == 404


def test_anonymous_users_stay_anonymous_on_boards(app, browser_client):
    token = csrf_token(browser_client, "/profile")
    reply = browser_client.post(
        "/profile", data={"display_name": "", "anonymous_on_boards": "y", "csrf_token": token}
    )
    assert reply.status_code == 302
    page = browser_client.get("/arena").get_data(as_text=True)
    battle = re.search(r'action="/arena/([^/]+)/vote"', page).group(1)
    browser_client.post(f"/arena/{battle}/vote", data={"choice": "a", "csrf_token": token})
    board = app.test_client().get("/api/v1/people").get_json()
    assert [row["name"] for row in board["people"]] == ["Anonymous"]
    assert "alice" not in app.test_client().get("/people").get_data(as_text=True)


def test_display_name_is_shown_and_validated(app, browser_client):
    token = csrf_token(browser_client, "/profile")
    bad = browser_client.post("/profile", data={"display_name": "<b>x</b>", "csrf_token": token})
    assert bad.status_code == 400 and "only" in bad.get_data(as_text=True)
    browser_client.post("/profile", data={"display_name": "Alice L.", "csrf_token": token})
    page = browser_client.get("/arena").get_data(as_text=True)
    battle = re.search(r'action="/arena/([^/]+)/vote"', page).group(1)
    browser_client.post(f"/arena/{battle}/vote", data={"choice": "b", "csrf_token": token})
    assert "Alice L." in app.test_client().get("/people").get_data(as_text=True)


def test_profile_page_shows_progress_and_privileges(browser_client):
    page = browser_client.get("/profile").get_data(as_text=True)
    assert "Within reach" in page and "<progress" in page
    assert "Review shared chats as an auditor" in page
    assert 'id="my-points">0<' in page


def test_tokens_are_created_once_and_can_be_revoked(app, browser_client):
    csrf = csrf_token(browser_client, "/profile")
    reply = browser_client.post(
        "/profile/tokens", data={"label": "open-webui", "csrf_token": csrf}, follow_redirects=True
    )
    token = re.search(r"(ca_[\w-]+)", reply.get_data(as_text=True)).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200
    assert token not in browser_client.get("/profile").get_data(as_text=True)  # shown once
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    browser_client.post(f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


def test_someone_elses_token_cannot_be_revoked(app, browser_client):
    other = api_client_for(app, "bob")
    with app.app_context():
        bobs = db.session.scalar(select(ApiToken.id))
    csrf = csrf_token(browser_client, "/profile")
    assert (
        browser_client.post(f"/profile/tokens/{bobs}/revoke", data={"csrf_token": csrf}).status_code
        == 404
    )
    assert other.get("/api/v1/me").status_code == 200

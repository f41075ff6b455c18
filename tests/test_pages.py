"""Accounts, CSRF, the arena pages, the leaderboard page and safe Markdown."""

import re

import pytest
from sqlalchemy import func, select

from arena.core.render import markdown_to_html, sanitise
from arena.extensions import db
from arena.models import User, Vote
from tests.conftest import csrf_token, sign_up


def test_sign_up_logs_in_and_lands_in_the_arena(app, world):
    client = app.test_client()
    reply = sign_up(client, "alice")
    assert reply.status_code == 302 and reply.headers["Location"] == "/arena"
    assert "alice" in client.get("/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "alice"))
        assert user.password_hash != "correct horse" and user.password_hash.startswith(
            ("scrypt", "pbkdf2")
        )


@pytest.mark.parametrize(
    ("username", "password", "confirm", "message"),
    [
        ("a", "correct horse", "correct horse", "3 to 40"),
        ("bob", "short", "short", "at least 10"),
        ("bob", "correct horse", "other horse", "Passwords differ"),
    ],
)
def test_bad_sign_ups_explain_themselves(app, world, username, password, confirm, message):
    client = app.test_client()
    reply = client.post(
        "/signup",
        data={
            "username": username,
            "password": password,
            "confirm": confirm,
            "csrf_token": csrf_token(client, "/signup"),
        },
    )
    assert reply.status_code == 400
    assert message in reply.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_taken_username_is_refused(app, world):
    sign_up(app.test_client(), "alice")
    reply = sign_up(app.test_client(), "alice")
    assert reply.status_code == 400
    assert "taken" in reply.get_data(as_text=True)


def test_log_in_and_out(app, world):
    client = app.test_client()
    sign_up(client, "alice")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/arena").status_code == 302
    bad = client.post(
        "/login",
        data={"username": "alice", "password": "wrong password", "csrf_token": csrf_token(client)},
    )
    assert bad.status_code == 400 and "wrong password" in bad.get_data(as_text=True)
    good = client.post(
        "/login",
        data={"username": "alice", "password": "correct horse", "csrf_token": csrf_token(client)},
    )
    assert good.status_code == 302


def test_forms_without_csrf_token_are_refused(app, world):
    reply = app.test_client().post(
        "/signup", data={"username": "eve", "password": "correct horse", "confirm": "correct horse"}
    )
    assert reply.status_code == 400
    assert "Security check failed" in reply.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_login_redirect_stays_on_site(app, world):
    client = app.test_client()
    sign_up(client, "alice")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    reply = client.post(
        "/login?next=https://evil.example/",
        data={"username": "alice", "password": "correct horse", "csrf_token": csrf_token(client)},
    )
    assert reply.headers["Location"] == "/arena"


def test_voting_requires_an_account(app, world):
    reply = app.test_client().get("/arena")
    assert reply.status_code == 302 and "/signup?next=" in reply.headers["Location"]


def test_vote_through_the_page(browser_client, app):
    page = browser_client.get("/arena?community=coding").get_data(as_text=True)
    assert 'data-key="a"' in page and 'data-key="x"' in page
    assert '<span class="k">print</span>' in page or 'class="nb">print' in page  # highlighted code
    token = re.search(r'action="/arena/([^/]+)/vote"', page).group(1)
    reply = browser_client.post(
        f"/arena/{token}/vote",
        data={"choice": "both_bad", "csrf_token": csrf_token(browser_client, "/")},
    )
    assert reply.headers["Location"] == f"/arena/{token}/result"
    result = browser_client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Both are bad" in result and 'id="next"' in result
    with app.app_context():
        assert db.session.scalar(select(Vote.choice)) == "both_bad"


def test_badges_earned_by_a_page_vote_show_on_the_result_page(browser_client):
    page = browser_client.get("/arena").get_data(as_text=True)
    token = re.search(r'action="/arena/([^/]+)/vote"', page).group(1)
    csrf = csrf_token(browser_client, "/")
    result = browser_client.post(
        f"/arena/{token}/vote", data={"choice": "a", "csrf_token": csrf}, follow_redirects=True
    ).get_data(as_text=True)
    toasts = result.split('id="toasts"')[1].split("</div>\n  <footer")[0]
    assert "First Vote" in toasts and 'class="toast bronze"' in toasts
    assert (
        "First Vote"
        not in browser_client.get("/profile")
        .get_data(as_text=True)
        .split('id="toasts"')[1]
        .split("<footer")[0]
    )  # shown once


def test_page_vote_errors_change_nothing(browser_client, app):
    page = browser_client.get("/arena").get_data(as_text=True)
    token = re.search(r'action="/arena/([^/]+)/vote"', page).group(1)
    csrf = csrf_token(browser_client, "/")
    assert (
        browser_client.post(
            f"/arena/{token}/vote", data={"choice": "", "csrf_token": csrf}
        ).status_code
        == 400
    )
    assert browser_client.post(f"/arena/{token}/vote", data={"choice": "a"}).status_code == 400
    assert (
        browser_client.post(
            "/arena/nope/vote", data={"choice": "a", "csrf_token": csrf}
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(Vote.id))) == 0


def test_leaderboard_page_lists_rated_models(api, app, world):
    reply = api.vote(api.battle("coding")["token"], "a").get_json()
    page = app.test_client().get("/leaderboard?community=coding").get_data(as_text=True)
    preliminary = page[page.index("<h2>Preliminary</h2>") :]  # one vote each: not yet ranked
    assert reply["models"]["a"] in preliminary and reply["models"]["b"] in preliminary
    assert preliminary.index(reply["models"]["a"]) < preliminary.index(reply["models"]["b"])
    assert "No model has 50 votes here yet" in app.test_client().get(
        "/leaderboard?community=general"
    ).get_data(as_text=True)
    assert app.test_client().get("/leaderboard?community=nope").status_code == 404


def test_markdown_is_rendered_and_sanitised():
    html = markdown_to_html(
        "**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://ok.example)\n\n"
        "<img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<strong>bold</strong>" in html and "<table>" in html
    assert "<script" not in html and "<img" not in html  # raw HTML is shown as text
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert '<a href="https://ok.example" rel="noopener noreferrer">ok</a>' in html


def test_the_sanitiser_removes_what_markdown_would_let_through():
    dangerous = '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)><script>x</script>'
    cleaned = sanitise(dangerous + '<span class="k" onclick="x()">kept</span>')
    assert '<span class="k">kept</span>' in cleaned
    assert "javascript" not in cleaned and "onerror" not in cleaned and "<script" not in cleaned


def test_pages_load_no_third_party_assets(app, world):
    for url in ("/", "/leaderboard", "/login", "/signup"):
        page = app.test_client().get(url).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', page), url


def test_remote_images_become_links():
    html = markdown_to_html("![chart](https://images.example/chart.png)")
    assert "<img" not in html
    link = '<a href="https://images.example/chart.png" rel="noopener noreferrer">[image: chart]</a>'
    assert link in html


def test_pages_send_a_strict_content_security_policy(app, world):
    headers = app.test_client().get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_equal_scores_share_a_rank():
    from arena.voting.leaderboard import with_ranks

    rows = [{"score": 3.0}, {"score": 1.0}, {"score": 1.0}, {"score": 0.5}]
    assert [row["rank"] for row in with_ranks(rows)] == [1, 2, 2, 4]


def test_odd_ids_are_not_found_not_errors(browser_client):
    csrf = csrf_token(browser_client, "/")
    assert browser_client.get("/arena?ask=²").status_code == 404
    assert browser_client.get("/arena?ask=99999999999999999999999").status_code == 404
    big = "99999999999999999999999"
    assert (
        browser_client.post(f"/chats/{big}/withdraw", data={"csrf_token": csrf}).status_code == 404
    )
    assert browser_client.get(f"/prompts/{big}").status_code == 404


def test_sockets_with_odd_auth_are_refused(app, world):
    from arena.extensions import socketio

    assert socketio.test_client(app, auth=["scope"]).is_connected()  # read as the overall board
    assert not socketio.test_client(app, auth={"scope": ["coding"]}).is_connected()
    assert socketio.test_client(app, auth={"scope": "coding"}).is_connected()

"""Every route × every role: who gets in, who is refused, read from the live URL map.

A route missing from ACCESS fails the first test, so a new route cannot ship without a rule.
The table checks the access layer only: "allowed" means the request got past it (any answer
but a 401, a 403 or a redirect to sign in); what the view then answers (400 for an empty form,
404 for an unknown id) is each feature's own tests' business. CSRF is off here for the same
reason: it would refuse every form post before the access checks run.
"""

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from arena.core import accounts
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import OVERALL, Community, CommunityRole, PointTotal
from arena.voting import trust
from tests.conftest import build_app
from tests.factories import make_world

# A guest (web/guests.py) is a visitor who pressed "Try a battle": it may read what anyone may
# and try the arena (VOTER); everything that needs an account refuses it, the API included.
ROLES = ("anonymous", "guest", "contributor", "auditor", "moderator", "admin")
PUBLIC = dict.fromkeys(ROLES, True)
MEMBER = {**PUBLIC, "anonymous": False, "guest": False}
VOTER = {**MEMBER, "guest": True}
AUDITOR = {**MEMBER, "contributor": False}  # 200 points, or a community's moderator
FLAGGER = {**AUDITOR, "moderator": False}  # 15 points; the moderator here has none
MODERATOR = {**AUDITOR, "auditor": False}
CREATOR = {**MODERATOR, "moderator": False}  # 1,000 points
ADMIN = {**CREATOR}

ACCESS = {
    ("GET", "/"): PUBLIC,
    ("GET", "/account/password"): MEMBER,
    ("POST", "/account/password"): MEMBER,
    ("GET", "/admin/models"): ADMIN,
    ("POST", "/admin/models/<slug>/active"): ADMIN,
    ("POST", "/api/v1/battles"): MEMBER,
    ("POST", "/api/v1/battles/<token>/answer"): MEMBER,
    ("POST", "/api/v1/battles/<token>/flag"): FLAGGER,
    ("POST", "/api/v1/battles/<token>/skip"): MEMBER,
    ("POST", "/api/v1/battles/<token>/vote"): MEMBER,
    ("POST", "/api/v1/chats"): MEMBER,
    ("GET", "/api/v1/chats"): MEMBER,
    ("GET", "/api/v1/communities"): PUBLIC,
    ("GET", "/api/v1/communities/<slug>"): PUBLIC,
    ("GET", "/api/v1/communities/<slug>/participation"): PUBLIC,
    ("GET", "/api/v1/communities/<slug>/recommendations"): PUBLIC,
    ("GET", "/api/v1/datasets/<community>"): PUBLIC,
    ("GET", "/api/v1/datasets/<community>/<format>"): PUBLIC,
    ("GET", "/api/v1/docs"): PUBLIC,
    ("GET", "/api/v1/feedback-stats"): PUBLIC,
    ("GET", "/api/v1/leaderboard"): PUBLIC,
    ("GET", "/api/v1/me"): MEMBER,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/people"): PUBLIC,
    ("GET", "/api/v1/prompts"): PUBLIC,
    ("GET", "/arena"): PUBLIC,  # a visitor is offered a guest's try (POST /try), a page
    ("POST", "/arena/<token>/answer"): VOTER,
    ("POST", "/arena/<token>/flag"): FLAGGER,
    ("GET", "/arena/<token>/result"): VOTER,
    ("POST", "/arena/<token>/skip"): VOTER,
    ("POST", "/arena/<token>/vote"): VOTER,
    ("GET", "/arena/battles/<token>"): MEMBER,
    ("POST", "/arena/battles/<token>/continue"): MEMBER,
    ("POST", "/arena/custom"): MEMBER,
    ("GET", "/chats"): MEMBER,
    ("POST", "/chats/<int(max=2147483647):chat_id>/withdraw"): MEMBER,
    ("GET", "/chats/drafts/<token>"): MEMBER,
    ("POST", "/chats/drafts/<token>/publish"): MEMBER,
    ("GET", "/chats/export.json"): MEMBER,
    ("GET", "/chats/new"): MEMBER,
    ("POST", "/chats/new"): MEMBER,
    ("GET", "/communities"): PUBLIC,
    ("GET", "/communities/<slug>"): PUBLIC,
    ("GET", "/communities/<slug>/audit"): AUDITOR,
    ("POST", "/communities/<slug>/audit/<int(max=2147483647):chat_id>"): AUDITOR,
    ("GET", "/communities/<slug>/audit/disputed"): MODERATOR,
    ("POST", "/communities/<slug>/audit/disputed/<int(max=2147483647):chat_id>"): MODERATOR,
    ("GET", "/communities/<slug>/auditors"): MODERATOR,
    ("GET", "/communities/<slug>/datasets"): PUBLIC,
    ("GET", "/communities/<slug>/flags"): MODERATOR,
    ("GET", "/communities/<slug>/participation"): PUBLIC,
    ("POST", "/communities/<slug>/flags/<int(max=2147483647):flag_id>"): MODERATOR,
    ("GET", "/communities/<slug>/roles"): MODERATOR,
    ("POST", "/communities/<slug>/roles"): MODERATOR,
    ("POST", "/communities/<slug>/roles/remove"): MODERATOR,
    ("GET", "/communities/new"): CREATOR,
    ("POST", "/communities/new"): CREATOR,
    ("GET", "/feedback"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("GET", "/leaderboard"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/models/<slug>"): PUBLIC,
    ("GET", "/moderation"): ADMIN,
    ("POST", "/moderation/appeals/<int(max=2147483647):appeal_id>"): ADMIN,
    ("GET", "/people"): PUBLIC,
    ("GET", "/profile"): MEMBER,
    ("POST", "/profile"): MEMBER,
    ("POST", "/profile/appeal"): MEMBER,
    ("POST", "/profile/tokens"): MEMBER,
    ("POST", "/profile/tokens/<int(max=2147483647):token_id>/revoke"): MEMBER,
    ("GET", "/prompts"): PUBLIC,
    ("POST", "/prompts"): MEMBER,
    ("GET", "/prompts/<int(max=2147483647):prompt_id>"): PUBLIC,
    ("POST", "/prompts/<int(max=2147483647):prompt_id>/comments"): MEMBER,
    ("POST", "/prompts/<int(max=2147483647):prompt_id>/upvote"): MEMBER,
    ("GET", "/signup"): PUBLIC,
    ("POST", "/signup"): PUBLIC,
    ("POST", "/try"): PUBLIC,
}
PATH_VALUES = {"slug": "general", "community": "general", "format": "csv", "token": "t" * 32}
# A body that passes the schema, so the route's own access check is what answers.
BODIES = {("POST", "/api/v1/battles/<token>/flag"): {"side": "a", "reason": "spam"}}
PASSWORD = "correct horse battery staple"
# Guests exist only where probation lasts (voting/guests.py): the tests' open rules have none.
GUEST_RULES = Path(__file__).parent / "data" / "integrity_guests.json"


def live_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def concrete(rule: str) -> str:
    """The rule with a value in each of its places: 1 for a number."""
    return re.sub(
        r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>",
        lambda m: "1" if m.group(1) == "int" else PATH_VALUES[m.group(2)],
        rule,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    rules = os.environ.get("ARENA_INTEGRITY_FILE")
    os.environ["ARENA_INTEGRITY_FILE"] = str(GUEST_RULES)
    trust.default_policy.cache_clear()
    app = build_app(tmp_path_factory.mktemp("roles"), WTF_CSRF_ENABLED=False)
    with app.app_context():
        make_world(db.session)
        tokens = _people(db.session)
    yield app, tokens
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    os.environ.pop("ARENA_INTEGRITY_FILE")
    if rules is not None:
        os.environ["ARENA_INTEGRITY_FILE"] = rules
    trust.default_policy.cache_clear()


def _people(session) -> dict[str, str]:
    """One account per role; returns their API tokens."""
    points = {"contributor": 0, "auditor": 250, "moderator": 0, "admin": 0}
    tokens = {}
    with unit_of_work(session):
        general = session.scalar(select(Community).where(Community.slug == "general"))
        for role, total in points.items():
            user = accounts.create_user(
                session, role, PASSWORD, role="admin" if role == "admin" else "user"
            )
            if total:
                session.add(PointTotal(user_id=user.id, board="contributors", scope=OVERALL,
                                       points=total))  # fmt: skip
            if role == "moderator":
                session.add(CommunityRole(community_id=general.id, user_id=user.id, role=role))
            tokens[role] = accounts.create_api_token(session, user)
    return tokens


def test_every_route_has_an_access_rule(site):
    app, _ = site
    assert sorted(live_routes(app) - set(ACCESS)) == [], "add the new route to ACCESS"
    assert sorted(set(ACCESS) - live_routes(app)) == [], "a rule for a route that is gone"


def _request(app, tokens, role, method, rule):
    client = app.test_client()
    headers = {}
    if role == "guest":  # its browser session, which the API takes for no one's
        assert client.post("/try").headers["Location"] == "/arena"
    elif role != "anonymous":
        if rule.startswith("/api/"):
            headers["Authorization"] = f"Bearer {tokens[role]}"
        else:
            login = {"username": role, "password": PASSWORD}
            assert client.post("/login", data=login).status_code == 302
    body = BODIES.get((method, rule))
    return client.open(concrete(rule), method=method, headers=headers, json=body)


def _got_in(reply) -> bool:
    location = reply.headers.get("Location", "")
    signing_in = reply.status_code == 302 and ("/signup" in location or "/login" in location)
    return reply.status_code not in (401, 403) and not signing_in


@pytest.mark.parametrize("route", sorted(ACCESS), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_role_is_let_in_or_refused_as_the_table_says(site, route):
    app, tokens = site
    method, rule = route
    got = {
        role: _got_in(_request(app, tokens, role, method, rule))
        for role in ROLES
        if not (role == "anonymous" and rule == "/logout")
    }
    expected = {role: allowed for role, allowed in ACCESS[route].items() if role in got}
    assert got == expected

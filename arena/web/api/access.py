"""Who is calling: a bearer token, or the browser session with an X-CSRFToken header.

A token carries scopes. What a route needs, checked when it asks for the user:
- read: every GET (your points at /me, your shared chats at /chats);
- vote: POST /battles (serve a battle), POST /battles/<token>/vote and .../skip;
- share: POST /chats, and POST /battles with your own "prompt" too, since a custom battle is
  published as a shared chat of yours;
- a write not listed here needs every scope, so a new route is closed until it is classified.
A browser session may do everything its user may; a guest's session is no one's here
(guests try the arena in its pages: web/guests.py).
"""

from flask import abort, g, request
from flask_login import current_user

from arena.core import accounts
from arena.core.errors import InvalidInput
from arena.extensions import csrf, db
from arena.models import utcnow
from arena.models.accounts import ALL_SCOPES
from arena.web.api.validation import json_body

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_SCOPES = {
    "api.create_battle": {"vote"},
    "api.vote": {"vote"},
    "api.skip": {"vote"},
    "api.share_chats": {"share"},
    "api.flag_battle": {"vote"},
    "api.answer_community_question": {"vote"},
}


def authenticate() -> None:
    """Before every API request: a wrong token is refused even where none is needed."""
    g.api_user, g.api_scopes = None, frozenset(ALL_SCOPES)
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        grant = accounts.token_grant(db.session, header.removeprefix("Bearer ").strip())
        if grant is None:
            abort(401, "The API token is invalid or revoked.")
        if grant.expired(utcnow()):
            expired_on = grant.expires_at.strftime("%Y-%m-%d")
            abort(401, f"The API token expired on {expired_on}; create a new one on your profile.")
        g.api_user, g.api_scopes = grant.user, grant.scopes
    elif current_user.is_authenticated and not current_user.is_guest:  # a guest: a visitor
        if request.method not in SAFE_METHODS:
            csrf.protect()
        g.api_user = current_user


def require_user():
    if g.api_user is None:
        abort(401, "Log in or send 'Authorization: Bearer <token>' to do this.")
    missing = [scope for scope in ALL_SCOPES if scope in required_scopes() - g.api_scopes]
    if missing:
        abort(
            403,
            f"This API token lacks the '{missing[0]}' scope: create a token with "
            f"{' and '.join(repr(scope) for scope in missing)} on your profile.",
        )
    return g.api_user


def required_scopes() -> set[str]:
    if request.method in SAFE_METHODS:
        return {"read"}
    needed = set(WRITE_SCOPES.get(request.endpoint, ALL_SCOPES))
    if request.endpoint == "api.create_battle" and _asks_own_prompt():
        needed.add("share")
    return needed


def _asks_own_prompt() -> bool:
    try:
        return "prompt" in json_body()
    except InvalidInput:
        return False  # the view refuses the body itself, with the reason


def rate_key() -> str:
    """Limits count per person when known, else per address."""
    user = g.get("api_user")
    return f"user:{user.id}" if user else request.remote_addr or "anonymous"

"""Who is calling: a bearer token, or the browser session with an X-CSRFToken header."""

from flask import abort, g, request
from flask_login import current_user

from arena.core import accounts
from arena.extensions import csrf, db

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def authenticate() -> None:
    """Before every API request: a wrong token is refused even where none is needed."""
    g.api_user = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.api_user = accounts.user_for_token(db.session, header.removeprefix("Bearer ").strip())
        if g.api_user is None:
            abort(401, "The API token is invalid or revoked.")
    elif current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            csrf.protect()
        g.api_user = current_user


def require_user():
    if g.api_user is None:
        abort(401, "Log in or send 'Authorization: Bearer <token>' to do this.")
    return g.api_user


def rate_key() -> str:
    """Limits count per person when known, else per address."""
    user = g.get("api_user")
    return f"user:{user.id}" if user else request.remote_addr or "anonymous"

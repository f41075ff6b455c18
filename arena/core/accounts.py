"""Accounts and personal API tokens (stored as SHA-256 hashes, shown once)."""

import hashlib
import re
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.models import ApiToken, User, utcnow

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
MIN_PASSWORD_LENGTH = 8
ROLES = ("user", "admin")
TOKEN_PREFIX = "ca_"


def create_user(session: Session, username: str, password: str, role: str = "user") -> User:
    if not USERNAME_PATTERN.match(username or ""):
        raise InvalidInput("Usernames are 3 to 40 letters, digits, dots, dashes or underscores.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}.")
    user = User(username=username, password_hash=generate_password_hash(password), role=role)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise Conflict(f"The username '{username}' is taken.") from None
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = find_user(session, username)
    if user and check_password_hash(user.password_hash, password or ""):
        return user
    return None


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def require_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"No user called '{username}'.")
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user: User, label: str = "") -> str:
    """Return a new token in clear text; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), label=label))
    session.flush()
    return token


# Every API request runs this: one statement, built once, that returns the user itself.
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


def user_for_token(session: Session, token: str) -> User | None:
    return session.scalar(_USER_FOR_TOKEN, {"token_hash": _digest(token)})


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    api_token = session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise NotFound("No such token.")
    api_token.revoked_at = utcnow()
    session.flush()

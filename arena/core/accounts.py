"""Accounts: passwords, log-in with per-account backoff, sessions that can be revoked, and
personal API tokens (stored as SHA-256 hashes, shown once) with scopes and an expiry."""

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from arena.core.clock import as_utc
from arena.core.db import insert_on_conflict
from arena.core.errors import ArenaError, Conflict, InvalidInput, NotFound
from arena.core.i18n import N_
from arena.models import ApiToken, User, utcnow
from arena.models.accounts import ALL_SCOPES, LoginThrottle

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
ROLES = ("user", "admin")
TOKEN_PREFIX = "ca_"

# Long enough that guessing is slow, scored by zxcvbn so that common passwords, keyboard walks,
# dates and the username fail whatever their length; 3 is "safely unguessable" (>= 10^8 guesses).
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
MIN_PASSWORD_SCORE = 3
SITE_WORDS = ("crowd", "arena", "crowdarena", "crowd arena")

# Per account name: this many failures with no quiet spell of LOCK_WINDOW lock it for
# FIRST_LOCK, and every further failure doubles the lock, up to LONGEST_LOCK.
FAILURES_BEFORE_LOCK = 5
LOCK_WINDOW = timedelta(minutes=15)
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)

DEFAULT_TOKEN_DAYS = 90
LONGEST_TOKEN_DAYS = 365


class WeakPassword(InvalidInput):
    """A password the rules refuse; the message says why."""


class LoginLocked(ArenaError):
    status = 429


# --- Passwords -------------------------------------------------------------------------------


def password_problem(password: str, username: str = "") -> str | None:
    """Why a new password is refused, in a sentence, or None when it is good enough."""
    refusal = _password_refusal(password, username)
    return refusal[0] % refusal[1] if refusal else None


def _password_refusal(password: str, username: str) -> tuple[str, dict] | None:
    """The refusal as a message marked for translation and its values."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("Passwords need at least %(count)s characters."), {"count": MIN_PASSWORD_LENGTH}
    if len(password) > MAX_PASSWORD_LENGTH:
        return N_("Passwords are limited to %(count)s characters."), {"count": MAX_PASSWORD_LENGTH}
    # zxcvbn reads at most 72 characters; a strong beginning makes the whole strong enough.
    verdict = zxcvbn(password[:72], user_inputs=[username, *SITE_WORDS])
    if verdict["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = verdict["feedback"]
    hints = [feedback["warning"], *feedback["suggestions"]]
    advice = " ".join(hint.rstrip(".") + "." for hint in hints if hint)
    if not advice:
        return N_(
            "This password is too easy to guess. Add a few more uncommon words. A few unrelated"
            " words make a strong one."
        ), {}
    hint = N_(
        "This password is too easy to guess. %(advice)s A few unrelated words make a strong one."
    )
    return hint, {"advice": advice}


def _checked_hash(password: str, username: str) -> str:
    refusal = _password_refusal(password, username)
    if refusal:
        raise WeakPassword(refusal[0], **refusal[1])
    return generate_password_hash(password)


def _check_username(username: str) -> None:
    if not USERNAME_PATTERN.match(username or ""):
        raise InvalidInput(
            N_("Usernames are 3 to 40 letters, digits, dots, dashes or underscores.")
        )


def create_user(session: Session, username: str, password: str, role: str = "user") -> User:
    _check_username(username)
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}.")
    user = User(username=username, password_hash=_checked_hash(password, username), role=role)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise Conflict(N_("The username '%(name)s' is taken."), name=username) from None
    return user


# --- Guests (voting/guests.py) ---------------------------------------------------------------

# Usernames cannot start with "~", so no one can sign up as a guest or log in to one; and no
# password matches a hash werkzeug cannot parse.
GUEST_NAME_PREFIX = "~"
UNUSABLE_PASSWORD = "!guest"


def create_guest(session: Session) -> User:
    guest = User(
        username=GUEST_NAME_PREFIX + secrets.token_urlsafe(18),
        password_hash=UNUSABLE_PASSWORD,
        is_guest=True,
    )
    session.add(guest)
    session.flush()
    return guest


def claim_guest(session: Session, guest: User, username: str, password: str) -> User:
    """Make a guest the member `username` in place: the same row, so its votes, points and
    badges stay. Its guest sessions end; the caller logs this browser in again."""
    _check_username(username)
    password_hash = _checked_hash(password, username)
    became = update(User).where(User.id == guest.id, User.is_guest.is_(True))
    try:
        with session.begin_nested():
            claimed = session.execute(
                became.values(
                    username=username,
                    password_hash=password_hash,
                    is_guest=False,
                    session_version=User.session_version + 1,
                )
            )
    except IntegrityError:
        raise Conflict(N_("The username '%(name)s' is taken."), name=username) from None
    if claimed.rowcount != 1:  # a second tab signed this guest up already
        raise Conflict(N_("This guest has signed up already; log in instead."))
    session.expire(guest)
    return guest


def change_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password and end every session and remember cookie of the account."""
    user.password_hash = _checked_hash(new_password, user.username)
    end_sessions(session, user)


# --- Sessions --------------------------------------------------------------------------------


def end_sessions(session: Session, user: User) -> None:
    """Log the account out everywhere: every session id carries the version this bumps."""
    user.session_version = User.session_version + 1  # in SQL, so concurrent bumps both count
    session.flush()


def user_for_session(session: Session, session_id: str) -> User | None:
    """The user a session or remember cookie names ("id:version"), if that version still holds.

    Ids without a version come from cookies issued before versions existed: refused, so those
    365-day remember cookies end with this change."""
    user_key, _, version = (session_id or "").partition(":")
    if not (_small_number(user_key) and _small_number(version)):
        return None
    user = session.get(User, int(user_key))
    if user is None or user.session_version != int(version):
        return None
    return user


def _small_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= 2**31 - 1


# --- Logging in ------------------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    """A hash made like real ones, checked when the name is unknown so both take as long."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(session: Session, username: str, password: str, now: datetime) -> User | None:
    """The user whose password this is, or None; raises LoginLocked while the name is locked.

    Reads only: the caller records the outcome with `record_login` in its unit of work, so the
    slow hash check never holds a write lock."""
    refuse_if_locked(session, username, now)
    user = find_user(session, username) if USERNAME_PATTERN.match(username or "") else None
    stored_hash = user.password_hash if user else _dummy_hash()
    if check_password_hash(stored_hash, password or "") and user is not None:
        return user
    return None


def refuse_if_locked(session: Session, username: str, now: datetime) -> None:
    throttle = session.get(LoginThrottle, _name_digest(username))
    if throttle is None or throttle.locked_until is None:
        return
    left = as_utc(throttle.locked_until) - now
    if left > timedelta(0):
        minutes = max(1, -(-int(left.total_seconds()) // 60))
        if minutes == 1:
            raise LoginLocked(
                N_("Too many failed log-ins for this account. Try again in 1 minute.")
            )
        raise LoginLocked(
            N_("Too many failed log-ins for this account. Try again in %(minutes)s minutes."),
            minutes=minutes,
        )


def record_login(session: Session, username: str, succeeded: bool, now: datetime) -> None:
    """A success forgets the name's failures; a failure counts and may lock the name."""
    digest = _name_digest(username)
    if succeeded:
        session.execute(delete(LoginThrottle).where(LoginThrottle.name_digest == digest))
        return
    _forget_stale_failures(session, now)
    session.execute(_NEW_THROTTLE, {"name_digest": digest, "failures": 0, "last_failure_at": now})
    throttle = session.scalar(
        select(LoginThrottle).where(LoginThrottle.name_digest == digest).with_for_update()
    )
    _count_failure(throttle, now)
    session.flush()


_NEW_THROTTLE = insert_on_conflict(
    LoginThrottle.__table__,
    ("name_digest", "failures", "last_failure_at"),
    "(name_digest) DO NOTHING",
)


def _count_failure(throttle: LoginThrottle, now: datetime) -> None:
    if now - _last_activity(throttle) > LOCK_WINDOW:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    beyond = throttle.failures - FAILURES_BEFORE_LOCK
    if beyond >= 0:
        throttle.locked_until = now + min(FIRST_LOCK * 2 ** min(beyond, 12), LONGEST_LOCK)


def _last_activity(throttle: LoginThrottle) -> datetime:
    """The quiet spell that forgets failures starts when the last one was, or the lock ended."""
    moments = [throttle.last_failure_at, throttle.locked_until]
    return max(as_utc(moment) for moment in moments if moment is not None)


def _forget_stale_failures(session: Session, now: datetime) -> None:
    """Names nobody tried for a while leave the table, so guessed names do not pile up."""
    horizon = now - LOCK_WINDOW - LONGEST_LOCK
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < horizon,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < horizon),
        )
    )


def _name_digest(username: str) -> str:
    return hashlib.sha256((username or "")[:200].encode("utf-8", "replace")).hexdigest()


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def require_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"No user called '{username}'.")
    return user


# --- API tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenGrant:
    """What a bearer token lets its holder do."""

    user: User
    scopes: frozenset[str]
    expires_at: datetime | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and as_utc(self.expires_at) <= now


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def checked_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = set(scopes)
    unknown = chosen - set(ALL_SCOPES)
    if unknown:
        raise InvalidInput(
            f"Unknown token scope '{sorted(unknown)[0]}': use {', '.join(ALL_SCOPES)}."
        )
    if not chosen:
        raise InvalidInput(f"Pick at least one scope for the token: {', '.join(ALL_SCOPES)}.")
    return tuple(scope for scope in ALL_SCOPES if scope in chosen)


def create_api_token(
    session: Session,
    user: User,
    label: str = "",
    scopes: Iterable[str] = ALL_SCOPES,
    expires_in_days: int = DEFAULT_TOKEN_DAYS,
) -> str:
    """Return a new token in clear text; only its hash is kept."""
    if not 1 <= expires_in_days <= LONGEST_TOKEN_DAYS:
        raise InvalidInput(f"Tokens last from 1 to {LONGEST_TOKEN_DAYS} days.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken(
        user_id=user.id,
        token_hash=_digest(token),
        label=label,
        scopes=" ".join(checked_scopes(scopes)),
        expires_at=utcnow() + timedelta(days=expires_in_days),
    )
    session.add(api_token)
    session.flush()
    return token


# Every API request runs this: one statement, built once, that returns the user itself.
_GRANT_FOR_TOKEN = (
    select(User, ApiToken.scopes, ApiToken.expires_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


def token_grant(session: Session, token: str) -> TokenGrant | None:
    """The grant of a token that exists and is not revoked (it may have expired)."""
    row = session.execute(_GRANT_FOR_TOKEN, {"token_hash": _digest(token)}).first()
    if row is None:
        return None
    user, scopes, expires_at = row
    return TokenGrant(user=user, scopes=frozenset(scopes.split()), expires_at=expires_at)


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    api_token = session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise NotFound("No such token.")
    api_token.revoked_at = utcnow()
    session.flush()

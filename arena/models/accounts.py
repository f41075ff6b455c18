"""People, their API tokens and the failed log-ins counted against each account name."""

import secrets
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import false

from arena.models.base import Base, utcnow

ALL_SCOPES = ("read", "vote", "share")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="user")
    display_name: Mapped[str | None] = mapped_column(String(40))
    anonymous_on_boards: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Part of every session and remember cookie (see get_id): bumping it revokes them all.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Keys the hashes of the Open WebUI chat and message ids this person shares, so sharing a
    # chat again finds what it shared before while the stored ids stay untraceable.
    share_key: Mapped[bytes | None] = mapped_column(
        LargeBinary(32), default=lambda: secrets.token_bytes(32)
    )
    # Shares sent through the API publish at once instead of waiting for the preview.
    publish_directly: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The interface language this person chose (None: follow the browser).
    locale: Mapped[str | None] = mapped_column(String(10))
    # A visitor trying the arena before signing up; signing up turns the guest into a member.
    is_guest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Flask-Login's protocol, kept here so the model needs no Flask import.
    is_active = True
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def public_name(self) -> str:
        """The name people boards show: a chosen display name, the username, or nothing."""
        if self.anonymous_on_boards:
            return "Anonymous"
        return self.display_name or self.username


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Space-separated, from ALL_SCOPES; tokens made before scopes existed hold all three.
    scopes: Mapped[str] = mapped_column(String(40), server_default=" ".join(ALL_SCOPES))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class LoginThrottle(Base):
    """Failed log-ins per account name, kept in the database so every worker sees them.

    Keyed by a digest of the name typed, known or not, so a lock-out never tells whether an
    account exists, and a password typed into the name field is not kept in clear.
    """

    __tablename__ = "login_throttles"

    name_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

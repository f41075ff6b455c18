"""Tables of the shared prompt library: prompts people share, their upvotes and comments."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arena.models.accounts import User
from arena.models.base import Base, utcnow
from arena.models.voting import Community


class PromptShare(Base):
    __tablename__ = "prompt_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User] = relationship()
    community: Mapped[Community] = relationship()


class PromptUpvote(Base):
    __tablename__ = "prompt_upvotes"
    __table_args__ = (UniqueConstraint("prompt_share_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_share_id: Mapped[int] = mapped_column(ForeignKey("prompt_shares.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PromptComment(Base):
    __tablename__ = "prompt_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_share_id: Mapped[int] = mapped_column(
        ForeignKey("prompt_shares.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User] = relationship()

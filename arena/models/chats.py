"""Tables of the shared-chat data lake. Only scrubbed text is stored once a chat is published."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arena.models.accounts import User
from arena.models.base import Base, utcnow
from arena.models.voting import Community

# Review states of a shared chat (the audit queue's decisions).
PENDING, ACCEPTED, REJECTED, DISPUTED = "pending", "accepted", "rejected", "disputed"


class SharedChat(Base):
    __tablename__ = "shared_chats"
    __table_args__ = (
        Index(
            "ix_shared_chats_contributor_id_source_key", "contributor_id", "source_key", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    source_format: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200), default="")
    # Cleared on withdrawal so the chat may be shared again later.
    fingerprint: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The contributor's keyed hash of the chat's id in its source (an Open WebUI chat id):
    # sharing that chat again updates this row. Cleared on withdrawal.
    source_key: Mapped[str | None] = mapped_column(String(64))
    licence: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="published")
    # The audit queue's decision: pending | accepted | rejected | disputed. Only accepted chats
    # give the arena pairs and the data sets rows.
    review_status: Mapped[str] = mapped_column(
        String(12), default="pending", server_default="pending", index=True
    )
    review_reason: Mapped[str | None] = mapped_column(String(30))  # why rejected
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    redaction_counts: Mapped[dict] = mapped_column(JSON, default=dict)
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    contributor: Mapped[User] = relationship()
    community: Mapped[Community] = relationship()
    messages: Mapped[list["SharedMessage"]] = relationship(
        order_by="SharedMessage.position", cascade="all, delete-orphan"
    )


class SharedMessage(Base):
    """A scrubbed message; the tree is kept through message keys."""

    __tablename__ = "shared_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        ForeignKey("shared_chats.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    message_key: Mapped[str] = mapped_column(String(120))
    parent_key: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(12))
    model_name: Mapped[str | None] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    feedback_note: Mapped[str] = mapped_column(Text, default="")  # the rater's comment
    detail_rating: Mapped[int | None] = mapped_column(Integer)  # Open WebUI's 1-10 rating
    reason: Mapped[str | None] = mapped_column(String(60))  # a reason code: accurate_information
    feedback_tags: Mapped[list | None] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)  # why the answer failed, scrubbed
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    generation_seconds: Mapped[float | None] = mapped_column(Float)


class AnswerFeedback(Base):
    """One answer's feedback from a shared chat: thumbs, regeneration, speed."""

    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        ForeignKey("shared_chats.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    prompt_key: Mapped[str | None] = mapped_column(String(120))
    message_key: Mapped[str] = mapped_column(String(120))
    rating: Mapped[int | None] = mapped_column(Integer)
    regenerated: Mapped[bool] = mapped_column(Boolean, default=False)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    generation_seconds: Mapped[float | None] = mapped_column(Float)
    self_identifies: Mapped[bool] = mapped_column(Boolean, default=False)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)  # an error, or no text
    detail_rating: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(60))
    feedback_tags: Mapped[list | None] = mapped_column(JSON, default=list)


class ChatDraft(Base):
    """An upload waiting for its preview, already scrubbed (JSON in `raw`); deleted when
    published or after 24 hours."""

    __tablename__ = "chat_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

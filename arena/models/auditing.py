"""Tables of auditing and communities: roles, audits of shared chats, flags on battles, and
the answers to a community's own question after a vote."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arena.models.base import Base, utcnow


class CommunityRole(Base):
    """A moderator of a community, or an auditor granted by one (auditors are otherwise made
    by points: the `audit` privilege)."""

    __tablename__ = "community_roles"
    __table_args__ = (UniqueConstraint("community_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # "moderator" | "auditor"
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Audit(Base):
    """One auditor's verdict on a shared chat. A known-answer audit (the chat was decided
    already) tests the auditor and takes no part in the decision."""

    __tablename__ = "audits"
    __table_args__ = (
        UniqueConstraint("chat_id", "auditor_id"),
        Index("ix_audits_auditor_id_created_at", "auditor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        ForeignKey("shared_chats.id", ondelete="CASCADE"), index=True
    )
    auditor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[str] = mapped_column(String(8))  # "accept" | "reject"
    reason: Mapped[str | None] = mapped_column(String(30))  # why rejected
    note: Mapped[str] = mapped_column(Text, default="")
    suggestion: Mapped[str] = mapped_column(Text, default="")  # a redaction the auditor proposes
    low_confidence: Mapped[bool] = mapped_column(Boolean, default=False)
    by_moderator: Mapped[bool] = mapped_column(Boolean, default=False)  # binding
    known_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    passed: Mapped[bool | None] = mapped_column(Boolean)  # known-answer audits only
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContentFlag(Base):
    """A voter's flag on an answer or a prompt of a battle, for the community's moderators."""

    __tablename__ = "content_flags"
    __table_args__ = (Index("ix_content_flags_community_id_status", "community_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    battle_id: Mapped[int] = mapped_column(ForeignKey("battles.id"), index=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    side: Mapped[str] = mapped_column(String(6))  # "a" | "b" | "prompt"
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    flagger_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | upheld | dismissed
    resolution: Mapped[str | None] = mapped_column(String(12))  # remove | redact | dismiss
    abusive: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuestionAnswer(Base):
    """The voter's answer to the community's question about the answer they chose."""

    __tablename__ = "question_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))  # the chosen answer's model
    answer: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

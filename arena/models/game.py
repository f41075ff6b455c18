"""Gamification: the points ledger, its cached totals, verdicts, badges and streaks."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arena.models.base import Base, utcnow


class PointEvent(Base):
    """The append-only points ledger; totals are derived from it."""

    __tablename__ = "point_events"
    __table_args__ = (
        UniqueConstraint("user_id", "reason", "ref_type", "ref_id"),
        Index("ix_point_events_created_at", "created_at"),
        # A vote reads its voter's points of today (daily caps) and of this week: index ranges
        # of a day or a week, however long the history.
        Index("ix_point_events_user_id_created_at", "user_id", "created_at"),
        Index("ix_point_events_user_id_reason_created_at", "user_id", "reason", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    board: Mapped[str] = mapped_column(String(20))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    ref_type: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PointTotal(Base):
    """Cached sum of the ledger per user, board and scope ("overall" or a community slug)."""

    __tablename__ = "point_totals"
    __table_args__ = (
        UniqueConstraint("user_id", "board", "scope"),
        Index("ix_point_totals_board_scope_points", "board", "scope", "points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    board: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(40))
    points: Mapped[int] = mapped_column(Integer, default=0)


class VoteVerdict(Base):
    """Whether a vote agreed with its pair's consensus, fixed when the consensus first exists."""

    __tablename__ = "vote_verdicts"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agrees: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserBadge(Base):
    """A badge earned once per scope ("" or e.g. "coding:2026-W48" for weekly titles)."""

    __tablename__ = "user_badges"
    __table_args__ = (
        UniqueConstraint("user_id", "badge", "scope"),
        # Every vote asks whether its community's weekly title was given yet.
        Index("ix_user_badges_badge_scope", "badge", "scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    badge: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(60), default="")
    awarded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VotingStreak(Base):
    """Consecutive UTC days with a vote, kept up to date vote by vote."""

    __tablename__ = "voting_streaks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    last_day: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer, default=1)
    longest: Mapped[int] = mapped_column(Integer, default=1)

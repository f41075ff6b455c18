"""Integrity scans: flags on voters, the weights they give, appeals and the scan clock.

Flags and weights are derived from the battle log by `integrity/scan.py` and replaced at each
scan; appeals and moderators' decisions are facts.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arena.models.base import Base, utcnow


class IntegrityFlag(Base):
    """One finding against one voter in one community, with the numbers behind it."""

    __tablename__ = "integrity_flags"
    __table_args__ = (Index("ix_integrity_flags_voter_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    test: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    p_value: Mapped[float | None] = mapped_column(Float)
    q_value: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VoterWeight(Base):
    """How much a flagged voter's votes weigh in a community's published boards (absent: 1)."""

    __tablename__ = "voter_weights"

    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)


class Appeal(Base):
    """A flagged voter's appeal and the moderator's decision: cleared (the voter counts in
    full from then on, whatever later scans find) or upheld."""

    __tablename__ = "appeals"
    __table_args__ = (Index("ix_appeals_voter_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IntegrityClock(Base):
    """One row: when the last scan started. A worker claims a scan by moving it forward."""

    __tablename__ = "integrity_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_scan_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flags: Mapped[int] = mapped_column(Integer, default=0)


class AttributionCheck(Base):
    """Whether an uploaded answer claimed as a catalogue model reads like that model's own:
    its mean log-probability per token under the model, against the model's own answers to
    the same prompt (integrity/attribution.py). Outliers go to moderators."""

    __tablename__ = "attribution_checks"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    claimed_logprob: Mapped[float] = mapped_column(Float)
    own_logprob: Mapped[float] = mapped_column(Float)
    outlier: Mapped[bool] = mapped_column(Boolean)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

"""The arena's facts and what is derived from them: prompts, answers, battles, votes, ratings."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import true

from arena.models.base import Base, utcnow


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    guidelines: Mapped[str] = mapped_column(Text, default="", server_default="")  # for auditors
    # Asked after a vote about the chosen answer; empty: no question.
    question: Mapped[str] = mapped_column(Text, default="", server_default="")


class LanguageModel(Base):
    """A model configuration that answers prompts; its identity is what voters must not see."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    organization: Mapped[str] = mapped_column(String(80), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Prompt(Base):
    __tablename__ = "prompts"
    # Pairing counts a community's active prompts at every serve: from the index alone.
    __table_args__ = (Index("ix_prompts_community_id_is_active", "community_id", "is_active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    origin: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(120), default="")
    text: Mapped[str] = mapped_column(Text)
    # Earlier turns shown as context: [{"role": "user"|"assistant", "content": str}, ...]
    context: Mapped[list] = mapped_column(JSON, default=list)
    # Prompts mined from a shared chat leave the queue when the chat is withdrawn.
    shared_chat_id: Mapped[int | None] = mapped_column(ForeignKey("shared_chats.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Custom prompts asked from the shared library, so the library can rank by answer quality.
    library_prompt_id: Mapped[int | None] = mapped_column(
        ForeignKey("prompt_shares.id"), index=True
    )
    # ISO 639-1 code detected from the text when stored (arena/core/language.py); None when
    # too little prose to call, or stored before languages (`arena detect-languages`).
    language: Mapped[str | None] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    community: Mapped[Community] = relationship()


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("prompt_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # A multi-turn custom battle: this model's own earlier turns after the first prompt.
    context: Mapped[list | None] = mapped_column(JSON)
    # Speed figures of answers generated live (custom prompts); None for seeded answers.
    backend: Mapped[str | None] = mapped_column(String(40))
    latency_seconds: Mapped[float | None] = mapped_column(Float)
    time_to_first_token_seconds: Mapped[float | None] = mapped_column(Float)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    tokens_per_second: Mapped[float | None] = mapped_column(Float)

    prompt: Mapped[Prompt] = relationship()
    model: Mapped[LanguageModel] = relationship()


class Battle(Base):
    """One pair served to one voter; the token is all the browser ever learns of it."""

    __tablename__ = "battles"
    __table_args__ = (
        CheckConstraint("response_a_id <> response_b_id", name="distinct_responses"),
        Index("ix_battles_voter_prompt", "voter_id", "prompt_id"),
        Index("ix_battles_voter_status", "voter_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id"))
    response_a_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    response_b_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    # open -> voted, or open -> skipped (left unvoted past the expiry); generating while a
    # custom battle's follow-up is being answered.
    status: Mapped[str] = mapped_column(String(10), default="open")
    served_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    voted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    skipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A known-answer check (voting/trust.py) carries the side the imported majority chose.
    expected: Mapped[str | None] = mapped_column(String(1))

    community: Mapped[Community] = relationship()
    prompt: Mapped[Prompt] = relationship()
    response_a: Mapped[Response] = relationship(foreign_keys=[response_a_id])
    response_b: Mapped[Response] = relationship(foreign_keys=[response_b_id])


class Vote(Base):
    """The append-only fact. Imported votes have no battle and name their origin and judge."""

    __tablename__ = "votes"
    __table_args__ = (
        CheckConstraint("choice IN ('a', 'b', 'tie', 'both_bad')", name="valid_choice"),
        CheckConstraint("model_a_id <> model_b_id", name="distinct_models"),
        # A vote's badges count its voter's votes by choice: from the index alone.
        Index("ix_votes_voter_id_choice", "voter_id", "choice"),
        # Each vote reads its voter's votes of the day (caps) and on its prompt (one judgement
        # per pair): ranges of these, however long the voter's history.
        Index("ix_votes_voter_id_created_at", "voter_id", "created_at"),
        Index("ix_votes_voter_id_prompt_id", "voter_id", "prompt_id"),
        # The participation page counts a community's votes per week.
        Index("ix_votes_community_id_created_at", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    battle_id: Mapped[int | None] = mapped_column(ForeignKey("battles.id"), unique=True)
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    # Imported battles may come without their texts: no prompt then.
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id"), index=True)
    model_a_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    model_b_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    choice: Mapped[str] = mapped_column(String(10))
    origin: Mapped[str] = mapped_column(String(40), default="arena")
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    judge: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Provenance (voting/trust.py): whether the answers are published elsewhere, who vouches
    # for which model wrote them, and whether the voter counted when voting (None: imported).
    exposure: Mapped[str] = mapped_column(String(10), default="public", server_default="public")
    attribution: Mapped[str] = mapped_column(
        String(10), default="benchmark", server_default="benchmark"
    )
    voter_trust: Mapped[str | None] = mapped_column(String(10))
    # The prompt's language, or the import's own field for imported votes without a prompt.
    language: Mapped[str | None] = mapped_column(String(16), index=True)


class Rating(Base):
    """TrueSkill state of a model in a scope ("overall" or a community slug)."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("model_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    scope: Mapped[str] = mapped_column(String(40), index=True)
    mu: Mapped[float] = mapped_column(Float)
    sigma: Mapped[float] = mapped_column(Float)
    votes: Mapped[int] = mapped_column(Integer, default=0)
    wins: Mapped[int] = mapped_column(Integer, default=0)
    losses: Mapped[int] = mapped_column(Integer, default=0)
    ties: Mapped[int] = mapped_column(Integer, default=0)

    model: Mapped[LanguageModel] = relationship()


class Exposure(Base):
    """How many battles a model has been served in a community: the pairing's fairness count."""

    __tablename__ = "exposures"
    __table_args__ = (UniqueConstraint("model_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    battles: Mapped[int] = mapped_column(Integer, default=0)


class RatingSetting(Base):
    """TrueSkill's draw probability of a scope, as tuned from its votes (see rating_settings)."""

    __tablename__ = "rating_settings"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    draw_probability: Mapped[float] = mapped_column(Float)


class PairTally(Base):
    """Wins and ties of a model pair in a community (lower model id first), live or imported."""

    __tablename__ = "pair_tallies"
    __table_args__ = (
        UniqueConstraint(
            "community_id",
            "live",
            "exposure",
            "attribution",
            "trust",
            "model_low_id",
            "model_high_id",
            name="uq_pair_tallies_provenance",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    live: Mapped[bool] = mapped_column(Boolean)
    exposure: Mapped[str] = mapped_column(String(10))
    attribution: Mapped[str] = mapped_column(String(10))
    trust: Mapped[str] = mapped_column(String(10))  # the vote's voter_trust, "imported" if none
    model_low_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    model_high_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    low_wins: Mapped[int] = mapped_column(Integer, default=0)
    high_wins: Mapped[int] = mapped_column(Integer, default=0)
    ties: Mapped[int] = mapped_column(Integer, default=0)


class VoterStanding(Base):
    """Where a voter stands (voting/trust.py): derived from their votes and known-answer checks."""

    __tablename__ = "voter_standings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    votes: Mapped[int] = mapped_column(Integer, default=0)
    checks_passed: Mapped[int] = mapped_column(Integer, default=0)
    checks_failed: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default="probation")

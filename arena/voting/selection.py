"""Which votes a board counts: a community, a source (live, imported or all), a language, the
fit's settings."""

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from arena.core.communities import find_community
from arena.core.errors import InvalidInput
from arena.models import Vote, VoterStanding

SOURCES = ("all", "live", "imported")
# Provenance filters (voting/trust.py): "counted" trust means imported votes and votes cast by
# counted voters; "all" of any filter means no filter.
TRUST_FILTERS = ("counted", "all", "probation", "excluded")
EXPOSURE_FILTERS = ("all", "public", "private")
ATTRIBUTION_FILTERS = ("all", "generated", "benchmark", "claimed")
LIVE_ORIGIN = "arena"  # votes cast on this site; everything else was imported
DEFAULT_ROUNDS = 100
VIEWS = ("board", "history", "matrix")


# Voters counted now: the votes they cast on probation count in published boards too (not in
# TrueSkill, which moved live); a voter excluded later never had them counted.
GRADUATED = Vote.voter_id.in_(select(VoterStanding.user_id).where(VoterStanding.state == "counted"))


@dataclass(frozen=True)
class BoardKey:
    community: str | None = None
    source: str = "all"
    rounds: int = DEFAULT_ROUNDS
    seed: int = 0
    style: bool = False
    view: str = "board"
    trust: str = "counted"
    exposure: str = "all"
    attribution: str = "all"
    language: str | None = None  # an ISO 639-1 code: only votes on prompts in that language
    voter_cap: bool = False  # each voter weighs at most K votes (voting/voter_cap.py)


def vote_filter(query, session: Session, key: BoardKey):
    """Restrict a query over votes to the ones the board counts."""
    if key.community:
        query = query.where(Vote.community_id == find_community(session, key.community).id)
    check_source(key.source)
    if key.source == "live":
        query = query.where(Vote.origin == LIVE_ORIGIN)
    elif key.source == "imported":
        query = query.where(Vote.origin != LIVE_ORIGIN)
    check_provenance(key)
    if key.trust == "counted":
        query = query.where(
            or_(
                Vote.voter_trust.is_(None),
                Vote.voter_trust == "counted",
                and_(Vote.voter_trust == "probation", GRADUATED),
            )
        )
    elif key.trust != "all":
        query = query.where(Vote.voter_trust == key.trust)
    if key.exposure != "all":
        query = query.where(Vote.exposure == key.exposure)
    if key.attribution != "all":
        query = query.where(Vote.attribution == key.attribution)
    if key.language:
        query = query.where(Vote.language == key.language)
    return query


def check_provenance(key: BoardKey) -> None:
    for name, allowed in (
        ("trust", TRUST_FILTERS),
        ("exposure", EXPOSURE_FILTERS),
        ("attribution", ATTRIBUTION_FILTERS),
    ):
        if getattr(key, name) not in allowed:
            raise InvalidInput(f"{name} must be one of {', '.join(allowed)}.")


def check_source(source: str) -> str:
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}.")
    return source

"""Which votes a board counts: a community, a source (live, imported or all), the fit's settings."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from arena.core.communities import find_community
from arena.core.errors import InvalidInput
from arena.models import Vote

SOURCES = ("all", "live", "imported")
LIVE_ORIGIN = "arena"  # votes cast on this site; everything else was imported
DEFAULT_ROUNDS = 100
VIEWS = ("board", "history", "matrix")


@dataclass(frozen=True)
class BoardKey:
    community: str | None = None
    source: str = "all"
    rounds: int = DEFAULT_ROUNDS
    seed: int = 0
    style: bool = False
    view: str = "board"


def vote_filter(query, session: Session, key: BoardKey):
    """Restrict a query over votes to the ones the board counts."""
    if key.community:
        query = query.where(Vote.community_id == find_community(session, key.community).id)
    check_source(key.source)
    if key.source == "live":
        query = query.where(Vote.origin == LIVE_ORIGIN)
    elif key.source == "imported":
        query = query.where(Vote.origin != LIVE_ORIGIN)
    return query


def check_source(source: str) -> str:
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}.")
    return source

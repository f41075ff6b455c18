"""Communities: looking them up by slug, the one place every domain asks."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.errors import NotFound
from arena.models import Community

DEFAULT_COMMUNITY = "general"


def find_community(session: Session, slug: str | None) -> Community:
    """The community with this slug (the default one when empty); NotFound otherwise."""
    slug = slug or DEFAULT_COMMUNITY
    community = session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        raise NotFound(f"There is no community called '{slug}'.")
    return community


def all_communities(session: Session) -> list[Community]:
    return list(session.scalars(select(Community).order_by(Community.id)))

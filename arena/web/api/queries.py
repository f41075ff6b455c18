"""Query parameters and answer parts many routes share: community, pagination, errors."""

from typing import Any

from flask import jsonify, request, url_for
from pydantic import BaseModel, ConfigDict, Field

from arena.core.communities import find_community
from arena.extensions import db

MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
MAX_SLUG = 64


class Shape(BaseModel):
    """An answer's documented shape: exactly these keys, nothing else."""

    model_config = ConfigDict(extra="forbid")


class ErrorReply(Shape):
    error: str = Field(description="A sentence a person understands, naming the field at fault.")
    status: int = Field(description="The HTTP status again.")


class CommunityQuery(BaseModel):
    community: str | None = Field(
        None, max_length=MAX_SLUG, description="A community slug; absent means overall."
    )


def page_query(default_per_page: int) -> type[BaseModel]:
    """?page= and ?per_page= with this route's default page size."""

    class PageQuery(BaseModel):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="1-based page number.")
        per_page: int = Field(default_per_page, ge=1, le=MAX_PER_PAGE, description="Rows per page.")

    return PageQuery


class Page(Shape):
    page: int = Field(ge=1)
    per_page: int = Field(ge=1, le=MAX_PER_PAGE)
    total: int = Field(ge=0, description="Rows over all pages.")
    next: str | None = Field(description="Link to the next page; null on the last one.")


def community_slug(slug: str | None) -> str | None:
    """The slug of an existing community (404 otherwise); None means overall."""
    return find_community(db.session, slug).slug if slug else None


def paginated(payload: dict[str, Any], key: str, query) -> Any:
    """payload as JSON with only this page of payload[key], and where the next page is."""
    rows = payload[key]
    start = (query.page - 1) * query.per_page
    more = start + query.per_page < len(rows)
    return jsonify(
        {
            **payload,
            key: rows[start : start + query.per_page],
            "page": query.page,
            "per_page": query.per_page,
            "total": len(rows),
            "next": _page_link(query.page + 1, query.per_page) if more else None,
        }
    )


def _page_link(page: int, per_page: int) -> str:
    arguments = {name: value for name, value in request.args.items() if value != ""}
    arguments.update(page=page, per_page=per_page)
    return url_for(request.endpoint, **(request.view_args or {}), **arguments)

"""GET /prompts: the shared prompt library, by top, new or answer rating."""

from typing import Literal

from pydantic import Field

from arena.extensions import db
from arena.library import prompts as prompt_library
from arena.web.api.queries import CommunityQuery, Page, Shape, community_slug, page_query, paginated
from arena.web.api.spec import Reply, api_route


class PromptsQuery(CommunityQuery, page_query(prompt_library.LIBRARY_SIZE)):
    sort: Literal[prompt_library.SORTS] = "top"
    tag: str | None = Field(None, max_length=30, description="Only prompts with this whole tag")


class LibraryPrompt(Shape):
    id: int
    title: str
    text: str = Field(description="Markdown")
    system_prompt: str
    tags: list[str]
    community: str
    author: str = Field(description='Public name; "Anonymous" for those who asked')
    upvotes: int
    comments: int
    created_at: str = Field(description="ISO 8601, UTC")
    uses: int = Field(description="Times asked in the arena")
    votes: int = Field(description="Votes on the answers it got")
    answer_rating: float | None = Field(description="Share of those votes that are not both_bad")


class PromptLibrary(Page):
    sort: Literal[prompt_library.SORTS]
    community: str | None
    prompts: list[LibraryPrompt]


@api_route(
    "GET",
    "/prompts",
    summary="The shared prompt library",
    tag="prompts",
    query=PromptsQuery,
    replies=(Reply(200, "Library prompts", PromptLibrary), Reply(404, "Unknown community")),
)
def prompts(query: PromptsQuery):
    slug = community_slug(query.community)
    rows = prompt_library.library(db.session, query.sort, slug, query.tag, limit=None)
    return paginated({"sort": query.sort, "community": slug, "prompts": rows}, "prompts", query)

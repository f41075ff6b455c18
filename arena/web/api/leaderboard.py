"""GET /leaderboard: models ranked by the conservative TrueSkill score."""

from typing import Literal

from pydantic import Field

from arena.extensions import db
from arena.voting.leaderboard import model_leaderboard
from arena.web.api.queries import CommunityQuery, Page, Shape, community_slug, page_query, paginated
from arena.web.api.spec import Reply, api_route


class LeaderboardQuery(CommunityQuery, page_query(100)):
    pass


class LeaderboardRow(Shape):
    model: str
    score: float = Field(description="mu - 3 sigma, rounded to 3 decimals")
    mu: float
    sigma: float
    votes: int
    wins: int
    losses: int
    ties: int


class Leaderboard(Page):
    method: Literal["trueskill"]
    community: str | None
    models: list[LeaderboardRow]


@api_route(
    "GET",
    "/leaderboard",
    summary="Models ranked by conservative TrueSkill score (mu - 3 sigma), best first",
    tag="leaderboard",
    query=LeaderboardQuery,
    replies=(Reply(200, "The leaderboard", Leaderboard), Reply(404, "Unknown community")),
)
def leaderboard(query: LeaderboardQuery):
    board = model_leaderboard(db.session, community_slug(query.community))
    return paginated(board, "models", query)

"""GET /me (one's points, rank and badges) and GET /people (the contributor and auditor boards)."""

from typing import Literal

from flask import jsonify
from pydantic import Field

from arena.extensions import db
from arena.game import people
from arena.game.rules import BOARDS, default_rules
from arena.models import utcnow
from arena.web.api.queries import CommunityQuery, Page, Shape, community_slug, page_query, paginated
from arena.web.api.spec import Reply, api_route


class NextRank(Shape):
    name: str
    points: int


class EarnedBadge(Shape):
    name: str
    tier: str
    awarded_at: str = Field(description="ISO 8601, UTC")


class Me(Shape):
    username: str
    points: int
    points_this_week: int
    rank: str = Field(description="The title the points earn")
    next_rank: NextRank | None
    position: int | None = Field(description="Place on the all-time contributors board")
    badges: list[EarnedBadge]


@api_route(
    "GET",
    "/me",
    summary="Your points, rank and badges",
    tag="people",
    auth=True,
    replies=(Reply(200, "You", Me),),
)
def me(user):
    return jsonify(people.me(db.session, user, default_rules(), utcnow()))


class PeopleQuery(CommunityQuery, page_query(people.BOARD_SIZE)):
    board: Literal[BOARDS] = "contributors"
    period: Literal[people.PERIODS] = "all"


class PersonRow(Shape):
    rank: int
    name: str = Field(description='Public name; "Anonymous" for those who asked')
    points: int
    badges: int
    agreement: float | None = Field(description="Share of verdicts agreeing with the crowd")


class PeopleBoard(Page):
    board: Literal[BOARDS]
    period: Literal[people.PERIODS]
    community: str | None
    people: list[PersonRow]


@api_route(
    "GET",
    "/people",
    summary="People ranked by points on a board",
    tag="people",
    query=PeopleQuery,
    replies=(Reply(200, "The board", PeopleBoard), Reply(404, "Unknown community")),
)
def people_board(query: PeopleQuery):
    slug = community_slug(query.community)
    rows = people.people_board(db.session, query.board, query.period, slug, utcnow())
    payload = {"board": query.board, "period": query.period, "community": slug, "people": rows}
    return paginated(payload, "people", query)

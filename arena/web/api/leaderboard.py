"""GET /leaderboard: the TrueSkill board (the default, for existing clients) or the published
Bradley–Terry board with 95 % intervals (`?method=bt`)."""

from typing import Literal

from flask import current_app, jsonify
from pydantic import Field, RootModel

from arena.extensions import db
from arena.voting import boards
from arena.voting.leaderboard import model_leaderboard
from arena.voting.selection import (
    ATTRIBUTION_FILTERS,
    EXPOSURE_FILTERS,
    SOURCES,
    TRUST_FILTERS,
)
from arena.web.api.queries import CommunityQuery, Shape, community_slug
from arena.web.api.spec import Reply, api_route
from arena.web.context import published


class LeaderboardQuery(CommunityQuery):
    method: Literal["trueskill", "bt"] = Field("trueskill", description="The rating method.")
    anchor: str | None = Field(
        None, max_length=200, description="BT only: MODEL:SCORE pins that model's score."
    )
    style: Literal["length"] | None = Field(
        None, description="BT only: control for answer length and markdown."
    )
    source: Literal[SOURCES] = Field("all", description="BT only: live, imported or all votes.")
    trust: Literal[TRUST_FILTERS] | None = Field(
        None,
        description="BT only: 'counted' (imported votes and counted voters), 'all', 'probation' "
        "or 'excluded' voters' votes. Absent: what the community publishes.",
    )
    exposure: Literal[EXPOSURE_FILTERS] | None = Field(
        None, description="BT only: answers published elsewhere (public) or only here (private)."
    )
    attribution: Literal[ATTRIBUTION_FILTERS] | None = Field(
        None,
        description="BT only: answers generated here, taken from benchmarks, or claimed by an "
        "upload.",
    )


class TrueSkillRow(Shape):
    model: str
    score: float = Field(description="mu - 3 sigma, rounded to 3 decimals")
    mu: float
    sigma: float
    votes: int
    wins: int
    losses: int
    ties: int


class TrueSkillBoard(Shape):
    method: Literal["trueskill"]
    community: str | None
    models: list[TrueSkillRow]


class BradleyTerryRow(Shape):
    model: str
    score: float = Field(description="Elo scale: base 10, scale 400, mean 1000 unless anchored")
    ci_lower: float = Field(description="2.5th percentile of the bootstrap")
    ci_upper: float = Field(description="97.5th percentile of the bootstrap")
    rank: int = Field(ge=1, description="1 + the number of models surely better")
    votes: int
    preliminary: bool = Field(description="Fewer votes than the board's threshold")


class BradleyTerryBoard(Shape):
    method: Literal["bt"]
    models: list[BradleyTerryRow]


class Leaderboard(RootModel[TrueSkillBoard | BradleyTerryBoard]):
    pass


@api_route(
    "GET",
    "/leaderboard",
    summary="Models best first: TrueSkill by default, Bradley–Terry with intervals by ?method=bt",
    tag="leaderboard",
    query=LeaderboardQuery,
    replies=(
        Reply(200, "The leaderboard", Leaderboard),
        Reply(400, "Invalid parameters (e.g. a malformed anchor)"),
        Reply(404, "Unknown community, or an anchor naming a model not on the board"),
    ),
)
def leaderboard(query: LeaderboardQuery):
    slug = community_slug(query.community)
    if query.method == "trueskill":
        return jsonify(model_leaderboard(db.session, slug))
    anchor = boards.parse_anchor(query.anchor, ":")
    board = published(
        slug,
        source=query.source,
        style=query.style is not None,
        trust=query.trust,
        exposure=query.exposure,
        attribution=query.attribution,
    )
    return jsonify(boards.bt_leaderboard(board, anchor, current_app.config["BOARD_MIN_VOTES"]))

"""GET /leaderboard: the TrueSkill board (the default, for existing clients) or the published
Bradley–Terry board with 95 % intervals (`?method=bt`, and always for a language board or a
capped one: TrueSkill ratings are kept per community only)."""

from typing import Literal

from flask import current_app, jsonify
from pydantic import Field, RootModel

from arena.core.errors import InvalidInput
from arena.core.language import LANGUAGES
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
    method: Literal["trueskill", "bt"] | None = Field(
        None,
        description="The rating method. Absent: TrueSkill, or BT with `language` or `voter_cap` "
        "(method=trueskill with either is a 400: TrueSkill ratings are kept per community only).",
    )
    language: Literal[tuple(sorted(LANGUAGES))] | None = Field(  # type: ignore[valid-type]
        None,
        description="BT only: the board of the votes on prompts in this language (ISO 639-1, e.g. "
        "'en', 'zh': one of the languages the arena detects), fitted on those votes alone; a "
        "language without votes gives an empty board.",
    )
    voter_cap: Literal["on", "off"] = Field(
        "off",
        description="BT only: 'on' counts each voter's votes on the board as at most K votes "
        "together (20 unless the community sets its own), on top of the integrity weights and "
        "the share cap.",
    )
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
    language: str | None = Field(None, description="The language asked for (absent: all)")
    voter_cap: bool = Field(False, description="Present (true) when each voter's weight was capped")


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
        Reply(
            400,
            "Invalid parameters (e.g. a malformed anchor or language, or TrueSkill asked "
            "with a language or the voter cap)",
        ),
        Reply(404, "Unknown community, or an anchor naming a model not on the board"),
    ),
)
def leaderboard(query: LeaderboardQuery):
    slug = community_slug(query.community)
    if method_of(query) == "trueskill":
        return jsonify(model_leaderboard(db.session, slug))
    anchor = boards.parse_anchor(query.anchor, ":")
    capped = query.voter_cap == "on"
    board = published(
        slug,
        source=query.source,
        style=query.style is not None,
        trust=query.trust,
        exposure=query.exposure,
        attribution=query.attribution,
        language=query.language,
        voter_cap=capped or None,
    )
    fitted = boards.bt_leaderboard(board, anchor, current_app.config["BOARD_MIN_VOTES"])
    if query.language:
        fitted["language"] = query.language
    if capped:
        fitted["voter_cap"] = True
    return jsonify(fitted)


def method_of(query: LeaderboardQuery) -> str:
    """The method asked for; a language board or a capped one is Bradley–Terry only."""
    narrowed = query.language is not None or query.voter_cap == "on"
    if narrowed and query.method == "trueskill":
        raise InvalidInput(
            "language and voter_cap need method=bt (or no method): TrueSkill ratings are kept "
            "per community only, so a language board or a capped one is a Bradley–Terry fit."
        )
    return query.method or ("bt" if narrowed else "trueskill")

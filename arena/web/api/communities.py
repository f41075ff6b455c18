"""GET /communities, GET /communities/<slug>, GET /communities/<slug>/recommendations and
GET /communities/<slug>/participation: the communities, their moderators and question results,
what their votes recommend, and who takes part."""

from flask import current_app, jsonify
from pydantic import BaseModel, Field

from arena.auditing import agreement, recommendations
from arena.auditing import communities as community_service
from arena.core.communities import all_communities, find_community
from arena.extensions import db
from arena.models import utcnow
from arena.voting import participation
from arena.web.api.queries import Shape
from arena.web.api.spec import Reply, api_route
from arena.web.context import published


class CommunitySummary(Shape):
    slug: str
    name: str
    description: str = Field(description="Markdown")
    question: str = Field(description="Asked after a vote about the chosen answer; empty: none")


class CommunityList(Shape):
    communities: list[CommunitySummary]


@api_route(
    "GET",
    "/communities",
    summary="Every community, oldest first",
    tag="communities",
    replies=(Reply(200, "The communities", CommunityList),),
)
def list_communities():
    rows = [community_service.summary(c) for c in all_communities(db.session)]
    return jsonify(communities=rows)


class QuestionResult(Shape):
    model: str
    yes: int = Field(ge=0, description="Voters who answered yes about this model's answer")
    answers: int = Field(ge=1)
    yes_share: float = Field(ge=0, le=1)


class CommunityDetail(CommunitySummary):
    guidelines: str = Field(description="Markdown: what its auditors accept and reject")
    moderators: list[str] = Field(description='Public names; "Anonymous" for those who asked')
    question_results: list[QuestionResult] = Field(description="Highest yes share first")
    auditor_alpha: float | None = Field(
        description="Krippendorff's alpha (nominal) between its auditors; null while undefined"
    )
    audit_queue: dict[str, int] = Field(
        description="Published chats by review status: pending, accepted, rejected, disputed"
    )


@api_route(
    "GET",
    "/communities/<slug>",
    summary="A community: guidelines, moderators, its question's results, auditor agreement",
    tag="communities",
    replies=(Reply(200, "The community", CommunityDetail), Reply(404, "Unknown community")),
)
def community_detail(slug: str):
    community = find_community(db.session, slug)
    return jsonify(
        **community_service.summary(community),
        guidelines=community.guidelines,
        moderators=community_service.moderator_names(db.session, community.id),
        question_results=community_service.question_results(db.session, community.id),
        auditor_alpha=agreement.community_alpha(db.session, community.id),
        audit_queue=agreement.audit_counts(db.session, community.id),
    )


class RecommendedModel(Shape):
    model: str
    score: float = Field(description="Bradley–Terry, Elo scale")
    ci_lower: float = Field(description="2.5th percentile of the bootstrap")
    ci_upper: float = Field(description="97.5th percentile of the bootstrap")
    rank: int = Field(ge=1, description="1 + the number of models surely better")
    votes: int
    preliminary: bool = Field(description="Fewer votes than thresholds.board_votes")
    tied_for_first: bool = Field(description="Its 95 % interval overlaps the first model's")


class TagWinner(Shape):
    tag: str = Field(description="Lower-cased, from accepted shared chats and library prompts")
    model: str = Field(description="The best win rate on prompts with this tag")
    win_rate: float = Field(ge=0, le=1, description="Wins plus half the ties, over its votes")
    model_votes: int = Field(description="The winner's votes on the tag")
    tag_votes: int = Field(description="All votes on the tag")


class RecommendedPrompt(Shape):
    id: int = Field(description="The library prompt (GET /prompts)")
    title: str
    system_prompt: str
    tags: list[str]
    votes: int = Field(description="Votes here on answers to it")
    answer_rating: float = Field(ge=0, le=1, description="Share of those not both_bad")
    top_model: str | None = Field(description="The model that won most with it")


class Thresholds(Shape):
    board_votes: int = Field(description="Votes before a model leaves preliminary")
    tag_votes: int = Field(description="Votes on a tag before it names a winner")
    model_tag_votes: int = Field(description="A model's votes on a tag before it can win it")
    prompt_votes: int = Field(description="A library prompt's votes before it is recommended")


class Recommendations(Shape):
    community: str
    models: list[RecommendedModel] = Field(description="Best first (ranked models first)")
    tags: list[TagWinner] = Field(description="Most voted tags first")
    prompts: list[RecommendedPrompt] = Field(description="Best answer rating first")
    thresholds: Thresholds


@api_route(
    "GET",
    "/communities/<slug>/recommendations",
    summary="The community's recommended configuration: best models, tag winners, prompts",
    tag="communities",
    replies=(
        Reply(200, "What the community's votes recommend", Recommendations),
        Reply(404, "Unknown community"),
    ),
)
def community_recommendations(slug: str):
    community = find_community(db.session, slug)
    board = published(community.slug)
    min_votes = current_app.config["BOARD_MIN_VOTES"]
    return jsonify(recommendations.recommend(db.session, community, board, min_votes))


class ParticipationQuery(BaseModel):
    weeks: int = Field(
        participation.DEFAULT_WEEKS,
        ge=1,
        le=participation.MAX_WEEKS,
        description="Whole ISO weeks (UTC) to cover, ending with the current one.",
    )


class WeekOfPeople(Shape):
    week: str = Field(description="ISO week, e.g. 2026-W53")
    start: str = Field(description="Its Monday, YYYY-MM-DD")
    voters: int = Field(ge=0, description="People who voted here that week")
    contributors: int = Field(ge=0, description="People who shared chats here (still published)")
    auditors: int = Field(ge=0, description="People who recorded audits of its chats")


class TopVoters(Shape):
    voters: int = Field(
        ge=0,
        description="ceil(p % of the voters), at least one: the top 1 % of fewer than 100 "
        "voters is the single most active voter",
    )
    share: float | None = Field(ge=0, le=1, description="Their share of the votes; null if none")


class Concentration(Shape):
    voters: int = Field(ge=0, description="People with at least one vote in the window")
    votes: int = Field(ge=0)
    top_1_percent: TopVoters
    top_10_percent: TopVoters
    gini: float | None = Field(
        ge=0, le=1, description="Gini coefficient of votes per voter (0: all alike); null if none"
    )


class LanguageCount(Shape):
    language: str = Field(description='The prompt\'s language; "unknown" when not detected')
    prompts: int = Field(ge=0, description="Active prompts now")
    votes: int = Field(ge=0, description="Votes in the window")


class TopicCount(Shape):
    topic: str = Field(description='The prompt\'s category; "unknown" when it has none')
    prompts: int = Field(ge=0, description="Active prompts now")
    votes: int = Field(ge=0, description="Votes in the window")


class ModelVotes(Shape):
    model: str
    votes: int = Field(ge=1, description="Votes in the window it was one of the two models of")


class Participation(Shape):
    community: str
    weeks: int = Field(ge=1, le=participation.MAX_WEEKS)
    since: str = Field(description="The first Monday of the window, YYYY-MM-DD (UTC)")
    by_week: list[WeekOfPeople] = Field(description="Oldest first, one row per week")
    concentration: Concentration
    languages: list[LanguageCount] = Field(description="Most voted first")
    topics: list[TopicCount] = Field(description="Most voted first")
    models: list[ModelVotes] = Field(description="Most voted first")


@api_route(
    "GET",
    "/communities/<slug>/participation",
    summary="Who takes part: people per week, how concentrated the votes are, languages, "
    "topics and models (counts only, no names of people)",
    tag="communities",
    query=ParticipationQuery,
    replies=(
        Reply(200, "The community's participation over the window", Participation),
        Reply(400, "weeks is not a whole number from 1 to 104"),
        Reply(404, "Unknown community"),
    ),
)
def community_participation(slug: str, query: ParticipationQuery):
    community = find_community(db.session, slug)
    return jsonify(participation.participation(db.session, community, utcnow(), query.weeks))

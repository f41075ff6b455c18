"""GET /datasets/<community> (the data statement and a link to each format) and
GET /datasets/<community>/<format> (the data set itself, streamed)."""

from typing import Literal

from flask import Response, current_app, jsonify, stream_with_context, url_for
from pydantic import BaseModel, Field

from arena.datasets import exports, selection, statement
from arena.extensions import db
from arena.models import utcnow
from arena.web.api.queries import Shape
from arena.web.api.spec import Reply, api_route


class ExportQuery(BaseModel):
    ties: Literal[selection.TIES] = Field(
        "exclude",
        description="dpo only: 'flag' keeps pairs whose majority is a tie, both bad or split, "
        "with their `outcome`; 'exclude' leaves them out.",
    )


class DatasetFormat(Shape):
    format: str
    description: str
    media_type: str
    rows: int = Field(ge=0, description="Rows in the file (the CSV's header not counted)")
    url: str
    filename: str = Field(description="The name the download is saved under")


class StatementCommunity(Shape):
    slug: str
    name: str
    description: str
    guidelines: str = Field(description="The community's guidelines for its auditors")
    question: str | None = Field(description="Asked after a vote about the chosen answer")


class StatementLicence(Shape):
    licence: str
    votes: int = Field(ge=0, description="Votes whose texts carry this licence")
    rated_answers: int = Field(ge=0, description="kto rows under this licence")
    terms: str = Field(description="What a user of the data must do, notices included")


class Curation(Shape):
    decide_at: int = Field(description="Agreeing audits that accept or reject a shared chat")
    dispute_at: int = Field(description="Audits without a decision that send it to moderators")
    known_answer_share: float
    moderator_decision_binding: bool
    summary: str


class TimeRange(Shape):
    first_vote: str | None = Field(description="ISO 8601, UTC")
    last_vote: str | None
    first_shared_chat: str | None
    last_shared_chat: str | None


class Counts(Shape):
    votes: int = Field(ge=0, description="Rows of battles and csv")
    prompts: int = Field(ge=0)
    models: int = Field(ge=0)
    preference_pairs: int = Field(ge=0, description="Rows of dpo and openai-dpo")
    unresolved_pairs: int = Field(ge=0, description="Pairs whose majority is no preference")
    pairs_without_shared_prompt: int = Field(ge=0)
    rated_answers: int = Field(ge=0, description="Rows of kto")


class Exclusion(Shape):
    votes: int = Field(ge=1)
    why: str


class Voters(Shape):
    people: int = Field(ge=0, description="Distinct people whose votes cast here are in")
    live_votes: int = Field(ge=0)
    imported_votes: int = Field(ge=0)
    imported_judges: dict[str, int] = Field(description="Source studies' judge labels")
    top_10_percent_share: float | None = Field(
        description="Share of the votes cast here by the most active tenth of voters"
    )
    gini: float | None = Field(description="Gini coefficient of votes per voter")


class Statement(Shape):
    """The data statement that goes with every file of a community's data sets."""

    title: str
    community: StatementCommunity
    generated_at: str
    licences: list[StatementLicence]
    votes_licence: str
    curation: Curation
    time_range: TimeRange
    counts: Counts
    excluded_votes: dict[str, Exclusion] = Field(description="Votes left out, by reason")
    voters: Voters
    languages: str
    language_votes: dict[str, int] = Field(
        description="Included votes per language of their prompt (ISO 639-1; 'unknown' when not "
        "detected), most first"
    )
    consensus: str
    pseudonyms: str
    known_gaps: list[str]
    report_a_problem: str


class DatasetIndex(Shape):
    community: str
    formats: list[DatasetFormat]
    statement: Statement


def open_release(community: str, ties: str = "exclude") -> selection.Release:
    """The community's data sets; a 404 for an unknown community."""
    secret = current_app.config["SECRET_KEY"].encode()
    return selection.release(db.session, community, secret, ties)


def dataset_formats(release: selection.Release, counts: dict) -> list[dict]:
    slug = release.community.slug
    return [
        {
            "format": name,
            "description": chosen.description,
            "media_type": chosen.media_type,
            "rows": chosen.row_count(counts),
            "url": url_for("api.dataset_file", community=slug, format=name),
            "filename": f"{slug}-{name}.{chosen.extension}",
        }
        for name, chosen in exports.FORMATS.items()
    ]


@api_route(
    "GET",
    "/datasets/<community>",
    summary="A community's curated data sets: the data statement and a link to each format",
    tag="datasets",
    replies=(
        Reply(200, "The statement and the formats", DatasetIndex),
        Reply(404, "No such community"),
    ),
)
def dataset_index(community: str):
    release = open_release(community)
    facts = statement.build(db.session, release, utcnow())
    return jsonify(
        community=release.community.slug,
        formats=dataset_formats(release, facts["counts"]),
        statement=facts,
    )


@api_route(
    "GET",
    "/datasets/<community>/<format>",
    summary="A community's data set in one format (dpo, openai-dpo, kto, battles, csv), streamed",
    tag="datasets",
    query=ExportQuery,
    replies=(
        Reply(
            200,
            "JSON Lines (application/x-ndjson), or CSV (text/csv) for the csv format; its data "
            "statement is at /datasets/<community> (the Link header says so)",
            media_type=exports.JSONL,
        ),
        Reply(404, "No such community or format"),
    ),
)
def dataset_file(community: str, format: str, query: ExportQuery):  # noqa: A002 - the URL's name
    chosen = exports.format_named(format)
    release = open_release(community, query.ties)
    lines = exports.lines(db.session, release, chosen.name)
    slug = release.community.slug
    filename = f"{slug}-{chosen.name}.{chosen.extension}"  # as dataset_formats names it
    return Response(
        stream_with_context(lines),
        mimetype=chosen.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Link": f'<{url_for("api.dataset_index", community=slug)}>; rel="describedby"',
        },
    )

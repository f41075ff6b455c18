"""POST /chats (share exports), GET /chats (what you shared) and GET /feedback-stats."""

import dataclasses
import json
from typing import Annotated, Any, Literal

from flask import jsonify, url_for
from pydantic import BaseModel, Field, StringConstraints

from arena import realtime
from arena.chats import drafts, sharing
from arena.chats.consent import EVERYONE, Consent, consented
from arena.chats.feedback import feedback_stats
from arena.chats.formats import parse_chat_file
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import utcnow
from arena.web.api.queries import (
    MAX_SLUG,
    CommunityQuery,
    Page,
    Shape,
    community_slug,
    page_query,
    paginated,
)
from arena.web.api.spec import Reply, api_route
from arena.web.no_store import no_store
from arena.web.uploads import upload_bytes

Licence = Literal[tuple(sharing.LICENCES)]
Slug = Annotated[str, StringConstraints(max_length=MAX_SLUG)]
Notes = Annotated[str, StringConstraints(max_length=2000)]


NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
OwnerId = Annotated[str, StringConstraints(max_length=200)]


class SharingFields(BaseModel):
    community: Slug | None = Field(None, description="Community slug the chats belong to")
    licence: Licence | None = None
    notes: Notes | None = Field(None, description="Free text shown with the chats")
    consent: Literal["everyone"] | None = Field(
        None,
        description="For a file holding other people's chats (an Open WebUI feedback export, "
        "an admin's export of all chats): everyone in it agreed to share",
    )
    only_user: OwnerId | None = Field(
        None, description="Keep only this Open WebUI user's chats (your own user id)"
    )


class ShareChatsBody(SharingFields):
    tags: list[str] | None = Field(None, max_length=sharing.MAX_TAGS, description="Short words")
    chats: Any = Field(description="the chat export: Open WebUI JSON, or a list of chats")


class ShareChatsForm(SharingFields):
    tags: str | None = Field(None, max_length=400, description="Comma-separated short words")
    file: Any = Field(
        description="the chat export file, .json or .jsonl",
        json_schema_extra={"type": "string", "format": "binary"},
    )


class ShareChatsQuery(SharingFields):
    """For an NDJSON body (the file itself, e.g. Open WebUI's GET /api/v1/chats/all): the
    sharing choices travel in the query string."""

    tags: str | None = Field(None, max_length=400, description="Comma-separated short words")


class SharedChatReport(Shape):
    id: int | None = Field(description="null when nothing of the chat was new")
    title: str
    duplicate: bool = Field(description="Nothing new: shared before as it is")
    pairs: int = Field(description="Blind pairs this share mined into the arena")
    redactions: dict[str, int] = Field(description="Personal data replaced, by kind")
    updated: bool = Field(description="Shared before (same chat id): this share added to it")
    new_messages: int
    new_ratings: int


class SharingReport(Shape):
    status: Literal["published"]
    chats: list[SharedChatReport]
    redactions: dict[str, int]


class Submission(Shape):
    status: Literal["awaiting_confirmation"]
    submission: str = Field(description="The draft's token")
    preview_url: str = Field(description="Where you check the redactions and publish")
    expires_at: str = Field(description="ISO 8601: the draft is deleted then")
    chats: list[SharedChatReport]
    redactions: dict[str, int]


@api_route(
    "POST",
    "/chats",
    summary="Share chat exports: scrubbed of personal data, mined into blind pairs",
    tag="chats",
    auth=True,
    limit="30/hour",
    query=ShareChatsQuery,
    body=ShareChatsBody,
    form=ShareChatsForm,
    raw_body=NDJSON_TYPES,
    replies=(
        Reply(202, "Waiting for you to check the redactions and publish (the default)", Submission),
        Reply(201, "Published at once (your setting), at least one chat added", SharingReport),
        Reply(200, "Published at once: every chat had been shared before as it is", SharingReport),
        Reply(404, "Unknown community"),
    ),
)
@no_store
def share_chats(
    user,
    query: ShareChatsQuery,
    body: ShareChatsBody | None = None,
    form: ShareChatsForm | None = None,
    raw: bytes | None = None,
):
    """The chats are scrubbed before any write. Unless the contributor chose to publish
    directly, they wait as a draft for the contributor's look at the redactions."""
    if raw is not None:
        fields, data = query, raw
    elif form is not None:
        fields, data = form, upload_bytes(form.file)
    else:
        fields, data = body, json.dumps(body.chats).encode()
    options, consent = _options(fields), _consent(fields)
    if not user.publish_directly:
        return _save_draft(user, data, options, consent)
    prepared = sharing.prepare(data, options, user.share_key, consent)
    with unit_of_work(db.session):
        result = sharing.publish(db.session, user.id, prepared)
    realtime.publish(result.events)
    status = 201 if result.published else 200
    return jsonify(
        status="published",
        chats=[_report(c) for c in result.chats],
        redactions=result.redactions(),
    ), status


def _save_draft(user, data: bytes, options: sharing.SharingOptions, consent):
    chats = consented(parse_chat_file(data), consent)
    if options.community:
        find_community(db.session, options.community)  # an unknown one is a 404 now, not later
    prepared = sharing.prepare_chats(chats, _draft_options(options), user.share_key, consent)
    now = utcnow()
    with unit_of_work(db.session):
        token = drafts.save(db.session, user.id, prepared.chats, now, _choices(prepared.options))
        previews = drafts.preview(db.session, user.id, prepared.chats)
    return jsonify(
        status="awaiting_confirmation",
        submission=token,
        preview_url=url_for("chats.draft", token=token, _external=True),
        expires_at=(now + drafts.DRAFT_LIFETIME).isoformat(),
        chats=[_draft_report(chat) for chat in previews],
        redactions=prepared.option_redactions
        | _summed([chat["redactions"] for chat in previews if not chat["duplicate"]]),
    ), 202


def _draft_options(options: sharing.SharingOptions) -> sharing.SharingOptions:
    """Community and licence may be chosen in the preview: a draft checks only what was sent."""
    licence = options.licence or next(iter(sharing.LICENCES))
    return dataclasses.replace(options, licence=licence)


def _choices(options: sharing.SharingOptions) -> dict:
    return {
        "community": options.community,
        "licence": options.licence,
        "tags": options.tags,
        "notes": options.notes,
    }


def _summed(counts: list[dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for count in counts:
        for kind, number in count.items():
            totals[kind] = totals.get(kind, 0) + number
    return totals


def _draft_report(chat: dict) -> dict:
    update = chat["update"] or {}
    return {
        "id": None,
        "title": chat["title"],
        "duplicate": chat["duplicate"],
        "pairs": 0 if chat["duplicate"] else chat["pairs"],
        "redactions": chat["redactions"],
        "updated": bool(update),
        "new_messages": update.get("messages", 0),
        "new_ratings": update.get("ratings", 0),
    }


def _report(chat: sharing.SharedChatReport) -> dict:
    return {
        "id": chat.chat_id,
        "title": chat.title,
        "duplicate": chat.duplicate,
        "pairs": chat.pairs,
        "redactions": chat.redactions,
        "updated": chat.updated,
        "new_messages": chat.new_messages,
        "new_ratings": chat.new_ratings,
    }


def _options(fields) -> sharing.SharingOptions:
    tags = fields.tags or []
    if isinstance(tags, str):
        tags = [tag for tag in tags.split(",") if tag.strip()]
    return sharing.SharingOptions(
        community=fields.community or "",
        licence=fields.licence or "",
        tags=tags,
        notes=fields.notes or "",
    )


def _consent(fields) -> Consent:
    return Consent(everyone=fields.consent == EVERYONE, only_user=fields.only_user or None)


class SharedMessage(Shape):
    id: str
    parent_id: str | None
    role: str
    model: str | None
    content: str
    rating: int | None
    feedback_note: str = Field(description="The rater's comment")
    detail_rating: int | None = Field(description="Open WebUI's detailed rating, 1 to 10")
    reason: str | None = Field(description="The rating's reason code")
    reason_label: str | None
    feedback_tags: list[str]
    failed: bool = Field(description="An answer that failed (an error, or no text)")
    error: str | None = Field(description="Why it failed, scrubbed")


class SharedChat(Shape):
    id: int
    title: str
    community: str
    source_format: str
    licence: str
    tags: list[str]
    notes: str
    status: str
    shared_at: str = Field(description="ISO 8601")
    redactions: dict[str, int]
    pairs: int
    messages: list[SharedMessage]


class MyChats(Page):
    chats: list[SharedChat]


class MyChatsQuery(page_query(100)):
    pass


@api_route(
    "GET",
    "/chats",
    summary="Everything you shared, as published (scrubbed), newest first",
    tag="chats",
    auth=True,
    query=MyChatsQuery,
    replies=(Reply(200, "Your shared chats", MyChats),),
)
@no_store
def my_chats(user, query: MyChatsQuery):
    return paginated(sharing.export_contributions(db.session, user.id), "chats", query)


class RatingReason(Shape):
    code: str
    label: str
    count: int


class ModelFeedback(Shape):
    model: str
    answers: int
    thumbs_up: int
    thumbs_down: int
    satisfaction: float | None
    satisfaction_interval: list[float] | None = Field(
        min_length=2, max_length=2, description="Wilson score interval"
    )
    regeneration_rate: float | None
    preferred_over: dict[str, int]
    less_preferred_than: dict[str, int]
    tokens_per_second: float | None = Field(description="null: unknown (no answer was timed)")
    timed_answers: int
    failures: int = Field(description="Answers that failed: an error, or no text")
    detail_rating: float | None = Field(description="Mean of the 1-10 detailed ratings")
    detail_ratings: int
    reasons: list[RatingReason]
    tags: dict[str, int]


class FeedbackStats(Shape):
    community: str | None
    confidence: float
    models: list[ModelFeedback]


@api_route(
    "GET",
    "/feedback-stats",
    summary="Per model feedback from shared chats: thumbs, satisfaction, regenerations, speed",
    tag="chats",
    query=CommunityQuery,
    replies=(Reply(200, "Feedback per model", FeedbackStats), Reply(404, "Unknown community")),
)
def feedback_statistics(query: CommunityQuery):
    return jsonify(feedback_stats(db.session, community_slug(query.community)))

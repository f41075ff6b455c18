"""POST /chats (share exports), GET /chats (what you shared) and GET /feedback-stats."""

import json
from typing import Annotated, Any, Literal

from flask import jsonify
from pydantic import BaseModel, Field, StringConstraints

from arena import realtime
from arena.chats import sharing
from arena.chats.feedback import feedback_stats
from arena.core.db import unit_of_work
from arena.extensions import db
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


class SharingFields(BaseModel):
    community: Slug | None = Field(None, description="Community slug the chats belong to")
    licence: Licence | None = None
    notes: Notes | None = Field(None, description="Free text shown with the chats")


class ShareChatsBody(SharingFields):
    tags: list[str] | None = Field(None, max_length=sharing.MAX_TAGS, description="Short words")
    chats: Any = Field(description="the chat export: Open WebUI JSON, or a list of chats")


class ShareChatsForm(SharingFields):
    tags: str | None = Field(None, max_length=400, description="Comma-separated short words")
    file: Any = Field(
        description="the chat export file, .json or .jsonl",
        json_schema_extra={"type": "string", "format": "binary"},
    )


class SharedChatReport(Shape):
    id: int | None = Field(description="null when the chat was shared before")
    title: str
    duplicate: bool
    pairs: int = Field(description="Blind pairs mined into the arena")
    redactions: dict[str, int] = Field(description="Personal data replaced, by kind")


class SharingReport(Shape):
    chats: list[SharedChatReport]
    redactions: dict[str, int]


@api_route(
    "POST",
    "/chats",
    summary="Share chat exports: scrubbed of personal data, mined into blind pairs",
    tag="chats",
    auth=True,
    limit="30/hour",
    body=ShareChatsBody,
    form=ShareChatsForm,
    replies=(
        Reply(201, "Published (at least one chat was new)", SharingReport),
        Reply(200, "Every chat had been shared before; nothing changed", SharingReport),
        Reply(404, "Unknown community"),
    ),
)
@no_store
def share_chats(user, body: ShareChatsBody | None = None, form: ShareChatsForm | None = None):
    raw, options = _from_form(form) if form is not None else _from_body(body)
    prepared = sharing.prepare(raw, options)  # scrubbing takes long: before the write begins
    with unit_of_work(db.session):
        result = sharing.publish(db.session, user.id, prepared)
    realtime.publish(result.events)
    status = 201 if result.published else 200
    return jsonify(chats=[_report(c) for c in result.chats], redactions=result.redactions()), status


def _report(chat: sharing.SharedChatReport) -> dict:
    return {
        "id": chat.chat_id,
        "title": chat.title,
        "duplicate": chat.duplicate,
        "pairs": chat.pairs,
        "redactions": chat.redactions,
    }


def _from_body(body: ShareChatsBody) -> tuple[bytes, sharing.SharingOptions]:
    options = sharing.SharingOptions(
        community=body.community or "",
        licence=body.licence or "",
        tags=body.tags or [],
        notes=body.notes or "",
    )
    return json.dumps(body.chats).encode(), options


def _from_form(form: ShareChatsForm) -> tuple[bytes, sharing.SharingOptions]:
    options = sharing.SharingOptions(
        community=form.community or "",
        licence=form.licence or "",
        tags=[tag for tag in (form.tags or "").split(",") if tag.strip()],
        notes=form.notes or "",
    )
    return upload_bytes(form.file), options


class SharedMessage(Shape):
    id: str
    parent_id: str | None
    role: str
    model: str | None
    content: str
    rating: int | None
    feedback_note: str


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
    tokens_per_second: float | None
    timed_answers: int


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

"""Sharing chats: scrubbed before any write begins, then published whole or not at all in one
short unit of work; withdraw, export."""

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from arena.chats import drafts, publishing
from arena.chats.consent import Consent, consented
from arena.chats.feedback import reason_label
from arena.chats.formats import MAX_FILE_BYTES, ParsedChat, parse_chat_file
from arena.chats.redact import redact
from arena.chats.scrub import ScrubbedChat, scrub_chats, scrubbed_tags, with_hand_redactions
from arena.core.communities import find_community
from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.core.events import Event
from arena.core.i18n import N_
from arena.game import awards
from arena.game.rules import Rules, default_rules
from arena.models import Battle, Prompt, Response, utcnow
from arena.models.chats import AnswerFeedback, SharedChat, SharedMessage

LICENCES = {"CC0-1.0": N_("CC0 1.0 (public domain)"), "CC-BY-4.0": N_("CC BY 4.0 (attribution)")}
MAX_TAGS = 10
TAG_PATTERN = re.compile(r"^[\w .+#-]{1,30}$")
WITHDRAWN_TEXT = "[withdrawn by its contributor]"


@dataclass
class SharingOptions:
    community: str
    licence: str
    tags: list[str] = field(default_factory=list)
    notes: str = ""


@dataclass
class SharingResult:
    chats: list["SharedChatReport"]
    events: list[Event]  # badges earned by sharing, to publish after commit
    option_redactions: dict[str, int] = field(default_factory=dict)  # in tags and notes

    @property
    def published(self) -> list["SharedChatReport"]:
        return [chat for chat in self.chats if not chat.duplicate]

    def redactions(self) -> dict[str, int]:
        """Personal data replaced in what this share stored (duplicates store nothing)."""
        totals = dict(self.option_redactions)
        for chat in self.published:
            for kind, count in chat.redactions.items():
                totals[kind] = totals.get(kind, 0) + count
        return totals


@dataclass
class SharedChatReport:
    title: str
    chat_id: int | None
    duplicate: bool  # nothing new: shared before as it is, or repeated in the file
    pairs: int  # blind pairs this share added
    redactions: dict[str, int]
    updated: bool = False  # a chat shared before, which this share grew or rated
    new_messages: int = 0
    new_ratings: int = 0


def check_options(options: SharingOptions) -> SharingOptions:
    for name in ("community", "licence", "notes"):
        if not isinstance(getattr(options, name), str):
            raise InvalidInput(f"{name} must be text.")
    if options.licence not in LICENCES:
        raise InvalidInput(f"licence must be one of {', '.join(LICENCES)}.")
    if not isinstance(options.tags, list) or len(options.tags) > MAX_TAGS:
        raise InvalidInput(f"tags must be a list of at most {MAX_TAGS} short words.")
    tags = [str(tag).strip() for tag in options.tags if str(tag).strip()]
    bad = [tag for tag in tags if not TAG_PATTERN.match(tag)]
    if bad:
        raise InvalidInput(f"tag {bad[0][:30]!r}: use up to 30 letters, digits, spaces or .+#-")
    if len(options.notes or "") > 2000:
        raise InvalidInput("notes are limited to 2,000 characters.")
    return dataclasses.replace(options, tags=tags, notes=(options.notes or "").strip())


# -- preparing: parse and scrub, before any write transaction ----------------------------------


@dataclass
class PreparedUpload:
    """An upload ready to write: its chats and options scrubbed."""

    chats: list[ScrubbedChat]
    options: SharingOptions
    option_redactions: dict[str, int] = field(default_factory=dict)  # found in tags and notes


def prepare(
    raw: bytes,
    options: SharingOptions,
    key: bytes,
    consent: Consent | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> PreparedUpload:
    """Parse and scrub a whole file with the contributor's share key. Run it outside
    `unit_of_work`: scrubbing a large file takes long, and a write transaction would hold the
    database's write lock all that time."""
    return prepare_chats(parse_chat_file(raw, max_bytes=max_bytes), options, key, consent)


def prepare_chats(
    chats: list[ParsedChat],
    options: SharingOptions,
    key: bytes,
    consent: Consent | None = None,
    progress: Callable[[int], None] | None = None,
) -> PreparedUpload:
    """As `prepare`, for chats parsed already."""
    options = check_options(options)
    return _with_options(scrub_chats(consented(chats, consent), key, progress), options)


def prepare_draft(
    chats: list[ScrubbedChat],
    options: SharingOptions,
    manual: dict[tuple[int, str], list[tuple[int, int]]] | None = None,
) -> PreparedUpload:
    """A draft's chats with the spans redacted by hand; manual maps (chat number, message id)
    to character spans in the message's scrubbed text, as the preview showed it."""
    options = check_options(options)
    marked: dict[int, dict[str, list]] = {}
    for (number, message_id), spans in (manual or {}).items():
        if not 0 <= number < len(chats):
            raise InvalidInput("The hand-marked redactions name a chat that is not in the file.")
        marked.setdefault(number, {})[message_id] = spans
    chats = [with_hand_redactions(chat, marked.get(n, {})) for n, chat in enumerate(chats)]
    return _with_options(chats, options)


def _with_options(chats: list[ScrubbedChat], options: SharingOptions) -> PreparedUpload:
    tags, counts = scrubbed_tags(options.tags)
    notes = redact(options.notes) if options.notes else None
    for kind, count in (notes.counts if notes else {}).items():
        counts[kind] = counts.get(kind, 0) + count
    options = dataclasses.replace(options, tags=tags, notes=notes.text if notes else "")
    return PreparedUpload(chats, options, counts)


# -- publishing: one short write ---------------------------------------------------------------


def publish(
    session: Session,
    contributor_id: int,
    upload: PreparedUpload,
    draft_token: str | None = None,
    rules: Rules | None = None,
) -> SharingResult:
    """Write every chat of a prepared upload, or none of them (the caller's unit of work)."""
    if draft_token and not drafts.discard(session, contributor_id, draft_token):
        raise NotFound(drafts.GONE)
    community = find_community(session, upload.options.community)
    written = publishing.write_chats(session, contributor_id, community, upload, utcnow())
    reports = [
        SharedChatReport(
            chat.scrubbed.chat.title,
            chat.chat_id,
            chat.chat_id is None,
            chat.pairs,
            chat.scrubbed.redactions,
            chat.updated,
            chat.new_messages,
            chat.new_ratings,
        )
        for chat in written
    ]
    new_ids = [chat.chat_id for chat in written if chat.chat_id is not None and not chat.updated]
    # Every chat of an upload is shared at one moment: the badges it earns are evaluated once.
    events = (
        awards.after_chat_shared(
            session, session.get(SharedChat, new_ids[-1]), rules or default_rules()
        )
        if new_ids
        else []
    )
    return SharingResult(reports, events, upload.option_redactions)


# -- the contributor's own data ----------------------------------------------------------------


def withdraw(session: Session, contributor_id: int, chat_id: int) -> None:
    """Pairs leave the queue and texts are deleted; votes already cast stay in the ratings."""
    chat = session.get(SharedChat, chat_id)
    if chat is None or chat.contributor_id != contributor_id:
        raise NotFound("No such shared chat.")
    if chat.status == "withdrawn":
        raise Conflict("This chat is already withdrawn.")
    prompt_ids = select(Prompt.id).where(Prompt.shared_chat_id == chat.id)
    session.execute(
        update(Response).where(Response.prompt_id.in_(prompt_ids)).values(text=WITHDRAWN_TEXT)
    )
    session.execute(
        update(Prompt)
        .where(Prompt.shared_chat_id == chat.id)
        .values(is_active=False, text=WITHDRAWN_TEXT, context=[])
    )
    session.execute(delete(SharedMessage).where(SharedMessage.chat_id == chat.id))
    session.execute(delete(AnswerFeedback).where(AnswerFeedback.chat_id == chat.id))
    chat.status, chat.withdrawn_at = "withdrawn", utcnow()
    chat.fingerprint = chat.source_key = None  # it may be shared again, as a new chat
    chat.title, chat.notes = WITHDRAWN_TEXT, ""


def contributions(session: Session, contributor_id: int) -> list[SharedChat]:
    return list(
        session.scalars(
            select(SharedChat)
            .where(SharedChat.contributor_id == contributor_id)
            .order_by(SharedChat.id.desc())
        )
    )


def _undecided_battles(session: Session, contributor_id: int) -> set[int]:
    """Chats of the contributor's own custom battles not voted on yet: their model names wait
    for the vote, as on the battle page (blindness holds on every channel)."""
    return set(
        session.scalars(
            select(Prompt.shared_chat_id)
            .join(Battle, Battle.prompt_id == Prompt.id)
            .where(
                Prompt.origin == "custom",
                Battle.voter_id == contributor_id,
                Battle.status != "voted",
            )
        )
    )


def export_contributions(session: Session, contributor_id: int) -> dict:
    """Everything a contributor shared, as published (scrubbed), for download; model names of
    a custom battle appear once the contributor has voted on it."""
    hidden = _undecided_battles(session, contributor_id)
    return {
        "chats": [
            {
                "id": chat.id,
                "title": chat.title,
                "community": chat.community.slug,
                "source_format": chat.source_format,
                "licence": chat.licence,
                "tags": chat.tags,
                "notes": chat.notes,
                "status": chat.status,
                "shared_at": chat.created_at.isoformat(),
                "redactions": chat.redaction_counts,
                "pairs": chat.pairs,
                "messages": [
                    {
                        "id": m.message_key,
                        "parent_id": m.parent_key,
                        "role": m.role,
                        "model": None if chat.id in hidden else m.model_name,
                        "content": m.content,
                        "rating": m.rating,
                        "feedback_note": m.feedback_note,
                        "detail_rating": m.detail_rating,
                        "reason": m.reason,
                        "reason_label": reason_label(m.reason) if m.reason else None,
                        "feedback_tags": m.feedback_tags or [],
                        "failed": m.role == "assistant" and (m.error is not None or not m.content),
                        "error": m.error,
                    }
                    for m in chat.messages
                ],
            }
            for chat in contributions(session, contributor_id)
        ]
    }

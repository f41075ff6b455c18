"""Sharing chats: preview, scrub, publish whole or not at all, mine pairs, withdraw, export."""

import dataclasses
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from arena.chats.formats import MAX_FILE_BYTES, ChatMessage, ParsedChat, parse_chat_file
from arena.chats.identity import self_identifies
from arena.chats.mining import candidate_pairs, feedback_events, mine_prompts
from arena.chats.redact import find_personal_data, redact
from arena.core.communities import find_community
from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.core.events import Event
from arena.game import awards
from arena.game.rules import Rules, default_rules
from arena.models import Battle, LanguageModel, Prompt, Response, utcnow
from arena.models.chats import AnswerFeedback, ChatDraft, SharedChat, SharedMessage

LICENCES = {"CC0-1.0": "CC0 1.0 (public domain)", "CC-BY-4.0": "CC BY 4.0 (attribution)"}
MAX_TAGS = 10
TAG_PATTERN = re.compile(r"^[\w .+#-]{1,30}$")
DRAFT_LIFETIME = timedelta(hours=24)
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

    @property
    def published(self) -> list["SharedChatReport"]:
        return [chat for chat in self.chats if not chat.duplicate]

    def redactions(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for chat in self.chats:
            for kind, count in chat.redactions.items():
                totals[kind] = totals.get(kind, 0) + count
        return totals


@dataclass
class SharedChatReport:
    title: str
    chat_id: int | None
    duplicate: bool
    pairs: int
    redactions: dict[str, int]


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


# -- preview -----------------------------------------------------------------------------------


def preview(session: Session, raw: bytes) -> list[dict]:
    """What publishing would store: each message with its personal data marked, nothing saved."""
    chats = parse_chat_file(raw)
    known = set(
        session.scalars(
            select(SharedChat.fingerprint).where(
                SharedChat.fingerprint.in_([c.fingerprint for c in chats])
            )
        )
    )
    return [
        _chat_preview(number, chat, chat.fingerprint in known) for number, chat in enumerate(chats)
    ]


def _chat_preview(number: int, chat: ParsedChat, duplicate: bool) -> dict:
    messages = []
    for message in chat.messages:
        hits = find_personal_data(message.content)
        messages.append(
            {
                "id": message.id,
                "role": message.role,
                "model": message.model,
                "segments": _segments(message.content, hits),
                "self_identifies": message.role == "assistant" and self_identifies(message.content),
            }
        )
    return {
        "number": number,
        "title": chat.title or f"Chat {number + 1}",
        "source_format": chat.source_format,
        "duplicate": duplicate,
        "messages": messages,
        "pairs": sum(len(candidate_pairs(p)) for p in mine_prompts(chat)),
    }


def _segments(text: str, hits) -> list[dict]:
    """The text cut into plain and personal pieces, for highlighting."""
    pieces, position = [], 0
    for hit in hits:
        if hit.start > position:
            pieces.append({"text": text[position : hit.start], "kind": None})
        pieces.append({"text": text[hit.start : hit.end], "kind": hit.kind})
        position = hit.end
    if position < len(text):
        pieces.append({"text": text[position:], "kind": None})
    return pieces


def save_draft(session: Session, contributor_id: int, raw: bytes) -> str:
    """Keep an upload for its preview; the original is deleted when published or abandoned."""
    parse_chat_file(raw)  # refuse a bad file before keeping anything
    cutoff = utcnow() - DRAFT_LIFETIME
    session.execute(delete(ChatDraft).where(ChatDraft.created_at < cutoff))
    token = secrets.token_urlsafe(24)
    session.add(ChatDraft(token=token, contributor_id=contributor_id, raw=raw))
    session.flush()
    return token


def load_draft(session: Session, contributor_id: int, token: str) -> ChatDraft:
    draft = session.scalar(select(ChatDraft).where(ChatDraft.token == token))
    if draft is None or draft.contributor_id != contributor_id:
        raise NotFound("This upload is gone: drafts are kept for 24 hours. Please upload again.")
    return draft


# -- publishing --------------------------------------------------------------------------------


def publish(
    session: Session,
    contributor_id: int,
    raw: bytes,
    options: SharingOptions,
    manual: dict[tuple[int, str], list[tuple[int, int]]] | None = None,
    draft_token: str | None = None,
    rules: Rules | None = None,
    progress: Callable[[int], None] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> SharingResult:
    """Scrub and publish every chat of the file in one transaction, or none of them.

    manual maps (chat number, message id) to character spans the contributor redacted by hand.
    """
    options = check_options(options)
    chats = parse_chat_file(raw, max_bytes=max_bytes)
    community = find_community(session, options.community)
    reports = []
    for number, chat in enumerate(chats):
        scrubbed, counts = _scrub(chat, (manual or {}), number)
        reports.append(
            _publish_chat(session, contributor_id, community, scrubbed, counts, options)
        )
        if progress:
            progress(1)
    if draft_token:
        session.execute(delete(ChatDraft).where(ChatDraft.token == draft_token))
    events = []
    for report in reports:
        if report.chat_id:
            chat = session.get(SharedChat, report.chat_id)
            events += awards.after_chat_shared(session, chat, rules or default_rules())
    return SharingResult(reports, events)


def _scrub(chat: ParsedChat, manual, number) -> tuple[ParsedChat, dict[str, int]]:
    """The chat with personal data replaced, before anything is written."""
    counts: dict[str, int] = {}
    messages = []
    for message in chat.messages:
        result = redact(message.content, manual.get((number, message.id), []))
        for kind, count in result.counts.items():
            counts[kind] = counts.get(kind, 0) + count
        note = redact(message.feedback_note).text if message.feedback_note else ""
        messages.append(dataclasses.replace(message, content=result.text, feedback_note=note))
    return dataclasses.replace(chat, messages=messages), counts


def _publish_chat(session, contributor_id, community, chat, counts, options) -> SharedChatReport:
    exists = session.scalar(select(SharedChat.id).where(SharedChat.fingerprint == chat.fingerprint))
    if exists:
        return SharedChatReport(redact(chat.title).text, None, True, 0, counts)
    shared = SharedChat(
        contributor_id=contributor_id,
        community_id=community.id,
        source_format=chat.source_format,
        title=redact(chat.title).text[:200],
        fingerprint=chat.fingerprint,
        licence=options.licence,
        tags=options.tags,
        notes=redact(options.notes).text if options.notes else "",
        redaction_counts=counts,
    )
    shared.messages = [_stored_message(position, m) for position, m in enumerate(chat.messages)]
    session.add(shared)
    session.flush()
    shared.pairs = _mine(session, shared, chat)
    _record_feedback(session, shared, chat)
    return SharedChatReport(shared.title, shared.id, False, shared.pairs, counts)


def _stored_message(position: int, message: ChatMessage) -> SharedMessage:
    return SharedMessage(
        position=position,
        message_key=message.id[:120],
        parent_key=message.parent_id[:120] if message.parent_id else None,
        role=message.role,
        model_name=message.model[:120] if message.model else None,
        content=message.content,
        rating=message.rating,
        feedback_note=message.feedback_note,
    )


def model_for(session: Session, raw_name: str) -> LanguageModel:
    """The arena model a chat UI's model id names, created on first sight."""
    slug = re.sub(r"[^a-z0-9.:_-]+", "-", raw_name.lower()).strip("-")[:80] or "unknown-model"
    model = session.scalar(select(LanguageModel).where(LanguageModel.slug == slug))
    if model is None:
        model = LanguageModel(slug=slug, name=raw_name[:120], organization="")
        session.add(model)
        session.flush()
    return model


def _mine(session: Session, shared: SharedChat, chat: ParsedChat) -> int:
    """Blind pairs from answers of different models to one user message."""
    pairs = 0
    for mined in mine_prompts(chat):
        candidates = candidate_pairs(mined)
        if not candidates or mined.context_self_identifies:
            continue  # an earlier answer naming its model would break blindness
        message_hash = hashlib.sha1(mined.message_id.encode()).hexdigest()
        prompt = Prompt(
            community_id=shared.community_id,
            external_id=f"chat:{shared.id}:{message_hash}",
            origin="shared_chat",
            text=mined.text,
            context=mined.context,
            shared_chat_id=shared.id,
        )
        # Names that differ only in case or punctuation are one arena model: one answer each.
        answers = {model_for(session, a.model).id: a for pair in candidates for a in pair}
        if len(answers) < 2:
            continue
        prompt_responses = [
            Response(prompt=prompt, model_id=model_id, text=answer.text)
            for model_id, answer in answers.items()
        ]
        session.add(prompt)
        session.add_all(prompt_responses)
        pairs += len(answers) * (len(answers) - 1) // 2
    return pairs


def _record_feedback(session: Session, shared: SharedChat, chat: ParsedChat) -> None:
    for event in feedback_events(chat):
        session.add(
            AnswerFeedback(
                chat_id=shared.id,
                community_id=shared.community_id,
                model_id=model_for(session, event.model).id,
                prompt_key=event.prompt_id[:120] if event.prompt_id else None,
                message_key=event.message_id[:120],
                rating=event.rating,
                regenerated=event.regenerated,
                completion_tokens=event.completion_tokens,
                generation_seconds=event.generation_seconds,
                self_identifies=event.self_identifies,
            )
        )


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
    chat.status, chat.withdrawn_at, chat.fingerprint = "withdrawn", utcnow(), None
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
                    }
                    for m in chat.messages
                ],
            }
            for chat in contributions(session, contributor_id)
        ]
    }

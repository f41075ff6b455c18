"""Uploads waiting for their contributor's preview: kept scrubbed, never raw, and only a while.

A draft holds the chats as publishing would store them (`chats.scrub`), so an abandoned upload
leaves nothing personal behind even before it expires. Expired drafts are deleted by the
`arena purge-drafts` command (run it on a schedule) and whenever drafts are touched: an expired
draft is never shown.
"""

import json
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from arena.chats import merging
from arena.chats.identity import self_identifies
from arena.chats.mining import candidate_pairs, mine_prompts
from arena.chats.scrub import ScrubbedChat, from_json, to_json
from arena.core.clock import as_utc
from arena.core.i18n import N_
from arena.models.chats import ChatDraft, SharedChat

DRAFT_LIFETIME = timedelta(hours=24)
GONE = N_("This upload is gone: drafts are kept for 24 hours. Please upload again.")


def save(
    session: Session,
    contributor_id: int,
    chats: list[ScrubbedChat],
    now: datetime,
    choices: dict | None = None,
) -> str:
    """Keep scrubbed chats for their preview, with the sharing choices sent along (community,
    licence, tags, notes: already scrubbed) to fill the form in; returns the draft's token."""
    purge_expired(session, now)
    token = secrets.token_urlsafe(24)
    document = {**to_json(chats), "choices": choices or {}}
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    session.add(ChatDraft(token=token, contributor_id=contributor_id, raw=payload, created_at=now))
    session.flush()
    return token


def find(session: Session, contributor_id: int, token: str) -> ChatDraft | None:
    """The contributor's draft under this token, expired or not (None if there is none)."""
    draft = session.scalar(select(ChatDraft).where(ChatDraft.token == token))
    return draft if draft is not None and draft.contributor_id == contributor_id else None


def is_expired(draft: ChatDraft, now: datetime) -> bool:
    return as_utc(draft.created_at) <= now - DRAFT_LIFETIME


def readable(draft: ChatDraft, now: datetime) -> list[ScrubbedChat] | None:
    """The draft's chats while it lives; None once it expired, or if this version cannot read
    it (then `remove` it)."""
    if is_expired(draft, now):
        return None
    try:
        return from_json(json.loads(bytes(draft.raw)))
    except (ValueError, TypeError, KeyError):
        return None


def purge_expired(session: Session, now: datetime) -> int:
    """Delete every draft past its lifetime; returns how many."""
    result = session.execute(delete(ChatDraft).where(ChatDraft.created_at <= now - DRAFT_LIFETIME))
    return result.rowcount


def remove(session: Session, token: str, now: datetime) -> None:
    """Delete this draft, and every expired one on the way."""
    session.execute(delete(ChatDraft).where(ChatDraft.token == token))
    purge_expired(session, now)


def discard(session: Session, contributor_id: int, token: str) -> bool:
    """Delete the draft once published; False if it was gone already (published twice)."""
    result = session.execute(
        delete(ChatDraft).where(
            ChatDraft.token == token, ChatDraft.contributor_id == contributor_id
        )
    )
    return result.rowcount == 1


def choices(draft: ChatDraft) -> dict:
    """The sharing choices saved with the draft ({} when none were sent)."""
    try:
        saved = json.loads(bytes(draft.raw)).get("choices")
    except (ValueError, TypeError, AttributeError):
        return {}
    return saved if isinstance(saved, dict) else {}


def preview(session: Session, contributor_id: int, chats: list[ScrubbedChat]) -> list[dict]:
    """What publishing would store: each message scrubbed, its placeholders marked, and
    whether the chat is new, adds to a chat shared before, or brings nothing new."""
    fingerprints = [scrubbed.chat.fingerprint for scrubbed in chats]
    known = set(
        session.scalars(
            select(SharedChat.fingerprint).where(SharedChat.fingerprint.in_(fingerprints))
        )
    )
    stored = merging.stored_chats(
        session, contributor_id, [s.chat.source_key for s in chats if s.chat.source_key]
    )
    previews = []
    for number, scrubbed in enumerate(chats):
        update = None
        if scrubbed.chat.source_key in stored:
            update = merging.merged(stored[scrubbed.chat.source_key][1], scrubbed.chat)
        duplicate = update is not None and not update.changed
        duplicate = duplicate or (update is None and scrubbed.chat.fingerprint in known)
        previews.append(_chat_preview(number, scrubbed, duplicate, update))
    return previews


def _chat_preview(number: int, scrubbed: ScrubbedChat, duplicate: bool, update) -> dict:
    chat = scrubbed.chat
    messages = [
        {
            "id": message.id,
            "role": message.role,
            "model": message.model,
            "segments": segments(message.content, scrubbed.marks.get(message.id, [])),
            "self_identifies": message.role == "assistant" and self_identifies(message.content),
        }
        for message in chat.messages
    ]
    return {
        "number": number,
        "title": chat.title or f"Chat {number + 1}",
        "source_format": chat.source_format,
        "duplicate": duplicate,
        "update": {"messages": update.new_messages, "ratings": update.new_ratings}
        if update is not None and update.changed
        else None,
        "redactions": scrubbed.redactions,
        "messages": messages,
        # A chat shared before: only the pairs it adds (merging only ever adds).
        "pairs": _pairs(update.chat) - _pairs(update.base) if update is not None else _pairs(chat),
    }


def _pairs(chat) -> int:
    return sum(len(candidate_pairs(prompt)) for prompt in mine_prompts(chat))


def segments(text: str, marks) -> list[dict]:
    """The text cut into plain pieces and placeholders, for highlighting."""
    pieces, position = [], 0
    for start, end, kind in marks:
        if start > position:
            pieces.append({"text": text[position:start], "kind": None})
        pieces.append({"text": text[start:end], "kind": kind})
        position = end
    if position < len(text):
        pieces.append({"text": text[position:], "kind": None})
    return pieces

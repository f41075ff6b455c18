"""Sharing a chat again: what it adds to the copy stored before.

A chat is known by its source key (the contributor's keyed hash of its Open WebUI id) and its
messages by their keyed ids, so a later export of the same chat, grown or rated since, or the
feedback export that holds it, is laid over the stored copy: new messages are added, a message
whose rating came or changed takes the new rating, and everything else stays as stored. Stored
texts never change: votes may have been cast on them, and the contributor's hand redactions
live in them.
"""

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.chats.formats import ChatMessage, ParsedChat
from arena.chats.formats.fields import fingerprint_of, tree_order
from arena.models.chats import SharedChat, SharedMessage

RATING_FIELDS = ("rating", "detail_rating", "reason", "feedback_note", "feedback_tags")


@dataclass
class Merge:
    chat: ParsedChat  # the stored chat with what the new copy adds, in tree order
    base: ParsedChat  # the stored chat as it was
    new_messages: int
    new_ratings: int  # messages whose rating came or changed

    @property
    def changed(self) -> bool:
        return bool(self.new_messages or self.new_ratings)


def merged(base: ParsedChat, extra: ParsedChat) -> Merge:
    """base (the stored copy) with what extra (a later copy of the same chat) adds."""
    messages = {message.id: message for message in base.messages}
    new_messages = new_ratings = 0
    for message in extra.messages:
        known = messages.get(message.id)
        if known is None:
            messages[message.id] = message
            new_messages += 1
        elif _rated(message) and _rating(message) != _rating(known):
            messages[message.id] = replace(known, **_rating(message))
            new_ratings += 1
    ordered = _in_tree_order(list(messages.values()))
    chat = replace(
        base,
        title=extra.title or base.title,
        messages=ordered,
        fingerprint=fingerprint_of(ordered),
        source_key=base.source_key or extra.source_key,
    )
    return Merge(chat, base, new_messages, new_ratings)


def _rated(message: ChatMessage) -> bool:
    return any(_rating(message).values())


def _rating(message: ChatMessage) -> dict:
    return {name: getattr(message, name) for name in RATING_FIELDS}


def _in_tree_order(messages: list[ChatMessage]) -> list[ChatMessage]:
    """Siblings keep the order they were first seen in: stored ones first, then new ones."""
    listed: dict[str | None, list[str]] = {}
    for message in messages:
        listed.setdefault(message.parent_id, []).append(message.id)
    return tree_order(messages, listed, "the merged chat")


def stored_chats(
    session: Session, contributor_id: int, source_keys: list[str]
) -> dict[str, tuple[SharedChat, ParsedChat]]:
    """The contributor's published chats under these source keys, as parsed chats."""
    if not source_keys:
        return {}
    rows = session.scalars(
        select(SharedChat).where(
            SharedChat.contributor_id == contributor_id,
            SharedChat.source_key.in_(source_keys),
            SharedChat.status == "published",
        )
    ).all()
    return {row.source_key: (row, stored_chat(session, row)) for row in rows}


def stored_chat(session: Session, row: SharedChat) -> ParsedChat:
    messages = [
        ChatMessage(
            id=m.message_key,
            role=m.role,
            content=m.content,
            parent_id=m.parent_key,
            model=m.model_name,
            rating=m.rating,
            feedback_note=m.feedback_note,
            completion_tokens=m.completion_tokens,
            generation_seconds=m.generation_seconds,
            detail_rating=m.detail_rating,
            reason=m.reason,
            feedback_tags=list(m.feedback_tags or []),
            error=m.error,
        )
        for m in session.scalars(
            select(SharedMessage)
            .where(SharedMessage.chat_id == row.id)
            .order_by(SharedMessage.position)
        )
    ]
    return ParsedChat(
        row.source_format, None, row.title, messages, row.fingerprint or "", None, None,
        row.source_key,
    )  # fmt: skip

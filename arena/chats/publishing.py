"""Writing a scrubbed upload: chats, messages, blind pairs and feedback, in a few batched
statements, so the write transaction (on SQLite, the database's write lock) stays short even
for thousands of chats."""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from arena.chats.formats import ParsedChat
from arena.chats.formats.fields import UNKNOWN_MODEL
from arena.chats.mining import MinedPrompt, candidate_pairs, feedback_events, mine_prompts
from arena.chats.scrub import ScrubbedChat
from arena.models import Community, LanguageModel, Prompt, Response
from arena.models.chats import AnswerFeedback, SharedChat, SharedMessage

if TYPE_CHECKING:
    from arena.chats.sharing import PreparedUpload

LOOKUP_BATCH = 500  # values per IN (...): well under SQLite's limit on bound parameters


@dataclass
class WrittenChat:
    scrubbed: ScrubbedChat
    chat_id: int | None  # None: shared before (here, or earlier in the same file)
    pairs: int


@dataclass
class MinedPair:
    prompt: MinedPrompt
    answers: dict[int, str]  # arena model id -> answer text, one answer per model


def write_chats(
    session: Session,
    contributor_id: int,
    community: Community,
    upload: "PreparedUpload",
    now: datetime,
) -> list[WrittenChat]:
    """Each chat of the upload with its new row's id. Every chat is stamped `now`: they are
    published together. Bulk inserts: the ORM's per-object work would cost more than SQL."""
    fresh = _not_shared_before(session, upload.chats)
    models = _model_ids(session, [upload.chats[number].chat for number in fresh])
    mined = {number: _blind_pairs(upload.chats[number].chat, models) for number in fresh}
    rows = [
        _chat_row(contributor_id, community, upload, upload.chats[number], mined[number], now)
        for number in fresh
    ]
    ids = dict(zip(fresh, _inserted_ids(session, SharedChat, rows), strict=True))
    _insert_messages(session, {ids[n]: upload.chats[n].chat for n in fresh})
    _insert_pairs(session, community.id, {ids[n]: mined[n] for n in fresh})
    _insert_feedback(session, community.id, {ids[n]: upload.chats[n].chat for n in fresh}, models)
    return [
        WrittenChat(scrubbed, ids.get(number), _pair_count(mined.get(number, [])))
        for number, scrubbed in enumerate(upload.chats)
    ]


def _not_shared_before(session: Session, chats: list[ScrubbedChat]) -> list[int]:
    """Positions of the chats to write: neither stored already nor repeated in the file."""
    fingerprints = [scrubbed.chat.fingerprint for scrubbed in chats]
    known = set()
    for start in range(0, len(fingerprints), LOOKUP_BATCH):
        batch = fingerprints[start : start + LOOKUP_BATCH]
        known |= set(
            session.scalars(select(SharedChat.fingerprint).where(SharedChat.fingerprint.in_(batch)))
        )
    fresh = []
    for number, fingerprint in enumerate(fingerprints):
        if fingerprint not in known:
            known.add(fingerprint)
            fresh.append(number)
    return fresh


def _inserted_ids(session: Session, table, rows: list[dict]) -> list[int]:
    """Insert the rows in batches; their new ids, in the rows' order."""
    if not rows:
        return []
    statement = insert(table).returning(table.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _chat_row(contributor_id, community, upload, scrubbed: ScrubbedChat, mined, now) -> dict:
    chat, options = scrubbed.chat, upload.options
    return {
        "contributor_id": contributor_id,
        "community_id": community.id,
        "source_format": chat.source_format,
        "title": chat.title,
        "fingerprint": chat.fingerprint,
        "licence": options.licence,
        "tags": options.tags,
        "notes": options.notes,
        "status": "published",
        "redaction_counts": scrubbed.redactions,
        "pairs": _pair_count(mined),
        "created_at": now,
    }


def _insert_messages(session: Session, chats: dict[int, ParsedChat]) -> None:
    """Scrubbed messages: their ids are already keyed hashes, their models checked ids."""
    rows = [
        {
            "chat_id": chat_id,
            "position": position,
            "message_key": message.id,
            "parent_key": message.parent_id,
            "role": message.role,
            "model_name": message.model,
            "content": message.content,
            "rating": message.rating,
            "feedback_note": message.feedback_note,
        }
        for chat_id, chat in chats.items()
        for position, message in enumerate(chat.messages)
    ]
    if rows:
        session.execute(insert(SharedMessage), rows)


def model_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9.:_-]+", "-", name.lower()).strip("-")[:80] or UNKNOWN_MODEL


def _model_ids(session: Session, chats: list[ParsedChat]) -> dict[str, int]:
    """The arena model id of each model the chats' answers name, created on first sight (named
    as first written); names that differ only in case or punctuation are one model."""
    names = dict.fromkeys(
        message.model
        for chat in chats
        for message in chat.messages
        if message.role == "assistant" and message.model not in (None, UNKNOWN_MODEL)
    )
    slugs = {name: model_slug(name) for name in names}
    wanted = list(dict.fromkeys(slugs.values()))
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        query = select(LanguageModel.slug, LanguageModel.id).where(
            LanguageModel.slug.in_(wanted[start : start + LOOKUP_BATCH])
        )
        ids.update({slug: model_id for slug, model_id in session.execute(query)})
    new: dict[str, LanguageModel] = {}
    for name, slug in slugs.items():
        if slug not in ids and slug not in new:
            new[slug] = LanguageModel(slug=slug, name=name[:120], organization="")
    if new:
        session.add_all(new.values())
        session.flush()
        ids.update({slug: model.id for slug, model in new.items()})
    return {name: ids[slug] for name, slug in slugs.items()}


def _blind_pairs(chat: ParsedChat, models: dict[str, int]) -> list[MinedPair]:
    """Prompts with answers of at least two different models to one user message."""
    found = []
    for mined in mine_prompts(chat):
        candidates = candidate_pairs(mined)
        if not candidates or mined.context_self_identifies:
            continue  # an earlier answer naming its model would break blindness
        # Names that differ only in case or punctuation are one arena model: one answer each.
        answers = {models[a.model]: a.text for pair in candidates for a in pair}
        if len(answers) >= 2:
            found.append(MinedPair(mined, answers))
    return found


def _pair_count(mined: list[MinedPair]) -> int:
    return sum(len(pair.answers) * (len(pair.answers) - 1) // 2 for pair in mined)


def _insert_pairs(session: Session, community_id: int, mined: dict[int, list[MinedPair]]) -> None:
    prompts = [
        (
            {
                "community_id": community_id,
                "external_id": f"chat:{chat_id}:{_hashed(pair.prompt.message_id)}",
                "origin": "shared_chat",
                "text": pair.prompt.text,
                "context": pair.prompt.context,
                "shared_chat_id": chat_id,
            },
            pair.answers,
        )
        for chat_id, pairs in mined.items()
        for pair in pairs
    ]
    ids = _inserted_ids(session, Prompt, [row for row, _ in prompts])
    answers = [
        {"prompt_id": prompt_id, "model_id": model_id, "text": text}
        for prompt_id, (_, texts) in zip(ids, prompts, strict=True)
        for model_id, text in texts.items()
    ]
    if answers:
        session.execute(insert(Response), answers)


def _hashed(message_id: str) -> str:
    return hashlib.sha1(message_id.encode()).hexdigest()


def _insert_feedback(session: Session, community_id: int, chats, models) -> None:
    rows = [
        {
            "chat_id": chat_id,
            "community_id": community_id,
            "model_id": models[event.model],
            "prompt_key": event.prompt_id,
            "message_key": event.message_id,
            "rating": event.rating,
            "regenerated": event.regenerated,
            "completion_tokens": event.completion_tokens,
            "generation_seconds": event.generation_seconds,
            "self_identifies": event.self_identifies,
        }
        for chat_id, chat in chats.items()
        for event in feedback_events(chat)
    ]
    if rows:
        session.execute(insert(AnswerFeedback), rows)

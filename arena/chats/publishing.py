"""Writing a scrubbed upload: chats, messages, blind pairs and feedback, in a few batched
statements, so the write transaction (on SQLite, the database's write lock) stays short even
for thousands of chats."""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from arena.chats import merging
from arena.chats.formats import ParsedChat
from arena.chats.formats.fields import UNKNOWN_MODEL
from arena.chats.mining import MinedPrompt, candidate_pairs, feedback_events, mine_prompts
from arena.chats.scrub import ScrubbedChat
from arena.models import Community, LanguageModel, Prompt, Response
from arena.models.chats import ACCEPTED, AnswerFeedback, SharedChat, SharedMessage

if TYPE_CHECKING:
    from arena.chats.sharing import PreparedUpload

LOOKUP_BATCH = 500  # values per IN (...): well under SQLite's limit on bound parameters


@dataclass
class WrittenChat:
    scrubbed: ScrubbedChat
    chat_id: int | None  # None: nothing new (shared before unchanged, or repeated in the file)
    pairs: int  # blind pairs this share added
    updated: bool = False  # laid over a chat shared before
    new_messages: int = 0
    new_ratings: int = 0


@dataclass
class MinedPair:
    prompt: MinedPrompt
    answers: dict[int, str]  # arena model id -> answer text, one answer per model


@dataclass
class Update:
    row: SharedChat
    merge: merging.Merge
    redactions: dict[str, int]


def write_chats(
    session: Session,
    contributor_id: int,
    community: Community,
    upload: "PreparedUpload",
    now: datetime,
) -> list[WrittenChat]:
    """Each chat of the upload with its row's id: new chats inserted, chats shared before
    (same source key) updated with what they add. Every chat is stamped `now`: they are
    published together. Bulk inserts: the ORM's per-object work would cost more than SQL."""
    chats, repeats = _merged_repeats(upload.chats)
    stored = merging.stored_chats(
        session, contributor_id, [c.source_key for c in chats.values() if c.source_key]
    )
    updates = {
        number: Update(row, merging.merged(copy, chat), upload.chats[number].redactions)
        for number, chat in chats.items()
        if chat.source_key in stored
        for row, copy in [stored[chat.source_key]]
    }
    fresh = _not_shared_before(
        session, {n: c for n, c in chats.items() if n not in updates}, repeats
    )
    changed = {n: u for n, u in updates.items() if u.merge.changed}
    written = [chats[n] for n in fresh] + [update.merge.chat for update in changed.values()]
    models = _model_ids(session, written)
    mined = {number: _blind_pairs(chats[number], models) for number in fresh}
    rows = [
        _chat_row(contributor_id, community, upload, upload.chats[n], chats[n], mined[n], now)
        for n in fresh
    ]
    ids = dict(zip(fresh, _inserted_ids(session, SharedChat, rows), strict=True))
    _insert_messages(session, {ids[n]: chats[n] for n in fresh})
    # New chats wait for the audit queue: their prompts are served once it accepts them.
    _insert_pairs(session, community.id, {ids[n]: mined[n] for n in fresh}, active=False)
    _insert_feedback(session, community.id, {ids[n]: chats[n] for n in fresh}, models)
    added = {n: _apply_update(session, update, models) for n, update in changed.items()}
    return [
        _written(number, scrubbed, ids, mined, updates, added)
        for number, scrubbed in enumerate(upload.chats)
    ]


def _written(number, scrubbed, ids, mined, updates, added) -> WrittenChat:
    if number in added:
        merge = updates[number].merge
        return WrittenChat(
            scrubbed, updates[number].row.id, added[number], True,
            merge.new_messages, merge.new_ratings,
        )  # fmt: skip
    return WrittenChat(scrubbed, ids.get(number), _pair_count(mined.get(number, [])))


def _merged_repeats(chats: list[ScrubbedChat]) -> tuple[dict[int, ParsedChat], set[int]]:
    """One chat per source key (its later copies in the file laid over the first), and the
    positions of those later copies."""
    merged: dict[int, ParsedChat] = {}
    first: dict[str, int] = {}
    repeats = set()
    for number, scrubbed in enumerate(chats):
        key = scrubbed.chat.source_key
        if key is not None and key in first:
            merged[first[key]] = merging.merged(merged[first[key]], scrubbed.chat).chat
            repeats.add(number)
            continue
        if key is not None:
            first[key] = number
        merged[number] = scrubbed.chat
    return merged, repeats


def _apply_update(session: Session, update: Update, models: dict[str, int]) -> int:
    """Store a chat shared again: its messages and feedback as merged, the pairs it adds.
    Returns how many new blind pairs it gave."""
    row, chat = update.row, update.merge.chat
    session.execute(delete(SharedMessage).where(SharedMessage.chat_id == row.id))
    session.execute(delete(AnswerFeedback).where(AnswerFeedback.chat_id == row.id))
    _insert_messages(session, {row.id: chat})
    _insert_feedback(session, row.community_id, {row.id: chat}, models)
    # Pairs a chat gains join it as it stands: served at once if auditors accepted it.
    new_pairs = _insert_pairs(
        session,
        row.community_id,
        {row.id: _blind_pairs(chat, models)},
        active=row.review_status == ACCEPTED,
    )
    taken = session.scalar(
        select(SharedChat.id).where(
            SharedChat.fingerprint == chat.fingerprint, SharedChat.id != row.id
        )
    )
    if taken is None:
        row.fingerprint = chat.fingerprint
    row.title, row.pairs = chat.title, row.pairs + new_pairs
    # The new copy was scrubbed whole: per kind, the larger count covers both copies.
    counts = dict(row.redaction_counts or {})
    for kind, count in update.redactions.items():
        counts[kind] = max(counts.get(kind, 0), count)
    row.redaction_counts = counts
    return new_pairs


def _not_shared_before(
    session: Session, chats: dict[int, ParsedChat], repeats: set[int]
) -> list[int]:
    """Positions of the chats to insert: neither stored already nor repeated in the file."""
    candidates = {n: chat for n, chat in chats.items() if n not in repeats}
    fingerprints = [chat.fingerprint for chat in candidates.values()]
    known = set()
    for start in range(0, len(fingerprints), LOOKUP_BATCH):
        batch = fingerprints[start : start + LOOKUP_BATCH]
        known |= set(
            session.scalars(select(SharedChat.fingerprint).where(SharedChat.fingerprint.in_(batch)))
        )
    fresh = []
    for number, chat in sorted(candidates.items()):
        if chat.fingerprint not in known:
            known.add(chat.fingerprint)
            fresh.append(number)
    return fresh


def _inserted_ids(session: Session, table, rows: list[dict]) -> list[int]:
    """Insert the rows in batches; their new ids, in the rows' order."""
    if not rows:
        return []
    statement = insert(table).returning(table.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _chat_row(contributor_id, community, upload, scrubbed, chat, mined, now) -> dict:
    options = upload.options
    return {
        "contributor_id": contributor_id,
        "community_id": community.id,
        "source_format": chat.source_format,
        "title": chat.title,
        "fingerprint": chat.fingerprint,
        "source_key": chat.source_key,
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
            "detail_rating": message.detail_rating,
            "reason": message.reason,
            "feedback_tags": message.feedback_tags,
            "error": message.error,
            "completion_tokens": message.completion_tokens,
            "generation_seconds": message.generation_seconds,
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


def _insert_pairs(
    session: Session, community_id: int, mined: dict[int, list[MinedPair]], active: bool
) -> int:
    """Prompts and answers for the mined pairs; a prompt stored before (the same message of a
    chat shared again) only gains the answers of models it lacked. Returns the new pairs."""
    wanted = {
        f"chat:{chat_id}:{_hashed(pair.prompt.message_id)}": (chat_id, pair)
        for chat_id, pairs in mined.items()
        for pair in pairs
    }
    known = _stored_answers(session, list(wanted))
    new_prompts = [(key, chat, pair) for key, (chat, pair) in wanted.items() if key not in known]
    ids = _inserted_ids(
        session,
        Prompt,
        [
            {
                "community_id": community_id,
                "external_id": key,
                "origin": "shared_chat",
                "text": pair.prompt.text,
                "context": pair.prompt.context,
                "language": pair.prompt.language,
                "shared_chat_id": chat_id,
                "is_active": active,
            }
            for key, chat_id, pair in new_prompts
        ],
    )
    for (key, _, _), prompt_id in zip(new_prompts, ids, strict=True):
        known[key] = (prompt_id, set())
    answers, new_pairs = [], 0
    for key, (_, pair) in wanted.items():
        prompt_id, present = known[key]
        missing = {m: text for m, text in pair.answers.items() if m not in present}
        total = len(present) + len(missing)
        new_pairs += total * (total - 1) // 2 - len(present) * (len(present) - 1) // 2
        answers += [{"prompt_id": prompt_id, "model_id": m, "text": t} for m, t in missing.items()]
    if answers:
        session.execute(insert(Response), answers)
    return new_pairs


def _stored_answers(session: Session, external_ids: list[str]) -> dict[str, tuple[int, set[int]]]:
    """external id -> (prompt id, models answering it) for the prompts stored already."""
    found: dict[str, tuple[int, set[int]]] = {}
    for start in range(0, len(external_ids), LOOKUP_BATCH):
        query = (
            select(Prompt.external_id, Prompt.id, Response.model_id)
            .outerjoin(Response, Response.prompt_id == Prompt.id)
            .where(Prompt.external_id.in_(external_ids[start : start + LOOKUP_BATCH]))
        )
        for external_id, prompt_id, model_id in session.execute(query):
            models = found.setdefault(external_id, (prompt_id, set()))[1]
            if model_id is not None:
                models.add(model_id)
    return found


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
            "failed": event.failed,
            "detail_rating": event.detail_rating,
            "reason": event.reason,
            "feedback_tags": event.tags,
        }
        for chat_id, chat in chats.items()
        for event in feedback_events(chat)
    ]
    if rows:
        session.execute(insert(AnswerFeedback), rows)

"""Re-scrubbing chats stored before every contributor field was scrubbed.

Earlier versions redacted message texts only, with a weaker detector, and stored model names,
message ids, titles, notes and tags as sent. This applies today's scrubbing (`chats.scrub`) to
every stored chat and to what was derived from it and is shown: mined prompts, their answers and
feedback rows. Detection runs in `plan_*`, which only reads, so the write transaction of each
batch stays short; `apply` writes each row with a compare-and-set on the values that were read,
so a chat withdrawn or changed meanwhile is left as it now is. Running it again changes nothing:
redaction leaves its placeholders alone, and a chat whose ids are all keyed hashes already keeps
them (a fresh key per chat otherwise, so parent links still match within the chat).
"""

import hashlib
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import JSON, Table, delete, or_, select, update
from sqlalchemy.orm import Session

from arena.chats.publishing import LOOKUP_BATCH
from arena.chats.redact import redact
from arena.chats.scrub import HASHED_ID_LENGTH, hashed_id, scrubbed_model_id, scrubbed_tags
from arena.models import LanguageModel, Prompt, Response, Vote
from arena.models.chats import AnswerFeedback, SharedChat, SharedMessage

CHATS_PER_BATCH = 100
HASHED_ID = re.compile(rf"[0-9a-f]{{{HASHED_ID_LENGTH}}}")
MINED_PROMPT_ID = re.compile(r"chat:(\d+):([0-9a-f]{40})")  # see publishing._insert_pairs
PLACEHOLDER_MODEL = "unknown-model-{id}"
RENAMED_MODELS = "models renamed"
DROPPED_FEEDBACK = "feedback rows of renamed models removed"

_chats, _messages = SharedChat.__table__, SharedMessage.__table__
_feedback, _prompts, _responses = AnswerFeedback.__table__, Prompt.__table__, Response.__table__
_models = LanguageModel.__table__

# What each changed column counts as in the report (columns left out are not counted).
LABELS = {
    "shared_chats": {"title": "chat titles", "notes": "chat notes", "tags": "chat tags"},
    "shared_messages": {
        "content": "message texts",
        "feedback_note": "feedback notes",
        "model_name": "message model names",
        "message_key": "message ids",
        "parent_key": "parent ids",
    },
    "answer_feedback": {"message_key": "feedback ids", "prompt_key": "feedback ids"},
    "prompts": {"text": "prompt texts", "context": "prompt contexts", "external_id": "prompt ids"},
    "responses": {"text": "answer texts", "context": "answer contexts"},
    "models": {"name": RENAMED_MODELS},
}


@dataclass
class RowUpdate:
    """One row's new values, written only while the values it was read with are still there."""

    table: Table
    row_id: int
    before: dict[str, object]  # the compare-and-set guard (JSON columns cannot be compared)
    after: dict[str, object]
    redactions: dict[str, int] = field(default_factory=dict)  # personal data found, by kind

    @property
    def changes(self) -> set[str]:
        labels = LABELS[self.table.name]
        return {labels[column] for column in self.after if column in labels}


@dataclass
class RescrubReport:
    chats: int = 0  # examined
    changes: Counter = field(default_factory=Counter)  # kind of change -> rows changed
    redactions: Counter = field(default_factory=Counter)  # kind of personal data -> finds

    def count(self, row: RowUpdate) -> None:
        self.changes.update(row.changes)
        self.redactions.update(row.redactions)


# -- models named by uploads -------------------------------------------------------------------


def plan_models(session: Session) -> list[RowUpdate]:
    """Models created from uploads whose names fail today's model-id check: renamed to a
    placeholder and taken out of the arena; their votes keep counting under the new name."""
    renames = []
    for model_id, slug, name in session.execute(_uploaded_models()).tuples():
        placeholder = PLACEHOLDER_MODEL.format(id=model_id)
        if name == placeholder or (
            scrubbed_model_id(name)[0] == name and scrubbed_model_id(slug)[0] == slug
        ):
            continue
        renames.append(
            RowUpdate(
                _models,
                model_id,
                {"name": name, "slug": slug},
                {"name": placeholder, "slug": placeholder, "is_active": False},
            )
        )
    return renames


def _uploaded_models():
    """Models that only shared chats brought (not seeded, imported with battles or contestants)."""
    mined = select(Response.model_id).join(Prompt, Prompt.id == Response.prompt_id)
    imported = Vote.origin.like("import:%")
    return select(LanguageModel.id, LanguageModel.slug, LanguageModel.name).where(
        LanguageModel.organization == "",
        or_(
            LanguageModel.id.in_(mined.where(Prompt.origin == "shared_chat")),
            LanguageModel.id.in_(select(AnswerFeedback.model_id)),
        ),
        LanguageModel.id.not_in(mined.where(Prompt.origin != "shared_chat")),
        LanguageModel.id.not_in(select(Vote.model_a_id).where(imported)),
        LanguageModel.id.not_in(select(Vote.model_b_id).where(imported)),
    )


def apply_models(session: Session, renames: list[RowUpdate]) -> RescrubReport:
    """Rename them (the caller's unit of work). A placeholder may stand for several models, so
    it takes no part in feedback statistics, as `unknown-model` does for new uploads."""
    report = apply(session, renames)
    renamed = [row.row_id for row in renames]
    for start in range(0, len(renamed), LOOKUP_BATCH):
        batch = renamed[start : start + LOOKUP_BATCH]
        dropped = session.execute(delete(_feedback).where(_feedback.c.model_id.in_(batch)))
        report.changes[DROPPED_FEEDBACK] += dropped.rowcount
    return report


# -- chats, in batches -------------------------------------------------------------------------


@dataclass
class ChatBatch:
    chat_ids: list[int]
    updates: list[RowUpdate]


def plan_chats(session: Session, batch_size: int = CHATS_PER_BATCH) -> Iterator[ChatBatch]:
    """Every stored chat, in batches by id, with the row updates today's scrubbing asks for."""
    after = 0
    while True:
        chats = session.execute(
            select(_chats.c.id, _chats.c.title, _chats.c.notes, _chats.c.tags)
            .add_columns(_chats.c.status, _chats.c.redaction_counts)
            .where(_chats.c.id > after)
            .order_by(_chats.c.id)
            .limit(batch_size)
        ).all()
        if not chats:
            return
        yield _plan_batch(session, chats)
        after = chats[-1].id


def apply(session: Session, updates: Iterable[RowUpdate]) -> RescrubReport:
    """Write the updates (the caller's unit of work); a row changed since it was read is left."""
    report = RescrubReport()
    for row in updates:
        table = row.table
        guard = [table.c[column] == value for column, value in row.before.items()]
        statement = update(table).where(table.c.id == row.row_id, *guard).values(row.after)
        if session.execute(statement).rowcount:
            report.count(row)
    return report


def _plan_batch(session: Session, chats) -> ChatBatch:
    ids = [chat.id for chat in chats]
    messages = _rows_of(session, _messages, _messages.c.chat_id, ids)
    feedback = _rows_of(session, _feedback, _feedback.c.chat_id, ids)
    prompts = _rows_of(session, _prompts, _prompts.c.shared_chat_id, ids)
    responses = _rows_of(session, _responses, _responses.c.prompt_id, [p.id for p in prompts])
    new_keys = _chat_keys(ids, messages, feedback)
    with_prompts = {prompt.shared_chat_id for prompt in prompts}
    mined_ids = {
        chat_id: {_sha1(old): _sha1(new) for old, new in keys.items()}
        for chat_id, keys in new_keys.items()
        if chat_id in with_prompts
    }
    message_updates = [_message_update(m, new_keys[m.chat_id]) for m in messages]
    updates = [
        *message_updates,
        *(_feedback_update(row, new_keys[row.chat_id]) for row in feedback),
        *(_prompt_update(prompt, mined_ids.get(prompt.shared_chat_id, {})) for prompt in prompts),
        *(_response_update(response) for response in responses),
    ]
    in_messages: dict[int, Counter] = {chat_id: Counter() for chat_id in ids}
    for message, row in zip(messages, message_updates, strict=True):
        if row is not None:
            in_messages[message.chat_id].update(row.redactions)
    updates += [_chat_update(chat, in_messages[chat.id]) for chat in chats]
    return ChatBatch(ids, [row for row in updates if row is not None])


def _rows_of(session: Session, table: Table, column, values: list[int]) -> list:
    rows = []
    for start in range(0, len(values), LOOKUP_BATCH):
        query = select(table).where(column.in_(values[start : start + LOOKUP_BATCH]))
        rows += session.execute(query.order_by(table.c.id)).all()
    return rows


def _row_update(table, read, new: dict, guard=(), redactions=None) -> RowUpdate | None:
    changed = {column: value for column, value in new.items() if value != getattr(read, column)}
    if not changed:
        return None
    before = {
        column: getattr(read, column)
        for column in dict.fromkeys([*changed, *guard])
        if not isinstance(table.c[column].type, JSON)
    }
    return RowUpdate(table, read.id, before, changed, redactions or {})


def _chat_keys(ids: list[int], messages, feedback) -> dict[int, dict[str, str]]:
    ids_in_chat: dict[int, list[str | None]] = {chat_id: [] for chat_id in ids}
    for message in messages:
        ids_in_chat[message.chat_id] += [message.message_key, message.parent_key]
    for row in feedback:
        ids_in_chat[row.chat_id] += [row.message_key, row.prompt_key]
    return {chat_id: _new_keys(keys) for chat_id, keys in ids_in_chat.items()}


def _new_keys(keys: Iterable[str | None]) -> dict[str, str]:
    """Each id of a chat -> its keyed hash; empty when every id is a keyed hash already."""
    present = {key for key in keys if key}
    if all(HASHED_ID.fullmatch(key) for key in present):
        return {}
    key = secrets.token_bytes(32)  # one per chat, never stored, as for an upload
    return {old: hashed_id(key, old) for old in present}


def _message_update(message, keys: dict[str, str]) -> RowUpdate | None:
    author = "model" if message.role == "assistant" else "user"
    content = redact(message.content, author=author)
    note = redact(message.feedback_note) if message.feedback_note else None
    model, model_kinds = scrubbed_model_id(message.model_name)
    found = Counter(content.counts) + Counter(note.counts if note else {}) + Counter(model_kinds)
    new = {
        "content": content.text,
        "feedback_note": note.text if note else message.feedback_note,
        "model_name": model,
        "message_key": keys.get(message.message_key, message.message_key),
        "parent_key": keys.get(message.parent_key, message.parent_key),
    }
    return _row_update(_messages, message, new, ("message_key",), dict(found))


def _feedback_update(row, keys: dict[str, str]) -> RowUpdate | None:
    new = {
        "message_key": keys.get(row.message_key, row.message_key),
        "prompt_key": keys.get(row.prompt_key, row.prompt_key),
    }
    return _row_update(_feedback, row, new, ("message_key",))


def _prompt_update(prompt, mined_ids: dict[str, str]) -> RowUpdate | None:
    """The prompt's text and context as today's scrubbing leaves the messages they came from;
    the text is the guard, so a prompt withdrawn meanwhile is not written back."""
    new = {
        "text": redact(prompt.text).text,
        "context": _scrubbed_turns(prompt.context),
        "external_id": _mined_prompt_id(prompt.external_id, mined_ids),
    }
    return _row_update(_prompts, prompt, new, ("text",))


def _response_update(response) -> RowUpdate | None:
    new = {
        "text": redact(response.text, author="model").text,
        "context": _scrubbed_turns(response.context),
    }
    return _row_update(_responses, response, new, ("text",))


def _scrubbed_turns(turns: list | None) -> list | None:
    if not turns:
        return turns
    return [
        {**turn, "content": redact(turn["content"], author=_author(turn)).text}
        if isinstance(turn, dict) and isinstance(turn.get("content"), str)
        else turn
        for turn in turns
    ]


def _author(turn: dict) -> str:
    return "model" if turn.get("role") == "assistant" else "user"


def _mined_prompt_id(external_id: str | None, mined_ids: dict[str, str]) -> str | None:
    """A mined prompt's id names its message's id through an unkeyed hash: follow the new id."""
    found = MINED_PROMPT_ID.fullmatch(external_id or "")
    if not found or found.group(2) not in mined_ids:
        return external_id
    return f"chat:{found.group(1)}:{mined_ids[found.group(2)]}"


def _sha1(message_id: str) -> str:
    return hashlib.sha1(message_id.encode()).hexdigest()


def _chat_update(chat, in_messages: Counter) -> RowUpdate | None:
    title = redact(chat.title)
    notes = redact(chat.notes) if chat.notes else None
    tags, in_tags = scrubbed_tags(list(chat.tags or []))
    own = Counter(title.counts) + Counter(notes.counts if notes else {}) + Counter(in_tags)
    counts = Counter(chat.redaction_counts or {}) + own + in_messages
    new = {
        "title": title.text[:200],
        "notes": notes.text if notes else chat.notes,
        "tags": tags,
        "redaction_counts": dict(counts),
    }
    return _row_update(_chats, chat, new, ("title", "notes", "status"), dict(own))

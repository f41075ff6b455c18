"""Scrubbing a parsed upload: every field a contributor supplied, before any write begins.

Detection (presidio) is slow on large files, so it runs here, on plain values, and never inside
a write transaction: on SQLite that transaction holds the database's write lock, and votes would
queue behind it. Message texts, titles and feedback notes are redacted; model ids keep only a
model-id shape with nothing personal in it; message ids and the chat's id in its source become
hashes keyed by the contributor's share key, so thread links match, sharing a chat again finds
what it shared before, and the stored ids cannot be traced back to the source. The owner's id
and name in the source are dropped.
"""

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace

from arena.chats.formats import MAX_FILE_BYTES, ChatMessage, ParsedChat, parse_chat_file
from arena.chats.formats.fields import UNKNOWN_MODEL
from arena.chats.redact import MANUAL, RedactedText, checked_span, find_personal_data, redact
from arena.core.errors import InvalidInput

MODEL_ID_SHAPE = re.compile(r"[A-Za-z0-9._:/@+-]{1,100}")
# A run of digits longer than a date stamp ("20241022"), or a dotted quad, is no part of a model
# name: phone numbers, card numbers and addresses written without separators look like this.
NOT_A_MODEL_ID = re.compile(r"\d{9,}|\d{1,3}(?:\.\d{1,3}){3}")
NOT_A_MODEL = "MODEL_ID"  # the kind counted when a model id is replaced for its shape alone
HASHED_ID_LENGTH = 32
# Open WebUI's reason codes ("accurate_information"): anything else may be typed text, left out.
REASON_CODE = re.compile(r"[a-z][a-z0-9_]{0,59}")
DRAFT_FORMAT = 1


@dataclass
class ScrubbedChat:
    """A chat as it may be stored: every contributor field scrubbed, ids hashed."""

    chat: ParsedChat
    redactions: dict[str, int] = field(default_factory=dict)
    # message id -> (start, end, kind) of each placeholder in its scrubbed text, for the preview
    marks: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)


def scrub_file(
    raw: bytes,
    key: bytes,
    max_bytes: int = MAX_FILE_BYTES,
    progress: Callable[[int], None] | None = None,
) -> list[ScrubbedChat]:
    """Every chat of an uploaded file, parsed and scrubbed (InvalidInput for a bad file)."""
    return scrub_chats(parse_chat_file(raw, max_bytes=max_bytes), key, progress)


def scrub_chats(
    chats: Iterable[ParsedChat], key: bytes, progress: Callable[[int], None] | None = None
) -> list[ScrubbedChat]:
    """key: the contributor's share key (`User.share_key`)."""
    scrubbed = []
    for chat in chats:
        scrubbed.append(scrub_chat(chat, key))
        if progress:
            progress(1)
    return scrubbed


def scrub_chat(chat: ParsedChat, key: bytes) -> ScrubbedChat:
    counts: dict[str, int] = {}
    marks: dict[str, list[tuple[int, int, str]]] = {}
    messages = []
    for message in chat.messages:
        message_id = hashed_id(key, message.id)
        # A model's answer may keep example addresses (documentation and private IP ranges).
        content = redact(message.content, author="model" if message.role == "assistant" else "user")
        note = redact(message.feedback_note) if message.feedback_note else None
        error = redact(message.error) if message.error else None
        model, model_kinds = scrubbed_model_id(message.model)
        tags, tag_counts = scrubbed_tags(message.feedback_tags)
        for kinds in (
            content.counts,
            note.counts if note else {},
            error.counts if error else {},
            tag_counts,
            _tally(model_kinds),
        ):
            _add(counts, kinds)
        marks[message_id] = placeholder_marks(content)
        messages.append(
            replace(
                message,
                id=message_id,
                parent_id=hashed_id(key, message.parent_id) if message.parent_id else None,
                content=content.text,
                feedback_note=note.text if note else "",
                error=error.text if error else message.error,
                feedback_tags=tags,
                reason=message.reason if REASON_CODE.fullmatch(message.reason or "") else None,
                model=model,
            )
        )
    title = redact(chat.title)
    _add(counts, title.counts)
    scrubbed = replace(
        chat,
        external_id=None,
        owner_id=None,
        owner_name=None,
        source_key=source_key(key, chat),
        title=title.text[:200],
        messages=messages,
    )
    return ScrubbedChat(scrubbed, counts, marks)


def hashed_id(key: bytes, message_id: str) -> str:
    return hmac.new(key, message_id.encode(), hashlib.sha256).hexdigest()[:HASHED_ID_LENGTH]


def source_key(key: bytes, chat: ParsedChat) -> str | None:
    """The chat's identity in its source, hashed: Open WebUI's chat and feedback exports name
    one chat by the same id, so both are one source."""
    if chat.external_id is None:
        return None
    source = "openwebui" if chat.source_format.startswith("openwebui") else chat.source_format
    return hashed_id(key, f"{source}:{chat.external_id}")


def scrubbed_model_id(model: str | None) -> tuple[str | None, list[str]]:
    """The model id if it has a model id's shape and nothing personal in it, else a placeholder;
    with the kinds of personal data found in it."""
    if model is None:
        return None, []
    if (
        not MODEL_ID_SHAPE.fullmatch(model)
        or NOT_A_MODEL_ID.search(model)
        or model.lower().startswith(UNKNOWN_MODEL)  # the placeholders' names are not claimable
    ):
        return UNKNOWN_MODEL, [NOT_A_MODEL]
    kinds = [hit.kind for hit in find_personal_data(model)]
    return (UNKNOWN_MODEL if kinds else model), kinds


def scrubbed_tags(tags: list[str]) -> tuple[list[str], dict[str, int]]:
    """Tags with personal data in them are left out (a tag is a topic, not a message)."""
    kept, counts = [], {}
    for tag in tags:
        kinds = [hit.kind for hit in find_personal_data(tag)]
        if kinds:
            _add(counts, _tally(kinds))
        else:
            kept.append(tag)
    return kept, counts


def placeholder_marks(result: RedactedText) -> list[tuple[int, int, str]]:
    """Where each placeholder sits in the redacted text (its spans are in the original)."""
    marks, shift = [], 0
    for span in result.redactions:
        placeholder = f"[{span.kind}]"
        start = span.start + shift
        if result.text[start : start + len(placeholder)] == placeholder:
            marks.append((start, start + len(placeholder), span.kind))
        shift += len(placeholder) - (span.end - span.start)
    return marks


# -- spans marked by hand in the preview -------------------------------------------------------


def with_hand_redactions(
    scrubbed: ScrubbedChat, spans: dict[str, list[tuple[int, int]]]
) -> ScrubbedChat:
    """The chat with the spans the contributor marked (offsets into each message's scrubbed
    text, as the preview showed it) replaced by "[REDACTED]"."""
    counts, messages = dict(scrubbed.redactions), []
    for message in scrubbed.chat.messages:
        marked = spans.get(message.id, [])
        if marked:
            text, hand = _redact_by_hand(
                message.content, scrubbed.marks.get(message.id, []), marked
            )
            _add(counts, {MANUAL: hand})
            message = replace(message, content=text)
        messages.append(message)
    unknown = set(spans) - {message.id for message in messages}
    if unknown:
        raise InvalidInput("The hand-marked redactions name a message that is not in the chat.")
    return ScrubbedChat(replace(scrubbed.chat, messages=messages), counts, {})


def _redact_by_hand(text: str, marks, spans) -> tuple[str, int]:
    merged: list[list[int]] = []
    for start, end in sorted(_covering(checked_span(span, text), marks) for span in spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, position = [], 0
    for start, end in merged:
        pieces += [text[position:start], f"[{MANUAL}]"]
        position = end
    pieces.append(text[position:])
    return "".join(pieces), len(merged)


def _covering(span: tuple[int, int], marks) -> tuple[int, int]:
    """A span that cuts into a placeholder takes all of it, so no "[EMA" is left behind."""
    start, end = span
    for mark_start, mark_end, _ in marks:
        if mark_start < end and start < mark_end:
            start, end = min(start, mark_start), max(end, mark_end)
    return start, end


# -- drafts keep scrubbed chats as JSON --------------------------------------------------------


def to_json(chats: list[ScrubbedChat]) -> dict:
    return {"format": DRAFT_FORMAT, "chats": [asdict(chat) for chat in chats]}


def from_json(document) -> list[ScrubbedChat] | None:
    """The chats of a draft, or None for anything this version did not write."""
    if not isinstance(document, dict) or document.get("format") != DRAFT_FORMAT:
        return None
    chats = []
    for item in document["chats"]:
        chat = item["chat"]
        messages = [ChatMessage(**message) for message in chat["messages"]]
        marks = {key: [tuple(mark) for mark in value] for key, value in item["marks"].items()}
        chats.append(
            ScrubbedChat(ParsedChat(**{**chat, "messages": messages}), item["redactions"], marks)
        )
    return chats


def _tally(kinds: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _add(totals: dict[str, int], counts: dict[str, int]) -> None:
    for kind, count in counts.items():
        totals[kind] = totals.get(kind, 0) + count

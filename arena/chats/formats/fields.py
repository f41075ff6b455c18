"""The normalised shape of a shared chat and the field checks every chat format shares."""

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field

from arena.core.errors import InvalidInput

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_CHATS_PER_FILE = 1000
MAX_MESSAGES_PER_CHAT = 2000
MAX_MESSAGE_CHARS = 200_000
MAX_TITLE_CHARS = 200
MAX_TAG_CHARS, MAX_TAGS = 30, 10
MAX_NUMBER = 2**63 - 1
# Stands for a model id that had no model id's shape or held personal data (it takes no part in
# pairs or feedback: it may stand for several models).
UNKNOWN_MODEL = "unknown-model"

ROLES = ("user", "assistant", "system")
OPENAI_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}
SHAREGPT_ROLES = {
    "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
    "chatgpt": "assistant", "model": "assistant", "system": "system",
}  # fmt: skip
# (list of turns, a turn is called, its role field, role names, its text field)
LINEAR_FORMATS = {
    "openai": ("messages", "message", "role", OPENAI_ROLES, "content"),
    "sharegpt": ("conversations", "turn", "from", SHAREGPT_ROLES, "value"),
}
# Open WebUI keeps thinking and tool traces inside the answer text; they are not the answer.
TRACE_BLOCK = re.compile(
    r'<details type="(?:reasoning|code_interpreter|tool_calls)"[^>]*>.*?</details>\s*', re.DOTALL
)


@dataclass
class ChatMessage:
    id: str
    role: str  # "user" | "assistant" | "system"
    content: str
    parent_id: str | None
    model: str | None = None
    rating: int | None = None  # +1 / -1 thumbs
    feedback_note: str = ""  # the rater's comment
    timestamp: float | None = None
    completion_tokens: int | None = None
    generation_seconds: float | None = None
    detail_rating: int | None = None  # Open WebUI's detailed rating, 1-10
    reason: str | None = None  # a reason code, such as "accurate_information"
    feedback_tags: list[str] = field(default_factory=list)
    error: str | None = None  # why the answer failed (the backend's message)

    @property
    def failed(self) -> bool:
        """An answer that is an error, or has no text: no answer to judge."""
        return self.role == "assistant" and (self.error is not None or not self.content.strip())


@dataclass
class ParsedChat:
    source_format: str  # "openwebui_chat" | "openwebui_feedback" | "openai" | "sharegpt"
    external_id: str | None
    title: str
    messages: list[ChatMessage]  # a tree via parent_id, in tree order (depth first)
    fingerprint: str
    # Who owns the chat in its source (an Open WebUI user id and display name): read to ask the
    # uploader for consent when a file holds other people's chats, never stored.
    owner_id: str | None = None
    owner_name: str | None = None
    # The contributor's keyed hash of (source, external_id), set by scrubbing: what identifies
    # the chat when it is shared again.
    source_key: str | None = None


# --- shared checks and the tree --------------------------------------------------------------


def tree_order(messages: list[ChatMessage], listed: dict, where: str) -> list[ChatMessage]:
    """Depth first from the first messages; children in childrenIds order, then any unlisted."""
    children: dict[str | None, list[ChatMessage]] = {}
    for message in messages:
        children.setdefault(message.parent_id, []).append(message)
    for key, kids in children.items():
        rank = {child: n for n, child in enumerate(listed.get(key, []))}
        kids.sort(key=lambda m: rank.get(m.id, len(rank)))
    ordered, stack = [], list(reversed(children.get(None, [])))
    while stack:
        message = stack.pop()
        ordered.append(message)
        stack.extend(reversed(children.get(message.id, [])))
    if len(ordered) < len(messages):
        seen = {m.id for m in ordered}
        stuck = ", ".join([m.id for m in messages if m.id not in seen][:5])
        raise InvalidInput(f"{where}: messages {stuck} form a cycle (no path to a first message)")
    return ordered


def parsed_chat(source_format, external_id, title, messages, owner=(None, None)) -> ParsedChat:
    external = None if external_id in (None, "") else clean_text(str(external_id))[:200]
    owner_id, owner_name = (
        None if value in (None, "") else clean_text(str(value))[:200] for value in owner
    )
    return ParsedChat(
        source_format, external, title, messages, fingerprint_of(messages), owner_id, owner_name
    )


def fingerprint_of(messages: list[ChatMessage]) -> str:
    """Same conversation (texts, models, branching) → same hash, whatever ids, ratings or titles."""
    position = {m.id: n for n, m in enumerate(messages)}
    canonical = [
        [m.role, normalised(m.content), m.model or "", position.get(m.parent_id, -1)]
        for m in messages
    ]
    encoded = json.dumps(canonical, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def normalised(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()


def check_chat_count(count: int, limit: int | None = None) -> None:
    limit = limit or MAX_CHATS_PER_FILE
    if count > limit:
        raise InvalidInput(f"the file holds {count} chats; the limit is {limit}")


def check_message_count(count: int, where: str) -> None:
    if count > MAX_MESSAGES_PER_CHAT:
        raise InvalidInput(f"{where} has {count} messages; the limit is {MAX_MESSAGES_PER_CHAT}")


def require_object(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} is a {kind_of(value)}, expected an object")
    return value


def role_of(value: dict, where: str, roles: dict, key: str) -> str:
    role, label = value.get(key), key if key == "role" else f"'{key}'"
    if role is None:
        raise InvalidInput(f"{where} has no {label}")
    if not isinstance(role, str) or role not in roles:
        raise InvalidInput(
            f"{where} has {label} {shortened(repr(role))}; expected one of: {', '.join(roles)}"
        )
    return roles[role]


def content_of(value, where: str) -> str:
    if value is None:
        raise InvalidInput(f"{where} has no content")
    if isinstance(value, list):  # OpenAI content parts; images and other parts are left out
        value = "\n\n".join(filter(None, (text_part(part, where) for part in value)))
    if not isinstance(value, str):
        raise InvalidInput(f"{where} has content of type {kind_of(value)}, expected text")
    if len(value) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"{where} is {len(value)} characters long; the limit is {MAX_MESSAGE_CHARS}"
        )
    return clean_text(value)


def text_part(part, where: str) -> str:
    part = require_object(part, f"{where}: a content part")
    text = part.get("text", "") if part.get("type") == "text" else ""
    return text if isinstance(text, str) else ""


LINE_BREAK = re.compile(r"\r\n?")


def clean_text(text: str) -> str:
    """Text a database accepts: no NUL characters, no unpaired surrogates from JSON escapes;
    line breaks as LF, as a browser reads them, so the preview's hand-marked offsets (counted
    by the browser) point at the same characters here."""
    text = LINE_BREAK.sub("\n", text.replace("\x00", ""))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def model_of(value, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where} has a model of type {kind_of(value)}, expected text")
    return clean_text(value.strip())[:200] or None


def rating_of(value, where: str) -> int | None:
    if value in (None, 0, "", "0"):
        return None
    if value in (1, "1") and not isinstance(value, bool):
        return 1
    if value in (-1, "-1"):
        return -1
    raise InvalidInput(f"{where} has rating {shortened(repr(value))}; expected 1 or -1")


def text_of(annotation: dict, key: str, where: str) -> str:
    """An optional text field of an annotation ("" when absent)."""
    value = annotation.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{where} has a {key} of type {kind_of(value)}, expected text")
    return clean_text(value.strip())[:MAX_MESSAGE_CHARS] if value else ""


def detail_rating_of(details, where: str) -> int | None:
    """Open WebUI's 1-10 rating, kept under annotation.details.rating."""
    value = details.get("rating") if isinstance(details, dict) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 10:
        raise InvalidInput(
            f"{where} has a detailed rating {shortened(repr(value))}; expected 1 to 10"
        )
    return int(value)


def tags_of(value, where: str) -> list[str]:
    """Feedback tags: short free words typed by the rater."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{where} has tags of type {kind_of(value)}, expected a list")
    tags = []
    for tag in value:
        name = tag.get("name") if isinstance(tag, dict) else tag  # older versions: {"name": ...}
        if isinstance(name, str) and name.strip():
            tags.append(clean_text(" ".join(name.split()))[:MAX_TAG_CHARS])
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def number_of(value, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{where} is a {kind_of(value)}, expected a number")
    if isinstance(value, int) and abs(value) > MAX_NUMBER:
        raise InvalidInput(f"{where} is a number beyond 64 bits")
    return float(value)


def title_of(*sources: dict) -> str:
    for source in sources:
        title = source.get("title")
        if isinstance(title, str) and title.strip():
            return clean_text(" ".join(title.split()))[:MAX_TITLE_CHARS]
    return ""


def shortened(text: str, limit: int = 60) -> str:
    """Ids and values from the file, cut to a length an error message can show."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind_of(value) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")

"""Shared chats: read chat exports into one normalised shape, whatever tool wrote them.

Accepted, detected from the content: Open WebUI chat exports (one chat or "export all"), Open
WebUI feedback exports, OpenAI-style message lists and ShareGPT conversations, as one JSON
document or as JSON Lines. Everything is checked before anything is returned, so a file is
taken whole or not at all; every problem is an InvalidInput that says what is wrong and where.
"""

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

from arena.errors import InvalidInput

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_CHATS_PER_FILE = 1000
MAX_MESSAGES_PER_CHAT = 2000
MAX_MESSAGE_CHARS = 200_000
MAX_TITLE_CHARS = 200

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
    feedback_note: str = ""  # reason/comment text from the annotation
    timestamp: float | None = None
    completion_tokens: int | None = None
    generation_seconds: float | None = None


@dataclass
class ParsedChat:
    source_format: str  # "openwebui_chat" | "openwebui_feedback" | "openai" | "sharegpt"
    external_id: str | None
    title: str
    messages: list[ChatMessage]  # a tree via parent_id, in tree order (depth first)
    fingerprint: str


def parse_chat_file(raw: bytes, max_bytes: int = MAX_FILE_BYTES) -> list[ParsedChat]:
    """Every chat in an uploaded file, or InvalidInput naming the first problem found."""
    source_format, items = _detect(_load_json(raw, max_bytes))
    if source_format == "openwebui_feedback":
        return _feedback_chats(items)  # many rows may share a chat: counted after grouping
    _check_chat_count(len(items))
    if source_format == "openwebui_chat":
        return [_openwebui_chat(item, f"chat {n}") for n, item in enumerate(items, 1)]
    return [_linear_chat(item, f"chat {n}", source_format) for n, item in enumerate(items, 1)]


# --- reading the file ------------------------------------------------------------------------


def _load_json(raw: bytes, max_bytes: int):
    if len(raw) > max_bytes:
        raise InvalidInput(
            f"the file is {_megabytes(len(raw))}; the limit is {_megabytes(max_bytes)}"
        )
    try:
        text = bytes(raw).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"the file is not UTF-8 text (bad byte at offset {error.start})"
        ) from None
    if not text.strip():
        raise InvalidInput("the file is empty")
    try:
        return _json_value(text)
    except json.JSONDecodeError as error:
        if error.msg != "Extra data":
            raise InvalidInput(f"the file is not valid JSON: {_where_in_json(error)}") from None
    return _json_lines(text)


def _json_lines(text: str) -> list:
    """JSON Lines: one chat per line, as ShareGPT and fine-tuning data sets are often shipped."""
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                items.append(_json_value(line))
            except json.JSONDecodeError as error:
                raise InvalidInput(
                    f"line {number} is not valid JSON: {_where_in_json(error)}"
                ) from None
    return items


def _json_value(text: str):
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise InvalidInput("the file nests JSON too deeply") from None


def _reject_constant(name: str):
    raise InvalidInput(f"the file contains {name}, which is not a JSON value")


def _where_in_json(error: json.JSONDecodeError) -> str:
    return f"{error.msg} at line {error.lineno}, column {error.colno}"


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _detect(document) -> tuple[str, list]:
    if isinstance(document, list):
        items = document
    elif isinstance(document, dict):
        items = [document]
    else:
        raise InvalidInput(f"the file holds a JSON {_kind(document)}; expected chats")
    if not items:
        raise InvalidInput("the file holds an empty list, so there is no chat in it")
    first = items[0]
    if isinstance(first, list):  # a list of bare message lists: one conversation each
        return "openai", [{"messages": item} for item in items]
    if not isinstance(first, dict):
        raise InvalidInput(f"item 1 is a {_kind(first)}, not a chat object")
    if "role" in first:  # a bare list of messages is one OpenAI-style conversation
        return "openai", [{"messages": items}]
    source_format = _format_of(first)
    if source_format is None:
        keys = ", ".join(_short(key) for key in sorted(first)[:8]) or "none"
        raise InvalidInput(
            "unknown format: expected an Open WebUI chat or feedback export, OpenAI-style "
            f"messages or ShareGPT conversations (the first item has the keys: {keys})"
        )
    return source_format, items


def _format_of(item: dict) -> str | None:
    if "snapshot" in item or item.get("type") == "rating":
        return "openwebui_feedback"
    if isinstance(item.get("chat"), dict) or "history" in item:
        return "openwebui_chat"
    if "conversations" in item:
        return "sharegpt"
    if "messages" in item:
        return "openai"
    return None


# --- Open WebUI ------------------------------------------------------------------------------


def _openwebui_chat(row, where: str, source_format: str = "openwebui_chat") -> ParsedChat:
    row = _object(row, where)
    chat = _object(row.get("chat", row), f"{where}: chat")  # a bare chat object works too
    if "history" not in chat:
        raise InvalidInput(f"{where} has no history of messages")
    raw = _object(chat["history"], f"{where}: history").get("messages")
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: history has no messages object")
    if not raw:
        raise InvalidInput(f"{where} has no messages")
    _check_count(len(raw), where)
    messages, listed = {}, {}
    for key, value in raw.items():
        message, listed[key] = _openwebui_message(key, value, f"{where}: message {_short(key)}")
        messages[key] = message
    _check_links(messages, listed, where)
    ordered = _tree_order(list(messages.values()), listed, where)
    return _parsed(source_format, row.get("id", chat.get("id")), _title(row, chat), ordered)


def _openwebui_message(key: str, value, where: str) -> tuple[ChatMessage, list[str]]:
    value = _object(value, where)
    if value.get("id", key) != key:
        raise InvalidInput(f"{where} is stored under another id ({_short(repr(value.get('id')))})")
    role = _role(value, where, {role: role for role in ROLES}, "role")
    content = _content(value.get("content"), where)
    if role == "assistant":
        content = TRACE_BLOCK.sub("", content)
    parent = value.get("parentId")
    if parent is not None and not isinstance(parent, str):
        raise InvalidInput(f"{where} has a parentId of type {_kind(parent)}, expected text")
    children = value.get("childrenIds") or []
    if not isinstance(children, list) or not all(isinstance(c, str) for c in children):
        raise InvalidInput(f"{where} has childrenIds that are not a list of message ids")
    annotation = value.get("annotation") or {}
    if not isinstance(annotation, dict):
        raise InvalidInput(f"{where} has an annotation of type {_kind(annotation)}")
    tokens, seconds = read_usage(value.get("usage") or value.get("info"))
    message = ChatMessage(
        id=key,
        role=role,
        content=content,
        parent_id=parent,
        model=_model(value.get("selectedModelId") or value.get("model"), where),
        rating=_rating(annotation.get("rating"), where),
        feedback_note=_note(annotation, where),
        timestamp=_number(value.get("timestamp"), f"{where} timestamp"),
        completion_tokens=tokens,
        generation_seconds=seconds,
    )
    return message, children


def read_usage(usage) -> tuple[int | None, float | None]:
    """(completion tokens, generation seconds) from Open WebUI's usage block, when it has them.

    Ollama reports eval_count and eval_duration (nanoseconds of generation, without loading the
    model or reading the prompt); OpenAI-style backends report completion_tokens and no time,
    though Open WebUI may add "response_token/s". Anything missing or non-numeric ("N/A") is None.
    """
    if not isinstance(usage, dict):
        return None, None
    tokens = _first_positive(usage, ("completion_tokens", "eval_count", "output_tokens"))
    nanoseconds = _first_positive(usage, ("eval_duration",))
    rate = _first_positive(usage, ("response_token/s",))
    if nanoseconds:
        seconds = nanoseconds / 1e9
    elif rate and tokens:
        seconds = tokens / rate
    else:
        seconds = None
    return (int(tokens) if tokens else None), seconds


def _first_positive(usage: dict, keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = usage.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _check_links(messages: dict, listed: dict, where: str) -> None:
    for key, message in messages.items():
        if message.parent_id is not None and message.parent_id not in messages:
            raise InvalidInput(
                f"{where}: message {_short(key)} has parentId {_short(message.parent_id)}, "
                "which is not in the chat"
            )
    for key, children in listed.items():
        for child in children:
            if child not in messages:
                raise InvalidInput(
                    f"{where}: message {_short(key)} lists child {_short(child)}, "
                    "which is not in the chat"
                )
            parent = messages[child].parent_id
            if parent != key:
                raise InvalidInput(
                    f"{where}: message {_short(key)} lists child {_short(child)}, "
                    f"whose parentId is {_short(str(parent))}"
                )


# --- Open WebUI feedback --------------------------------------------------------------------


def _feedback_chats(rows: list) -> list[ParsedChat]:
    """One chat per chat id: the newest snapshot, with every row's rating put on its message.

    Open WebUI takes the snapshot just before it saves the rating, so the rating is taken from
    the feedback row (data.rating) rather than from the snapshot's annotation.
    """
    snapshots, ratings = {}, []
    for number, row in enumerate(rows, 1):
        where = f"feedback {number}"
        row = _object(row, where)
        data, meta = (
            _object(row.get("data") or {}, f"{where}: data"),
            _object(row.get("meta") or {}, f"{where}: meta"),
        )
        snapshot = _object(row.get("snapshot") or {}, f"{where}: snapshot")
        if snapshot.get("chat") is None:
            continue  # a row without a snapshot carries no conversation to take
        chat = _openwebui_chat(snapshot["chat"], where, "openwebui_feedback")
        message_id = meta.get("message_id")
        if not isinstance(message_id, str):
            raise InvalidInput(f"{where} has no meta.message_id naming the rated message")
        if message_id not in {m.id for m in chat.messages}:
            raise InvalidInput(
                f"{where}: the rated message {_short(message_id)} is not in its chat snapshot"
            )
        key = meta.get("chat_id") or chat.external_id or chat.fingerprint
        order = (_number(row.get("updated_at"), f"{where} updated_at") or 0, number)
        if key not in snapshots or order > snapshots[key][0]:
            snapshots[key] = (order, chat)
        ratings.append(
            (order, key, message_id, _rating(data.get("rating"), where), _note(data, where))
        )
    if not snapshots:
        raise InvalidInput(
            "no feedback row carries a chat snapshot (snapshot.chat), so there is no chat to take"
        )
    _check_chat_count(len(snapshots))
    for _, key, message_id, rating, note in sorted(ratings, key=lambda r: r[0]):
        for message in snapshots[key][1].messages:
            if message.id == message_id:
                message.rating, message.feedback_note = rating, note
    return [chat for _, chat in snapshots.values()]


# --- OpenAI-style and ShareGPT ---------------------------------------------------------------


def _linear_chat(item, where: str, source_format: str) -> ParsedChat:
    """A list of turns as a tree: a run of answers right after one user turn are siblings
    (alternative answers to it), and the next turn continues from the last of them."""
    list_key, turn_name, role_key, roles, text_key = LINEAR_FORMATS[source_format]
    item = _object(item, where)
    turns = item.get(list_key)
    if not isinstance(turns, list):
        raise InvalidInput(f"{where} has no {list_key} list")
    if not turns:
        raise InvalidInput(f"{where} has no messages")
    _check_count(len(turns), where)
    default_model = _model(item.get("model"), where)
    messages: list[ChatMessage] = []
    for number, turn in enumerate(turns, 1):
        turn_where = f"{where}: {turn_name} {number}"
        turn = _object(turn, turn_where)
        role = _role(turn, turn_where, roles, role_key)
        content = _content(turn.get(text_key), turn_where)
        model = _model(turn.get("model"), turn_where) or default_model
        previous = messages[-1] if messages else None
        if previous is None:
            parent = None
        elif role == "assistant" and previous.role == "assistant":
            parent = previous.parent_id
        else:
            parent = previous.id
        answer_model = model if role == "assistant" else None
        messages.append(ChatMessage(str(number), role, content, parent, answer_model))
    return _parsed(source_format, item.get("id"), _title(item), messages)


# --- shared checks and the tree --------------------------------------------------------------


def _tree_order(messages: list[ChatMessage], listed: dict, where: str) -> list[ChatMessage]:
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


def _parsed(source_format, external_id, title, messages) -> ParsedChat:
    external = None if external_id in (None, "") else _clean(str(external_id))[:200]
    return ParsedChat(source_format, external, title, messages, _fingerprint(messages))


def _fingerprint(messages: list[ChatMessage]) -> str:
    """Same conversation (texts, models, branching) → same hash, whatever ids, ratings or titles."""
    position = {m.id: n for n, m in enumerate(messages)}
    canonical = [
        [m.role, _normalise(m.content), m.model or "", position.get(m.parent_id, -1)]
        for m in messages
    ]
    encoded = json.dumps(canonical, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()


def _check_chat_count(count: int) -> None:
    if count > MAX_CHATS_PER_FILE:
        raise InvalidInput(f"the file holds {count} chats; the limit is {MAX_CHATS_PER_FILE}")


def _check_count(count: int, where: str) -> None:
    if count > MAX_MESSAGES_PER_CHAT:
        raise InvalidInput(f"{where} has {count} messages; the limit is {MAX_MESSAGES_PER_CHAT}")


def _object(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} is a {_kind(value)}, expected an object")
    return value


def _role(value: dict, where: str, roles: dict, key: str) -> str:
    role, label = value.get(key), key if key == "role" else f"'{key}'"
    if role is None:
        raise InvalidInput(f"{where} has no {label}")
    if not isinstance(role, str) or role not in roles:
        raise InvalidInput(
            f"{where} has {label} {_short(repr(role))}; expected one of: {', '.join(roles)}"
        )
    return roles[role]


def _content(value, where: str) -> str:
    if value is None:
        raise InvalidInput(f"{where} has no content")
    if isinstance(value, list):  # OpenAI content parts; images and other parts are left out
        value = "\n\n".join(filter(None, (_text_part(part, where) for part in value)))
    if not isinstance(value, str):
        raise InvalidInput(f"{where} has content of type {_kind(value)}, expected text")
    if len(value) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"{where} is {len(value)} characters long; the limit is {MAX_MESSAGE_CHARS}"
        )
    return _clean(value)


def _text_part(part, where: str) -> str:
    part = _object(part, f"{where}: a content part")
    text = part.get("text", "") if part.get("type") == "text" else ""
    return text if isinstance(text, str) else ""


def _clean(text: str) -> str:
    """Text a database accepts: no NUL characters, no unpaired surrogates from JSON escapes."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _model(value, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where} has a model of type {_kind(value)}, expected text")
    return _clean(value.strip())[:200] or None


def _rating(value, where: str) -> int | None:
    if value in (None, 0, "", "0"):
        return None
    if value in (1, "1") and not isinstance(value, bool):
        return 1
    if value in (-1, "-1"):
        return -1
    raise InvalidInput(f"{where} has rating {_short(repr(value))}; expected 1 or -1")


def _note(annotation: dict, where: str) -> str:
    parts = []
    for key in ("reason", "comment"):
        value = annotation.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{where} has a {key} of type {_kind(value)}, expected text")
        if value and value.strip():
            parts.append(_clean(value.strip())[:MAX_MESSAGE_CHARS])
    return "\n".join(parts)


def _number(value, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{where} is a {_kind(value)}, expected a number")
    return float(value)


def _title(*sources: dict) -> str:
    for source in sources:
        title = source.get("title")
        if isinstance(title, str) and title.strip():
            return _clean(" ".join(title.split()))[:MAX_TITLE_CHARS]
    return ""


def _short(text: str, limit: int = 60) -> str:
    """Ids and values from the file, cut to a length an error message can show."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")

"""Shared chats: read chat exports into one normalised shape, whatever tool wrote them.

Accepted, detected from the content: Open WebUI chat exports (one chat or "export all"), Open
WebUI feedback exports, OpenAI-style message lists and ShareGPT conversations, as one JSON
document or as JSON Lines. Everything is checked before anything is returned, so a file is
taken whole or not at all; every problem is an InvalidInput that says what is wrong and where.
A CSV file (Open WebUI offers its feedback as CSV too) is refused by name: it holds no chat text.
The bulk import reads files of any size one chat at a time instead (`formats.stream`).
"""

import json
import re

from arena.chats.formats.fields import (  # noqa: F401 - ChatMessage and the limits are part of this API
    LINEAR_FORMATS,
    MAX_CHATS_PER_FILE,
    MAX_FILE_BYTES,
    MAX_MESSAGE_CHARS,
    MAX_MESSAGES_PER_CHAT,
    ChatMessage,
    ParsedChat,
    check_chat_count,
    check_message_count,
    content_of,
    kind_of,
    model_of,
    parsed_chat,
    require_object,
    role_of,
    shortened,
    title_of,
)
from arena.chats.formats.openwebui import feedback_chats, openwebui_chat, read_usage  # noqa: F401
from arena.core.errors import InvalidInput

MESSAGE = "message"  # the format of an item that is one message, not a chat
# A first line of comma-separated column names, as spreadsheets and Open WebUI's CSV feedback
# export ("id,user_id,chat_id,model_id,...") begin: never the start of JSON.
CSV_COLUMN = re.compile(r'"?[^\W\d][\w .()/-]{0,63}"?')
OPENWEBUI_CSV_COLUMNS = {"chat_id", "model_id", "rating"}


def parse_chat_file(
    raw: bytes, max_bytes: int = MAX_FILE_BYTES, max_chats: int | None = None
) -> list[ParsedChat]:
    """Every chat in an uploaded file, or InvalidInput naming the first problem found (at most
    max_chats chats: MAX_CHATS_PER_FILE unless said)."""
    source_format, items = _detect(_load_json(raw, max_bytes))
    if source_format == "openwebui_feedback":
        return feedback_chats(items, max_chats)  # rows may share a chat: counted after grouping
    check_chat_count(len(items), max_chats)
    return [chat_of(item, f"chat {n}", source_format) for n, item in enumerate(items, 1)]


def chat_of(item, where: str, source_format: str) -> ParsedChat:
    """One item of a file as a chat, in the format the file's first item showed (feedback rows
    are not chats: `feedback_chats` groups them by chat)."""
    if source_format == "openwebui_chat":
        return openwebui_chat(item, where)
    if isinstance(item, list):  # a bare list of one conversation's messages
        item = {"messages": item}
    return _linear_chat(item, where, source_format)


def item_format(item, where: str) -> str:
    """The format a file's first item is in (it decides for the whole file), or MESSAGE when
    the item is a single message: the file is then one conversation."""
    if isinstance(item, list):
        return "openai"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} is a {kind_of(item)}, not a chat object")
    if "role" in item:
        return MESSAGE
    source_format = _format_of(item)
    if source_format is None:
        keys = ", ".join(shortened(key) for key in sorted(item)[:8]) or "none"
        raise InvalidInput(
            "unknown format: expected an Open WebUI chat or feedback export, OpenAI-style "
            f"messages or ShareGPT conversations (the first item has the keys: {keys})"
        )
    return source_format


def check_not_csv(text: str) -> None:
    """Refuse a CSV file by name, saying what to export instead (its first line is enough)."""
    first_line = text[:4096].lstrip().partition("\n")[0]
    columns = [column.strip() for column in first_line.split(",")]
    if len(columns) < 2 or not all(CSV_COLUMN.fullmatch(column) for column in columns):
        return
    names = {column.strip('"') for column in columns}
    guess = "" if names >= OPENWEBUI_CSV_COLUMNS else "?"
    raise InvalidInput(
        f"This looks like a CSV file (Open WebUI's CSV feedback export{guess}). It holds no chat "
        "text to share: export the feedback as JSON instead (Admin Panel → Evaluations → "
        "Feedback → Export → Export as JSON), or your chats (Settings → Data Controls → "
        "Export All Chats)."
    )


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
        check_not_csv(text)
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
        raise InvalidInput(f"the file holds a JSON {kind_of(document)}; expected chats")
    if not items:
        raise InvalidInput("the file holds an empty list, so there is no chat in it")
    source_format = item_format(items[0], "item 1")
    if source_format == MESSAGE:  # a bare list of messages is one OpenAI-style conversation
        return "openai", [{"messages": items}]
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


# --- OpenAI-style and ShareGPT ---------------------------------------------------------------


def _linear_chat(item, where: str, source_format: str) -> ParsedChat:
    """A list of turns as a tree: a run of answers right after one user turn are siblings
    (alternative answers to it), and the next turn continues from the last of them."""
    list_key, turn_name, role_key, roles, text_key = LINEAR_FORMATS[source_format]
    item = require_object(item, where)
    turns = item.get(list_key)
    if not isinstance(turns, list):
        raise InvalidInput(f"{where} has no {list_key} list")
    if not turns:
        raise InvalidInput(f"{where} has no messages")
    check_message_count(len(turns), where)
    default_model = model_of(item.get("model"), where)
    messages: list[ChatMessage] = []
    for number, turn in enumerate(turns, 1):
        turn_where = f"{where}: {turn_name} {number}"
        turn = require_object(turn, turn_where)
        role = role_of(turn, turn_where, roles, role_key)
        content = content_of(turn.get(text_key), turn_where)
        model = model_of(turn.get("model"), turn_where) or default_model
        previous = messages[-1] if messages else None
        if previous is None:
            parent = None
        elif role == "assistant" and previous.role == "assistant":
            parent = previous.parent_id
        else:
            parent = previous.id
        answer_model = model if role == "assistant" else None
        messages.append(ChatMessage(str(number), role, content, parent, answer_model))
    return parsed_chat(source_format, item.get("id"), title_of(item), messages)

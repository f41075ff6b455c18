"""Open WebUI exports: chats (a message tree) and feedback exports (rated snapshots)."""

import re

from arena.chats.formats.fields import (
    ROLES,
    TRACE_BLOCK,
    ChatMessage,
    ParsedChat,
    check_chat_count,
    check_message_count,
    content_of,
    detail_rating_of,
    kind_of,
    model_of,
    number_of,
    parsed_chat,
    rating_of,
    require_object,
    role_of,
    shortened,
    tags_of,
    text_of,
    title_of,
    tree_order,
)
from arena.core.errors import InvalidInput

MAX_TOKENS = 2**31 - 1  # what the completion_tokens column holds
MIN_SECONDS, MAX_SECONDS = 1e-3, 1e6  # a millisecond to eleven days of generation

# --- Open WebUI ------------------------------------------------------------------------------


def openwebui_chat(row, where: str, source_format: str = "openwebui_chat") -> ParsedChat:
    row = require_object(row, where)
    chat = require_object(row.get("chat", row), f"{where}: chat")  # a bare chat object works too
    if "history" not in chat:
        raise InvalidInput(f"{where} has no history of messages")
    raw = require_object(chat["history"], f"{where}: history").get("messages")
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: history has no messages object")
    if not raw:
        raise InvalidInput(f"{where} has no messages")
    check_message_count(len(raw), where)
    messages, listed = {}, {}
    for key, value in raw.items():
        message, listed[key] = _openwebui_message(key, value, f"{where}: message {shortened(key)}")
        messages[key] = message
    _check_links(messages, listed, where)
    ordered = tree_order(list(messages.values()), listed, where)
    chat_id = row.get("id", chat.get("id"))
    owner = _owner(row, chat, raw.values())
    return parsed_chat(source_format, chat_id, title_of(row, chat), ordered, owner)


def _owner(row: dict, chat: dict, messages) -> tuple:
    """(Open WebUI user id, display name) of the chat's owner, from the row or its messages."""
    first_user = next((m for m in messages if isinstance(m, dict) and m.get("role") == "user"), {})
    person = first_user.get("user") if isinstance(first_user.get("user"), dict) else {}
    owner_id = row.get("user_id") or chat.get("user_id") or person.get("id")
    owner_name = person.get("name")
    return (
        owner_id if isinstance(owner_id, str) else None,
        owner_name if isinstance(owner_name, str) else None,
    )


def _openwebui_message(key: str, value, where: str) -> tuple[ChatMessage, list[str]]:
    value = require_object(value, where)
    if value.get("id", key) != key:
        raise InvalidInput(
            f"{where} is stored under another id ({shortened(repr(value.get('id')))})"
        )
    role = role_of(value, where, {role: role for role in ROLES}, "role")
    content = content_of(value.get("content"), where)
    if role == "assistant":
        content = TRACE_BLOCK.sub("", content)
    parent = value.get("parentId")
    if parent is not None and not isinstance(parent, str):
        raise InvalidInput(f"{where} has a parentId of type {kind_of(parent)}, expected text")
    children = value.get("childrenIds") or []
    if not isinstance(children, list) or not all(isinstance(c, str) for c in children):
        raise InvalidInput(f"{where} has childrenIds that are not a list of message ids")
    annotation = value.get("annotation") or {}
    if not isinstance(annotation, dict):
        raise InvalidInput(f"{where} has an annotation of type {kind_of(annotation)}")
    tokens, seconds = read_usage(value.get("usage") or value.get("info"))
    message = ChatMessage(
        id=key,
        role=role,
        content=content,
        parent_id=parent,
        model=model_of(value.get("selectedModelId") or value.get("model"), where),
        timestamp=number_of(value.get("timestamp"), f"{where} timestamp"),
        completion_tokens=tokens,
        generation_seconds=seconds,
        error=error_of(value.get("error"), where) if role == "assistant" else None,
        **rating_fields(annotation, where),
    )
    return message, children


def rating_fields(annotation: dict, where: str) -> dict:
    """Everything a rating holds: thumbs, the 1-10 detail, reason code, comment and tags."""
    return {
        "rating": rating_of(annotation.get("rating"), where),
        "detail_rating": detail_rating_of(annotation.get("details"), where),
        "reason": reason_code(text_of(annotation, "reason", where)),
        "feedback_note": text_of(annotation, "comment", where),
        "feedback_tags": tags_of(annotation.get("tags"), where),
    }


def reason_code(reason: str) -> str | None:
    """Open WebUI stores reason codes ("accurate_information"); older versions stored their
    labels ("Accurate information"), which read as the same code."""
    code = "_".join(re.findall(r"[a-z0-9]+", reason.lower().replace("'", "")))
    return code[:60] or None


def error_of(error, where: str) -> str | None:
    """The text of a failed answer's error ("" when it says nothing); None without an error."""
    if error in (None, False, ""):
        return None
    if isinstance(error, dict):
        error = error.get("content") or error.get("message") or ""
    if error is True:
        return ""
    return content_of(error, f"{where} error") if isinstance(error, str) else ""


def read_usage(usage) -> tuple[int | None, float | None]:
    """(completion tokens, generation seconds) from Open WebUI's usage block, when it has them.

    Ollama reports eval_count and eval_duration (nanoseconds of generation, without loading the
    model or reading the prompt); OpenAI-style backends report completion_tokens and no time,
    though Open WebUI may add "response_token/s". Anything missing or non-numeric ("N/A") is None,
    and so is a count or a time no real answer has (it would only overflow a column or a rate).
    """
    if not isinstance(usage, dict):
        return None, None
    tokens = _first_positive(usage, ("completion_tokens", "eval_count", "output_tokens"))
    if tokens is not None and tokens > MAX_TOKENS:
        tokens = None
    nanoseconds = _first_positive(usage, ("eval_duration",))
    rate = _first_positive(usage, ("response_token/s",))
    if nanoseconds:
        seconds = nanoseconds / 1e9
    elif rate and tokens:
        seconds = tokens / rate
    else:
        seconds = None
    if seconds is not None and not MIN_SECONDS <= seconds <= MAX_SECONDS:
        seconds = None
    return (int(tokens) if tokens else None), seconds


def _first_positive(usage: dict, keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = usage.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2**63:
            return value
    return None


def _check_links(messages: dict, listed: dict, where: str) -> None:
    for key, message in messages.items():
        if message.parent_id is not None and message.parent_id not in messages:
            raise InvalidInput(
                f"{where}: message {shortened(key)} has parentId {shortened(message.parent_id)}, "
                "which is not in the chat"
            )
    for key, children in listed.items():
        for child in children:
            if child not in messages:
                raise InvalidInput(
                    f"{where}: message {shortened(key)} lists child {shortened(child)}, "
                    "which is not in the chat"
                )
            parent = messages[child].parent_id
            if parent != key:
                raise InvalidInput(
                    f"{where}: message {shortened(key)} lists child {shortened(child)}, "
                    f"whose parentId is {shortened(str(parent))}"
                )


# --- Open WebUI feedback --------------------------------------------------------------------


def feedback_chats(rows: list, max_chats: int | None = None) -> list[ParsedChat]:
    """One chat per chat id: the newest snapshot, with every row's rating put on its message.

    Open WebUI takes the snapshot just before it saves the rating, so the rating is taken from
    the feedback row (data.rating) rather than from the snapshot's annotation.
    """
    snapshots, ratings = {}, []
    for number, row in enumerate(rows, 1):
        where = f"feedback {number}"
        row = require_object(row, where)
        data, meta = (
            require_object(row.get("data") or {}, f"{where}: data"),
            require_object(row.get("meta") or {}, f"{where}: meta"),
        )
        snapshot = require_object(row.get("snapshot") or {}, f"{where}: snapshot")
        if snapshot.get("chat") is None:
            continue  # a row without a snapshot carries no conversation to take
        chat = openwebui_chat(snapshot["chat"], where, "openwebui_feedback")
        message_id = meta.get("message_id")
        if not isinstance(message_id, str):
            raise InvalidInput(f"{where} has no meta.message_id naming the rated message")
        if message_id not in {m.id for m in chat.messages}:
            raise InvalidInput(
                f"{where}: the rated message {shortened(message_id)} is not in its chat snapshot"
            )
        chat_id = meta.get("chat_id")
        key = (
            (chat_id if isinstance(chat_id, str) else None) or chat.external_id or chat.fingerprint
        )
        order = (number_of(row.get("updated_at"), f"{where} updated_at") or 0, number)
        if key not in snapshots or order > snapshots[key][0]:
            snapshots[key] = (order, chat)
        ratings.append((order, key, message_id, rating_fields(data, where)))
    if not snapshots:
        raise InvalidInput(
            "no feedback row carries a chat snapshot (snapshot.chat), so there is no chat to take"
        )
    check_chat_count(len(snapshots), max_chats)
    for _, key, message_id, fields in sorted(ratings, key=lambda r: r[0]):
        for message in snapshots[key][1].messages:
            if message.id == message_id:
                for name, value in fields.items():
                    setattr(message, name, value)
    return [chat for _, chat in snapshots.values()]

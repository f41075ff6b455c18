"""Chat exports of any size, read one chat at a time: the bulk import's way in.

`parse_chat_file` takes a file whole (web and API uploads, limited in size and in chats). This
reads a JSON array or JSON Lines item by item with the battle import's ijson reader, in two
passes: `survey` checks every chat and notes whose chats they are, so that a bad chat or a
missing consent stops an import before anything is stored; `chat_batches` then reads the chats
again, a batch at a time. A file that is one JSON document spread over lines (one chat, or one
conversation's messages) is read whole, as an upload is.

A feedback export holds a row per rating, and a chat's rows may lie anywhere in it (Open WebUI
writes the newest first). A chat is handed over once its last row is read, built from all its
rows as `parse_chat_file` builds it: laying partial copies over each other batch by batch would
let an older snapshot's rating replace a newer one. The rows of chats not complete yet wait in
memory.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO

from arena.chats.formats import (
    MAX_FILE_BYTES,
    MESSAGE,
    ParsedChat,
    chat_of,
    check_not_csv,
    feedback_chats,
    item_format,
    parse_chat_file,
    shortened,
    title_of,
)
from arena.core.errors import InvalidInput
from arena.core.json_stream import BadRecord, records

FEEDBACK = "openwebui_feedback"
BOM = b"\xef\xbb\xbf"
# A line this long without its end is a chat of JSON Lines, not the opening of a document.
FIRST_LINE_BYTES = 2**20
ARRAY, LINES, WHOLE = "array", "lines", "whole"


class InvalidChat(InvalidInput):
    """A chat of the file is bad, and the import was not told to skip bad chats."""


@dataclass(frozen=True)
class RejectedChat:
    where: str  # its place in the file: "chat 12", "feedback 3" (array items) or "line 40"
    label: str  # its title, or its id, when readable
    reason: str  # the InvalidInput sentence

    def __str__(self) -> str:
        named = f'{self.where} ("{self.label}")' if self.label else self.where
        rest = self.reason.removeprefix(self.where)
        return named + (rest if rest != self.reason else f": {self.reason}")


@dataclass
class Survey:
    """What the first pass found, and what the second needs to read the file the same way."""

    layout: str
    source_format: str | None = None
    owners: dict = field(default_factory=dict)  # chat (number or key) -> its owner's stand-in
    rejected: list[RejectedChat] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)  # the rejected items' numbers
    last_rows: dict[str, int] = field(default_factory=dict)  # feedback: chat key -> last row
    whole: list[ParsedChat] | None = None  # the chats of a file read whole

    @property
    def chats(self) -> list[ParsedChat]:
        """A stand-in for each chat that will be read, holding only its owner."""
        return list(self.owners.values())

    def where(self, number: int) -> str:
        if self.layout == LINES:
            return f"line {number}"
        return f"feedback {number}" if self.source_format == FEEDBACK else f"chat {number}"


def survey(
    path: Path, skip_invalid: bool = False, progress: Callable[[int], None] | None = None
) -> Survey:
    """Check every chat of the file. InvalidInput names the first bad one, unless skip_invalid:
    then each bad one is listed in `rejected`. progress is told the bytes read as they are."""
    with path.open("rb") as stream:
        found = Survey(_layout(stream))
        if found.layout == WHOLE:
            return _read_whole(path)
        read = stream.tell()
        for number, value in records(stream):
            where = found.where(number)
            try:
                if found.source_format is None:
                    found.source_format = _first_format(value, where)
                if found.source_format == MESSAGE:  # the file is one conversation
                    return _read_whole(path)
                _check(found, number, value, where)
            except InvalidInput as problem:
                _reject(found, number, RejectedChat(where, _label(value), problem.message))
                if not skip_invalid:
                    raise InvalidChat(str(found.rejected[-1])) from None
            if progress:
                progress(stream.tell() - read)
                read = stream.tell()
    if not found.owners and not found.rejected:
        raise InvalidInput("the file holds no chat")
    return found


def chat_batches(
    path: Path, found: Survey, size: int, only_user: str | None = None
) -> Iterator[list[ParsedChat]]:
    """The chats the survey accepted, read again `size` at a time (only one Open WebUI
    user's, when only_user names them)."""
    chats = iter(found.whole) if found.whole is not None else _chats_again(path, found)
    if only_user:
        chats = (chat for chat in chats if chat.owner_id == only_user)
    while batch := list(islice(chats, size)):
        yield batch


# --- the first pass ---------------------------------------------------------------------------


def _layout(stream: IO[bytes]) -> str:
    """ARRAY, LINES or WHOLE, from the first line (after which the stream is back at its
    start, past a byte order mark). A CSV file is refused here, by name."""
    if stream.peek(3)[:3] == BOM:
        stream.read(3)
    start = stream.tell()
    first_line = stream.readline(FIRST_LINE_BYTES)
    while first_line and not first_line.strip():
        first_line = stream.readline(FIRST_LINE_BYTES)
    stream.seek(start)
    check_not_csv(first_line[:4096].decode("utf-8", "replace"))
    text = first_line.strip()
    if text.startswith(b"["):
        return ARRAY
    unended = len(first_line) == FIRST_LINE_BYTES and not first_line.endswith(b"\n")
    if text.startswith(b"{") and (text.endswith(b"}") or unended):
        return LINES
    return WHOLE  # one document over several lines, or no JSON: parse_chat_file says which


def _read_whole(path: Path) -> Survey:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InvalidInput(
            f"the file is {size / 2**20:.1f} MB and neither a JSON array nor JSON Lines, so it "
            f"would be read whole; the limit for that is {MAX_FILE_BYTES / 2**20:.0f} MB"
        )
    chats = parse_chat_file(path.read_bytes())
    owners = {number: _stand_in(chat) for number, chat in enumerate(chats, 1)}
    return Survey(WHOLE, chats[0].source_format, owners, whole=chats)


def _first_format(value, where: str) -> str | None:
    """The format of the first readable item, which the others are read in."""
    return None if isinstance(value, BadRecord) else item_format(value, where)


def _check(found: Survey, number: int, value, where: str) -> None:
    if isinstance(value, BadRecord):
        raise InvalidInput(str(value))
    if found.source_format != FEEDBACK:
        found.owners[number] = _stand_in(chat_of(value, where, found.source_format))
        return
    row = _feedback_row(value, where)
    if row is not None:
        key, chat = row
        found.owners[key] = _stand_in(chat)
        found.last_rows[key] = number


def _reject(found: Survey, number: int, rejected: RejectedChat) -> None:
    found.rejected.append(rejected)
    found.skipped.add(number)


def _stand_in(chat: ParsedChat) -> ParsedChat:
    return ParsedChat(chat.source_format, None, "", [], "", chat.owner_id, chat.owner_name)


def _label(value) -> str:
    """A bad item's title, or its id, when it has one: to find it in the file."""
    if not isinstance(value, dict):
        return ""
    snapshot = value.get("snapshot")
    if isinstance(snapshot, dict) and isinstance(snapshot.get("chat"), dict):
        value = snapshot["chat"]
    chat = value.get("chat") if isinstance(value.get("chat"), dict) else {}
    ids = (value.get("id"), chat.get("id"))
    return shortened(title_of(value, chat) or next((i for i in ids if isinstance(i, str)), ""))


# --- feedback rows ----------------------------------------------------------------------------


def _feedback_row(value, where: str) -> tuple[str, ParsedChat] | None:
    """(the chat's key, the chat as this row alone shows it), or None for a row without a
    snapshot (it carries no conversation, as feedback_chats skips it)."""
    if _carries_no_chat(value):
        return None
    try:
        [chat] = feedback_chats([value])
    except InvalidInput as problem:
        # A single row is "feedback 1" to feedback_chats: name it by its place in the file.
        raise InvalidInput(where + problem.message.removeprefix("feedback 1")) from None
    chat_id = (value.get("meta") or {}).get("chat_id")
    key = (chat_id if isinstance(chat_id, str) else None) or chat.external_id or chat.fingerprint
    return key, chat


def _carries_no_chat(row) -> bool:
    if not isinstance(row, dict):
        return False
    snapshot = row.get("snapshot") or {}
    return isinstance(snapshot, dict) and snapshot.get("chat") is None


def _grouped_feedback(items, last_rows: dict[str, int]) -> Iterator[ParsedChat]:
    pending: dict[str, list] = {}
    for number, value in items:
        row = _feedback_row(value, f"feedback {number}")
        if row is None:
            continue
        key = row[0]
        pending.setdefault(key, []).append(value)
        if last_rows.get(key) == number:
            yield from feedback_chats(pending.pop(key))


# --- the second pass --------------------------------------------------------------------------


def _chats_again(path: Path, found: Survey) -> Iterator[ParsedChat]:
    with path.open("rb") as stream:
        _layout(stream)
        items = ((n, value) for n, value in records(stream) if n not in found.skipped)
        if found.source_format == FEEDBACK:
            yield from _grouped_feedback(items, found.last_rows)
            return
        for number, value in items:
            yield chat_of(value, found.where(number), found.source_format)

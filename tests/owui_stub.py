"""Just enough of Open WebUI to run the Crowd Arena action outside it.

Open WebUI (a large install with torch) is not a test dependency. What the action touches of it
is small: the module `open_webui.models.chats` with its `Chats` table, and the browser at the
end of `__event_emitter__` / `__event_call__`. These stand in for those, with the rows of a real
0.12.4 export; the action file is loaded the way Open WebUI loads a function.
"""

import copy
import json
import re
import sys
import types
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
ACTION_FILE = PROJECT / "integrations" / "open-webui" / "crowd_arena_share.py"
STORED_CHATS = Path(__file__).parent / "data" / "openwebui_action" / "chats.json"
FRONTMATTER_LINE = re.compile(r"^\s*([a-z_]+):\s*(.*)\s*$", re.IGNORECASE)  # as plugin.py


def stored_chats() -> dict[str, dict]:
    """The export rows by the first 8 characters of their id."""
    return {row["id"][:8]: row for row in json.loads(STORED_CHATS.read_text())}


class StoredChat:
    """As open_webui.models.chats.ChatModel: model_dump() gives the stored row."""

    def __init__(self, row: dict):
        self.row = copy.deepcopy(row)

    def model_dump(self) -> dict:
        return copy.deepcopy(self.row)


class AsyncChatTable:
    """Chats since 0.9, when every model method became a coroutine."""

    def __init__(self, *rows: dict):
        self.rows = {row["id"]: row for row in rows}
        self.lookups: list[tuple[str, str]] = []

    def find(self, chat_id: str, user_id: str) -> StoredChat | None:
        self.lookups.append((chat_id, user_id))
        row = self.rows.get(chat_id)
        return StoredChat(row) if row and row["user_id"] == user_id else None

    async def get_chat_by_id_and_user_id(self, id: str, user_id: str, db=None):  # noqa: A002
        return self.find(id, user_id)


class SyncChatTable(AsyncChatTable):
    """Chats in 0.5 to 0.8: the same method, synchronous."""

    def get_chat_by_id_and_user_id(self, id: str, user_id: str):  # noqa: A002
        return self.find(id, user_id)


def install_open_webui(monkeypatch, chats) -> None:
    """Make `from open_webui.models.chats import Chats` give `chats` (None: no such name)."""
    names = ("open_webui", "open_webui.models", "open_webui.models.chats")
    modules = [types.ModuleType(name) for name in names]
    if chats is not None:
        modules[2].Chats = chats
    for module in modules:
        monkeypatch.setitem(sys.modules, module.__name__, module)


def remove_open_webui(monkeypatch) -> None:
    """As in a release without open_webui.models.chats (0.4 and older): importing it fails."""
    monkeypatch.setitem(sys.modules, "open_webui.models.chats", None)


def load_action(monkeypatch):
    """As Open WebUI's load_function_module_by_id: the file's text run in a fresh module."""
    module = types.ModuleType("function_crowd_arena_share")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    module.__dict__["__file__"] = str(ACTION_FILE)
    exec(compile(ACTION_FILE.read_text(), str(ACTION_FILE), "exec"), module.__dict__)
    return module


def frontmatter(content: str) -> dict:
    """Open WebUI's extract_frontmatter rules: a first line of exactly three quotes, then
    `key: value` lines up to the closing quotes."""
    lines = content.splitlines()
    if not lines or lines[0].strip() != '"""':
        return {}
    fields = {}
    for line in lines[1:]:
        if '"""' in line:
            break
        match = FRONTMATTER_LINE.match(line)
        if match:
            fields[match.group(1).strip()] = match.group(2).strip()
    return fields


class Browser:
    """The user's browser: records what the action shows, answers its dialogs in turn."""

    def __init__(self, *answers, broken: bool = False):
        self.answers = list(answers)
        self.broken = broken
        self.events: list[dict] = []
        self.dialogs: list[dict] = []

    async def emit(self, event: dict) -> None:
        self.events.append(event)
        if self.broken:
            raise ConnectionError("socket closed")

    async def call(self, event: dict):
        self.dialogs.append(event)
        return self.answers.pop(0) if self.answers else False

    def shown(self, kind: str) -> list[dict]:
        return [event["data"] for event in self.events if event["type"] == kind]

    def last_notification(self) -> dict:
        return self.shown("notification")[-1]


def branch_body(row: dict, message_id: str) -> dict:
    """What the frontend's chatActionHandler posts: the messages from the root to the clicked
    answer only (createMessagesList), not the chat's other branches."""
    messages = row["chat"]["history"]["messages"]
    branch, current = [], messages[message_id]
    while current is not None:
        branch.insert(0, current)
        current = messages.get(current.get("parentId") or "")
    return {
        "model": messages[message_id].get("model"),
        "messages": [
            {key: m.get(key) for key in ("id", "role", "content", "timestamp")} for m in branch
        ],
        "chat_id": row["id"],
        "session_id": "socket-session-1",
        "id": message_id,
    }


def owner_of(row: dict, valves) -> dict:
    """__user__ as chat_action builds it: UserModel.model_dump() plus the user's valves."""
    return {
        "id": row["user_id"],
        "name": "Jane Doe",
        "email": "jane.owner@corp.example",
        "role": "user",
        "valves": valves,
    }

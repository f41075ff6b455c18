"""
title: Share to Crowd Arena
author: Crowd Arena
version: 0.1.0
license: MIT
required_open_webui_version: 0.5.0
requirements:
icon_url: data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCIgZmlsbD0ibm9uZSIgc3Ryb2tlPSIjMDAwIiBzdHJva2Utd2lkdGg9IjIiIHN0cm9rZS1saW5lY2FwPSJyb3VuZCIgc3Ryb2tlLWxpbmVqb2luPSJyb3VuZCI+PHBhdGggZD0iTTEyIDN2MTJNNyA4bDUtNSA1IDUiLz48cGF0aCBkPSJNNSAxNHY1YTIgMiAwIDAgMCAyIDJoMTBhMiAyIDAgMCAwIDItMnYtNSIvPjwvc3ZnPg==
description: Share this whole chat (every branch, your ratings and comments) with a Crowd Arena community. The site replaces personal data, and you check it before it is published.
"""  # noqa: E501

import asyncio
import http.client
import inspect
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

VERSION = "0.1.0"
OLDEST_OPEN_WEBUI = "0.5.0"  # where open_webui.models.chats.Chats first lives (0.4 had apps.webui)
SOURCE = "open-webui-action"
MAX_SITE_SENTENCE = 300
MAX_TITLE = 80


class ShareProblem(Exception):
    """What went wrong, in a sentence the user can act on."""


@dataclass
class SiteReply:
    status: int
    body: dict | None
    location: str = ""  # where a redirect pointed


@dataclass
class Outcome:
    level: Literal["success", "info", "warning", "error"]
    text: str


class Action:
    class Valves(BaseModel):
        base_url: str = Field("", description="Crowd Arena's address: https://arena.example.org")
        timeout_seconds: int = Field(60, ge=1, le=600, description="Wait this long for the site")

    class UserValves(BaseModel):
        api_token: str = Field(
            "",
            description="Your Crowd Arena API token with the 'share' scope (your profile page)",
            json_schema_extra={"input": {"type": "password"}},
        )
        community: str = Field("", description="Community slug offered first, e.g. general")
        licence: Literal["CC-BY-4.0", "CC0-1.0"] = Field("CC-BY-4.0", description="For your chats")

    def __init__(self):
        self.valves = self.Valves()

    async def action(
        self, body: dict, __user__=None, __event_emitter__=None, __event_call__=None, **_context
    ):
        """Never raises and returns None: Open WebUI marks the message failed when an action
        raises, and would write a returned dict into the message."""
        screen = Screen(__event_emitter__, __event_call__)
        try:
            await self._share(body if isinstance(body, dict) else {}, __user__, screen)
        except ShareProblem as problem:
            await screen.finish(Outcome("error", str(problem)))
        except Exception:  # noqa: BLE001 - whatever happens, the chat stays usable
            log.exception("Crowd Arena sharing failed")
            await screen.finish(Outcome("error", "Sharing failed unexpectedly; nothing was sent."))
        return None

    async def _share(self, body: dict, user, screen: "Screen") -> None:
        base_url = checked_base_url(self.valves.base_url)
        user = user_fields(user)
        valves = user.get("valves")
        await screen.status("Reading the whole chat…")
        row = await load_stored_chat(chat_id_of(body), str(user.get("id") or ""))
        token = required_token(valves, base_url)
        community = await screen.agree(consent_text(row, base_url), setting(valves, "community"))
        if community is None:
            await screen.finish(Outcome("info", "Not shared: nothing was sent."))
            return
        await screen.status("Sending to Crowd Arena…")
        payload = share_payload(row, community, setting(valves, "licence") or "CC-BY-4.0")
        timeout = self.valves.timeout_seconds
        reply = await asyncio.to_thread(post_chat, base_url, token, payload, timeout)
        await screen.finish(outcome(reply, base_url))


class Screen:
    """The user's side: status lines, toasts and dialogs. A broken socket never stops sharing
    or reaches the caller, and without a dialog nothing is shared."""

    def __init__(self, emitter, caller):
        self.emitter, self.caller = emitter, caller

    async def emit(self, kind: str, data: dict) -> None:
        if self.emitter is None:
            return
        try:
            await self.emitter({"type": kind, "data": data})
        except Exception as error:  # noqa: BLE001 - a closed browser tab is not a failure
            log.warning("Crowd Arena action could not show an event: %s", type(error).__name__)

    async def status(self, description: str, done: bool = False) -> None:
        await self.emit("status", {"description": description, "done": done, "hidden": False})

    async def finish(self, result: Outcome) -> None:
        await self.status(result.text, done=True)
        await self.emit("notification", {"type": result.level, "content": result.text})

    async def call(self, kind: str, data: dict):
        if self.caller is None:
            raise ShareProblem("This Open WebUI cannot ask you to confirm, so nothing was sent.")
        try:
            return await self.caller({"type": kind, "data": data})
        except Exception as error:  # noqa: BLE001 - a dialog timed out or the tab closed
            log.info("Crowd Arena dialog got no answer: %s", type(error).__name__)
            return None

    async def agree(self, consent: str, community: str) -> str | None:
        """The community to share with (the offered one when left empty) once the user agreed;
        None when they declined, cancelled, or the browser went away ({"error": ...})."""
        title = "Share with Crowd Arena?"
        if await self.call("confirmation", {"title": title, "message": consent}) is not True:
            return None
        question = "Which community should see it? Its slug, or empty for the site's default."
        answer = await self.call(
            "input",
            {
                "title": "Crowd Arena community",
                "message": question,
                "placeholder": community or "general",
                "value": community,
            },
        )
        return (answer.strip() or community.strip()) if isinstance(answer, str) else None


def checked_base_url(raw: str) -> str:
    base_url = (raw or "").strip().rstrip("/")
    parts = urllib.parse.urlsplit(base_url)
    if not base_url:
        raise ShareProblem(
            "Crowd Arena's address is not set: an admin sets it in Admin Panel → Functions → "
            "Share to Crowd Arena → Valves."
        )
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ShareProblem(f"Crowd Arena's address '{base_url}' is not an http(s) URL.")
    return base_url


def required_token(valves, base_url: str) -> str:
    token = setting(valves, "api_token").strip()
    if not token:
        raise ShareProblem(
            "Add your Crowd Arena API token (one with the 'share' scope, made on your profile "
            f"at {base_url}/profile) in this action's User Valves."
        )
    return token


def user_fields(user) -> dict:
    """__user__ is a dict (UserModel.model_dump() plus "valves") in every release seen."""
    if isinstance(user, dict):
        return user
    if hasattr(user, "model_dump"):
        return {**user.model_dump(), "valves": getattr(user, "valves", None)}
    return {}


def setting(valves, name: str) -> str:
    """One user valve, whether Open WebUI passed the UserValves object, a dict or nothing."""
    value = valves.get(name) if isinstance(valves, dict) else getattr(valves, name, None)
    return value if isinstance(value, str) else ""


def chat_id_of(body: dict) -> str:
    chat_id = body.get("chat_id") or (body.get("metadata") or {}).get("chat_id")
    if not isinstance(chat_id, str) or not chat_id or chat_id.startswith("local"):
        raise ShareProblem(
            "This chat is not saved (a temporary chat?), so there is nothing to share."
        )
    return chat_id


async def load_stored_chat(chat_id: str, user_id: str) -> dict:
    """The whole stored chat, every branch and rating, as GET /api/v1/chats/{id} returns it:
    the action's body holds only the branch that leads to the clicked answer."""
    lookup = chats_lookup()
    if inspect.iscoroutinefunction(lookup):
        chat = await lookup(chat_id, user_id)
    else:  # 0.5 to 0.8 read the database synchronously: keep the event loop free
        chat = await asyncio.to_thread(lookup, chat_id, user_id)
    if inspect.isawaitable(chat):
        chat = await chat
    if chat is None:
        raise ShareProblem("Open WebUI has no saved chat of yours with this id: nothing was sent.")
    return chat_row(chat)


def chats_lookup():
    try:
        from open_webui.models.chats import Chats
    except ImportError:
        Chats = None  # noqa: N806 - the name Open WebUI gives it
    lookup = getattr(Chats, "get_chat_by_id_and_user_id", None)
    if lookup is None:
        raise ShareProblem(
            f"This Open WebUI is too old: sharing to Crowd Arena needs {OLDEST_OPEN_WEBUI} or "
            "newer. Export the chat as JSON and upload it on Crowd Arena instead."
        )
    return lookup


def chat_row(chat) -> dict:
    if hasattr(chat, "model_dump"):
        chat = chat.model_dump()
    elif hasattr(chat, "dict"):
        chat = chat.dict()  # pydantic 1
    row = json.loads(json.dumps(chat, default=str)) if isinstance(chat, dict) else {}
    if not messages_of(row):
        raise ShareProblem("This chat has no stored messages to share.")
    return row


def messages_of(row: dict) -> list[dict]:
    history = (row.get("chat") or {}).get("history") or {}
    messages = history.get("messages") if isinstance(history, dict) else None
    return [m for m in (messages or {}).values() if isinstance(m, dict)]


def answer_text(message: dict) -> str:
    """0.12 keeps the answer in `output` items besides `content`; older releases only the
    latter, and a failed answer may have neither."""
    content = message.get("content")
    if isinstance(content, str) and content.strip():
        return content
    parts = []
    for item in message.get("output") or []:
        for piece in (item.get("content") or []) if isinstance(item, dict) else []:
            if isinstance(piece, dict) and isinstance(piece.get("text"), str):
                parts.append(piece["text"])
    return "".join(parts)


def consent_text(row: dict, base_url: str) -> str:
    messages = messages_of(row)
    answers = [m for m in messages if m.get("role") == "assistant" and answer_text(m).strip()]
    rated = [m for m in answers if (m.get("annotation") or {}).get("rating") is not None]
    title = str(row.get("title") or "Untitled")
    title = title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"
    host = urllib.parse.urlsplit(base_url).netloc
    return (
        f"The whole chat “{title}” goes to Crowd Arena ({host}): {len(messages)} message(s) "
        f"from every branch, {len(answers)} answer(s), {len(rated)} rated, with your comments. "
        "The site replaces personal data (names, e-mail addresses, phone numbers, keys) and, "
        "unless you chose to publish directly, shows you the result before publishing."
    )


def share_payload(row: dict, community: str, licence: str) -> dict:
    """Only the stored chat, as Open WebUI's export holds it: nothing from __user__ is added."""
    payload = {"chats": [row], "licence": licence, "tags": [], "notes": "", "source": SOURCE}
    if community:
        payload["community"] = community
    return payload


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could carry the token to another host: show it to the user instead."""

    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(_RefuseRedirects)


def post_chat(base_url: str, token: str, payload: dict, timeout: float) -> SiteReply:
    request = urllib.request.Request(
        f"{base_url}/api/v1/chats",
        data=json.dumps(payload, ensure_ascii=False).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"crowd-arena-open-webui-action/{VERSION}",
        },
    )
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return SiteReply(response.status, json_object(response.read()))
    except urllib.error.HTTPError as error:
        try:
            location = error.headers.get("Location", "")
            return SiteReply(error.code, json_object(error.read()), location)
        finally:
            error.close()
    except (OSError, http.client.HTTPException) as error:  # URLError and timeouts are OSErrors
        raise ShareProblem(unreachable_text(error, base_url, timeout)) from None


def unreachable_text(error: Exception, base_url: str, timeout: float) -> str:
    reason = getattr(error, "reason", error)
    if isinstance(reason, TimeoutError):
        return (
            f"Crowd Arena did not answer within {timeout:g} second(s): nothing is known to be "
            "published. Try again later."
        )
    return (
        f"Could not reach Crowd Arena at {base_url} ({reason or type(error).__name__}): nothing "
        "was sent. Is the site up, and is the admin's address right?"
    )


def json_object(raw: bytes) -> dict | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def outcome(reply: SiteReply, base_url: str) -> Outcome:
    body = reply.body
    if 200 <= reply.status < 300 and body is not None and isinstance(body.get("chats"), list):
        waiting = reply.status == 202 or body.get("status") == "awaiting_confirmation"
        return draft_outcome(body, base_url) if waiting else published_outcome(body, base_url)
    return refusal(reply, base_url)


def draft_outcome(body: dict, base_url: str) -> Outcome:
    link = body.get("preview_url") or f"{base_url}/chats"
    replaced = sum(count for count in (body.get("redactions") or {}).values())
    return Outcome(
        "success",
        f"Almost shared: Crowd Arena replaced {replaced} personal detail(s). Check the result "
        f"and publish it here: {link}",
    )


def published_outcome(body: dict, base_url: str) -> Outcome:
    link = f"{base_url}/chats"
    chats = [chat for chat in body["chats"] if isinstance(chat, dict)]
    if chats and all(chat.get("duplicate") for chat in chats):
        return Outcome("info", f"Crowd Arena already had this chat as it is; see {link}")
    pairs = sum(chat.get("pairs") or 0 for chat in chats)
    replaced = sum(count for count in (body.get("redactions") or {}).values())
    return Outcome(
        "success",
        f"Shared to Crowd Arena: {pairs} blind pair(s) for the arena, {replaced} personal "
        f"detail(s) replaced. Your shared chats: {link}",
    )


def refusal(reply: SiteReply, base_url: str) -> Outcome:
    said = site_sentence(reply.body)
    status = reply.status
    if 300 <= status < 400:
        moved = reply.location or "another address"
        return Outcome("error", f"Crowd Arena moved to {moved}: ask an admin to update it.")
    if status in (401, 403):
        return Outcome(
            "error",
            f"Crowd Arena refused your API token: {said or 'it is not valid.'} Make a token with "
            f"the 'share' scope at {base_url}/profile and put it in this action's User Valves.",
        )
    if status == 429:
        return Outcome("warning", f"Crowd Arena asks you to slow down ({said}); try again later.")
    if said and 400 <= status < 500:
        return Outcome("error", f"Crowd Arena did not take this chat: {said}")
    if status >= 500:
        return Outcome("error", f"Crowd Arena has a problem (HTTP {status}); try again later.")
    return Outcome(
        "error", f"{base_url} did not answer like Crowd Arena (HTTP {status}): is it the address?"
    )


def site_sentence(body: dict | None) -> str:
    error = (body or {}).get("error")
    return error.strip()[:MAX_SITE_SENTENCE] if isinstance(error, str) else ""

"""Builders for Open WebUI-shaped chat exports, so tests state exactly what a chat holds."""

import json
import uuid


def answer(model, content, rating=None, tokens=None, seconds=None):
    return {
        "model": model,
        "content": content,
        "rating": rating,
        "tokens": tokens,
        "seconds": seconds,
    }


def openwebui_chat(title, turns, chat_id=None) -> dict:
    """turns: [(user text, [answer(...), ...]), ...]; each next turn follows the last answer."""
    messages, parent, order = {}, None, []
    for number, (question, answers) in enumerate(turns):
        user_id = f"u{number}-{uuid.uuid4().hex[:6]}"
        messages[user_id] = {
            "id": user_id,
            "parentId": parent,
            "childrenIds": [],
            "role": "user",
            "content": question,
            "timestamp": 1732400000 + number,
        }
        if parent:
            messages[parent]["childrenIds"].append(user_id)
        order.append(user_id)
        for index, reply in enumerate(answers):
            reply_id = f"a{number}-{index}-{uuid.uuid4().hex[:6]}"
            message = {
                "id": reply_id,
                "parentId": user_id,
                "childrenIds": [],
                "role": "assistant",
                "content": reply["content"],
                "model": reply["model"],
                "modelName": reply["model"],
                "timestamp": 1732400010 + number,
            }
            if reply["rating"] is not None:
                message["annotation"] = {"rating": reply["rating"], "reason": "", "comment": ""}
            if reply["tokens"]:
                message["usage"] = {
                    "eval_count": reply["tokens"],
                    "eval_duration": int(reply["seconds"] * 1e9),
                }
            messages[reply_id] = message
            messages[user_id]["childrenIds"].append(reply_id)
            parent = reply_id
    chat_id = chat_id or str(uuid.uuid4())
    return {
        "id": chat_id,
        "title": title,
        "created_at": 1732400000,
        "updated_at": 1732400100,
        "meta": {},
        "chat": {
            "id": chat_id,
            "title": title,
            "models": [],
            "history": {"currentId": parent, "messages": messages},
            "messages": [messages[key] for key in order],
        },
    }


def export(*chats) -> bytes:
    return json.dumps(list(chats)).encode()


def two_model_chat(title="Fixing a flaky test", question=None) -> dict:
    """One question, answered by two models: one thumbs up, one down, both timed."""
    question = (
        question or "My e-mail is jane.roe@contoso-mail.org, why does my test fail at random?"
    )
    return openwebui_chat(
        title,
        [
            (
                question,
                [
                    answer(
                        "llama3.1:8b",
                        "Check shared state between tests.",
                        rating=1,
                        tokens=120,
                        seconds=2.0,
                    ),
                    answer(
                        "qwen2.5:7b", "Add sleeps everywhere.", rating=-1, tokens=90, seconds=3.0
                    ),
                ],
            )
        ],
    )

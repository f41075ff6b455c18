"""The only module that emits Socket.IO events. Events carry no model identity of open battles.

Rooms: "scope:<overall|community slug>" for boards, "user:<id>" for one person's events.
Private events name their user in the payload; the id is stripped before sending.
"""

from arena.extensions import socketio

SCOPED_EVENTS = {"leaderboard_changed", "people_changed"}
PRIVATE_EVENTS = {"points", "badge_awarded"}
# Live answers of a custom battle, for its asker only: token, side and text, never a model.
STREAM_EVENTS = {"custom_chunk", "custom_ready", "custom_failed"}
BROADCAST_EVENTS = {"activity"}


def scope_room(scope: str) -> str:
    return f"scope:{scope}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def publish(events: list[tuple[str, dict]]) -> None:
    """Emit domain events after their transaction committed (every worker, via Redis if set)."""
    for name, payload in events:
        if name in SCOPED_EVENTS:
            for scope in payload["scopes"]:
                socketio.emit(name, payload, to=scope_room(scope))
        elif name in PRIVATE_EVENTS | STREAM_EVENTS:
            body = {key: value for key, value in payload.items() if key != "user_id"}
            socketio.emit(name, body, to=user_room(payload["user_id"]))
        elif name in BROADCAST_EVENTS:
            socketio.emit(name, payload)
        else:
            raise ValueError(f"unknown event {name!r}: refusing to emit it")

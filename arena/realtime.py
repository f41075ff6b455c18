"""The only module that emits Socket.IO events. Events carry no model identity of open battles.

Rooms: "scope:<overall|community slug>" for boards, "user:<id>" for one person's events.
"""

from arena.core.events import BROADCAST, PRIVATE, SCOPED, Event
from arena.extensions import socketio


def scope_room(scope: str) -> str:
    return f"scope:{scope}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def publish(events: list[Event]) -> None:
    """Emit domain events after their transaction committed (every worker, via Redis if set)."""
    for event in events:
        if event.audience == SCOPED:
            for scope in event.scopes:
                socketio.emit(event.wire_name, event.payload(), to=scope_room(scope))
        elif event.audience == PRIVATE:
            socketio.emit(event.wire_name, event.payload(), to=user_room(event.user_id))
        elif event.audience == BROADCAST:
            socketio.emit(event.wire_name, event.payload())
        else:
            raise ValueError(f"unknown audience of {event!r}: refusing to emit it")

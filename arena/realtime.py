"""The only module that emits Socket.IO events. Events carry no model identity of open battles."""

from arena.extensions import socketio

PUBLIC_EVENTS = {"leaderboard_changed"}


def publish(events: list[tuple[str, dict]]) -> None:
    """Emit domain events after their transaction committed (every worker, via Redis if set)."""
    for name, payload in events:
        if name in PUBLIC_EVENTS:
            socketio.emit(name, payload)

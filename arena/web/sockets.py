"""Socket.IO connections: push-only, rooms chosen at connect, identity from the login session."""

from flask import request
from flask_login import current_user
from flask_socketio import join_room
from sqlalchemy import select

from arena.extensions import db, socketio
from arena.models import OVERALL, Community
from arena.realtime import LIVE_STATUS, live_updates_flowing, scope_room, user_room


def register() -> None:
    """Attach the handlers to this app's Socket.IO server (each create_app makes a new one)."""
    socketio.on_event("connect", _connect)


def _connect(auth=None):
    """Join the board the page shows and, when logged in, the user's own room.

    Clients send nothing after connecting: every change goes through HTTP POST with CSRF.
    """
    scope = (auth.get("scope") if isinstance(auth, dict) else None) or OVERALL
    if not isinstance(scope, str):
        return False
    if scope != OVERALL and not db.session.scalar(
        select(Community.id).where(Community.slug == scope)
    ):
        return False
    join_room(scope_room(scope))
    if current_user.is_authenticated:
        join_room(user_room(current_user.id))
    db.session.remove()
    if not live_updates_flowing():  # later changes reach every client as they happen
        socketio.emit(LIVE_STATUS, {"live": False}, to=request.sid, ignore_queue=True)
    return True

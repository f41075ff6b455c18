"""Badge toasts that must survive a redirect: the page that earned them navigates away at once."""

from flask import Flask, session

from arena.core.events import BadgeAwarded, Event

TOASTS_KEY = "toasts"


def carry_badges(events: list[Event], user_id: int) -> None:
    """Keep this user's new badges for the next page, as data (name, tier, icon, description)."""
    badges = [e.payload() for e in events if isinstance(e, BadgeAwarded) and e.user_id == user_id]
    if badges:
        session[TOASTS_KEY] = session.get(TOASTS_KEY, []) + badges


def register(app: Flask) -> None:
    @app.context_processor
    def _toasts():
        return {"take_toasts": lambda: session.pop(TOASTS_KEY, [])}

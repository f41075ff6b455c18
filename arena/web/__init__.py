"""Blueprints by feature; they parse requests, call one service and render or serialise."""

from flask import Flask

from arena.extensions import csrf, db, login_manager
from arena.models import User


def register_blueprints(app: Flask) -> None:
    from arena.web import api, arena_pages, auth, errors, pages

    app.register_blueprint(pages.blueprint)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(arena_pages.blueprint)
    app.register_blueprint(api.blueprint)
    # The API checks CSRF itself: bearer tokens need none, browser sessions send X-CSRFToken.
    csrf.exempt(api.blueprint)
    errors.register(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to vote."


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))

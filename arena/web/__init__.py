"""Blueprints by feature; they parse requests, call one service and render or serialise."""

from flask import Flask

from arena.extensions import csrf, db, login_manager
from arena.models import User


def register_blueprints(app: Flask) -> None:
    from arena.web import (
        api,
        arena_pages,
        auth,
        chats,
        custom,
        errors,
        models_pages,
        pages,
        people_pages,
        prompts,
        sockets,
    )

    app.register_blueprint(pages.blueprint)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(arena_pages.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(people_pages.blueprint)
    app.register_blueprint(chats.blueprint)
    app.register_blueprint(prompts.blueprint)
    app.register_blueprint(custom.blueprint)
    app.register_blueprint(models_pages.blueprint)
    # The API checks CSRF itself: bearer tokens need none, browser sessions send X-CSRFToken.
    csrf.exempt(api.blueprint)
    errors.register(app)
    sockets.register()
    app.after_request(_security_headers)
    # Most people who hit a login wall are newcomers: offer sign-up, with a link to log in.
    login_manager.login_view = "auth.signup"
    login_manager.login_message = "Create an account (or log in) to vote."
    login_manager.login_message_category = "info"


# Everything the site loads is its own; answers can never pull in third-party content.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))

"""Blueprints by feature; they parse requests, call one service and render or serialise."""

from flask import Flask, has_request_context
from flask_babel import gettext
from sqlalchemy import event

from arena.core import accounts
from arena.core.db import require_unit_of_work
from arena.core.i18n import N_
from arena.extensions import csrf, db, login_manager
from arena.models import User


def register_blueprints(app: Flask) -> None:
    from arena.web import api, errors, i18n, sockets, toasts
    from arena.web.pages import arena as arena_pages
    from arena.web.pages import (
        audit,
        auth,
        chats,
        communities,
        custom,
        datasets,
        flags,
        home,
        language,
        models,
        moderation,
        people,
        prompts,
    )

    i18n.init_i18n(app)
    app.register_blueprint(home.blueprint)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(arena_pages.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(people.blueprint)
    app.register_blueprint(chats.blueprint)
    app.register_blueprint(prompts.blueprint)
    app.register_blueprint(custom.blueprint)
    app.register_blueprint(models.blueprint)
    app.register_blueprint(moderation.blueprint)
    app.register_blueprint(audit.blueprint)
    app.register_blueprint(communities.blueprint)
    app.register_blueprint(datasets.blueprint)
    app.register_blueprint(flags.blueprint)
    app.register_blueprint(language.blueprint)
    # The API checks CSRF itself: bearer tokens need none, browser sessions send X-CSRFToken.
    csrf.exempt(api.blueprint)
    errors.register(app)
    toasts.register(app)
    sockets.register()
    app.after_request(_security_headers)
    if not event.contains(db.session, "before_flush", _changes_only_in_units):
        event.listen(db.session, "before_flush", _changes_only_in_units)
    # Most people who hit a login wall are newcomers: offer sign-up, with a link to log in.
    login_manager.login_view = "auth.signup"
    login_manager.login_message = N_("Create an account (or log in) to vote.")
    login_manager.localize_callback = gettext
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


def _changes_only_in_units(session, _context, _instances):
    if has_request_context():  # every view that writes opens a unit_of_work
        require_unit_of_work(session)


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """Sessions and remember cookies carry "id:version"; a bumped version refuses them."""
    return accounts.user_for_session(db.session, session_id)

"""Every error answers with its status and a sentence a person understands: JSON under /api/."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from arena.core.errors import ArenaError
from arena.core.i18n import N_
from arena.custom.backends import BackendError
from arena.extensions import db
from arena.web import guard
from arena.web.i18n import localized

# Werkzeug's own words for abort(code) without a message, marked so pages translate them.
HTTP_DESCRIPTIONS = {
    400: N_("The browser (or proxy) sent a request that this server could not understand."),
    401: N_(
        "The server could not verify that you are authorized to access the URL requested. You"
        " either supplied the wrong credentials (e.g. a bad password), or your browser doesn't"
        " understand how to supply the credentials required."
    ),
    403: N_(
        "You don't have the permission to access the requested resource. It is either"
        " read-protected or not readable by the server."
    ),
    404: N_(
        "The requested URL was not found on the server. If you entered the URL manually please"
        " check your spelling and try again."
    ),
    405: N_("The method is not allowed for the requested URL."),
    413: N_("The data value transmitted exceeds the capacity limit."),
    500: N_(
        "The server encountered an internal error and was unable to complete your request."
        " Either the server is overloaded or there is an error in the application."
    ),
}
# Domain messages marked here because their module has no room for the marker's import.
DOMAIN_MESSAGES = (N_("No such battle."),)
CSRF_REASONS = (
    N_("The CSRF token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF token is invalid."),
    N_("The CSRF tokens do not match."),
    N_("The CSRF session token is missing."),
    N_("The referrer header is missing."),
    N_("The referrer does not match the host."),
)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str):
    if wants_json():
        return jsonify(error=message, status=status), status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    guard.register(app)  # hostile input is refused before any view, with these answers

    @app.errorhandler(ArenaError)
    def _domain_error(error: ArenaError):
        return error_response(error.status, error.message if wants_json() else localized(error))

    @app.errorhandler(BackendError)
    def _backend_error(error: BackendError):
        app.logger.warning("Backend failed: %s", error.detail)
        return error_response(502, error.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        if wants_json():
            english = f"Security check failed: {error.description} Reload and retry."
            return error_response(400, english)
        why = _("Security check failed: %(reason)s Reload and retry.", reason=_(error.description))
        return error_response(400, why)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        message = error.description or error.name
        return error_response(error.code or 500, message if wants_json() else _(message))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return error_response(500, _("Something went wrong on our side; nothing was changed."))

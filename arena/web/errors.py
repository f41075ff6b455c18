"""Every error answers with its status and a sentence a person understands: JSON under /api/."""

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from arena.core.errors import ArenaError
from arena.custom.backends import BackendError
from arena.extensions import db
from arena.web import guard


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
        return error_response(error.status, error.message)

    @app.errorhandler(BackendError)
    def _backend_error(error: BackendError):
        app.logger.warning("Backend failed: %s", error.detail)
        return error_response(502, error.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return error_response(400, f"Security check failed: {error.description} Reload and retry.")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return error_response(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return error_response(500, "Something went wrong on our side; nothing was changed.")

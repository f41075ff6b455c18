"""The language switch: a cookie for everyone, and the member's own setting when signed in."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from arena.core.db import unit_of_work
from arena.extensions import db, limiter
from arena.web.i18n import LOCALE_COOKIE, SUPPORTED_LOCALES

blueprint = Blueprint("language", __name__)
ONE_YEAR = 365 * 24 * 60 * 60
MAX_NEXT = 2000  # a longer Location header is refused by proxies (a 502 for the visitor)


def local_path(target: str) -> bool:
    """A path on this site, at most MAX_NEXT characters: no scheme, no host, and nothing a
    browser reads as one (//, \\)."""
    parts = urlsplit(target)
    return (
        len(target) <= MAX_NEXT
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and "\\" not in target
        and not parts.scheme
        and not parts.netloc
        and target.isprintable()
    )


@blueprint.post("/language")
@limiter.limit("30/minute")
def choose():
    locale = request.form.get("locale", "")
    target = request.form.get("next") or "/"
    if locale not in SUPPORTED_LOCALES:
        abort(400, _("That language is not offered here; nothing was changed."))
    if not local_path(target):
        abort(400, _("That address is not a page of this site; nothing was changed."))
    if current_user.is_authenticated:
        with unit_of_work(db.session):
            current_user.locale = locale
    response = redirect(target, code=303)
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=ONE_YEAR,
        samesite="Lax",
        secure=request.is_secure,
        httponly=True,
    )
    return response

"""Guests on the site (voting/guests.py): what they may do, and what pages tell them.

A guest may read every page a visitor may and, beyond that, only try the arena: battles, votes,
skips, the reveal and the community's question, a language, then signing up or logging in.
A page that needs an account (@login_required) sends a guest to sign up; any other write is a
403 that says why. To the API a guest is a visitor (web/api/access.py).
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from arena.core.errors import Forbidden
from arena.core.i18n import N_
from arena.extensions import db, login_manager
from arena.voting import guests, trust

GUEST_PAGES = frozenset({"arena.arena", "arena.result"})
GUEST_WRITES = frozenset(
    {
        "arena.vote",
        "arena.skip",
        "arena.answer_question",
        "auth.try_battle",
        "auth.signup",
        "auth.login",
        "auth.logout",
        "language.choose",
    }
)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
NEEDS_ACCOUNT = N_(
    "That needs an account: guests can only try a few battles. Sign up, and your votes and "
    "points come with you."
)
# Every view wrapped by login_required runs this one code object.
_LOGIN_REQUIRED = login_required(lambda: None).__code__


def is_guest() -> bool:
    return bool(current_user.is_authenticated and current_user.is_guest)


def allowance() -> int:
    return guests.allowance(current_app.config["GUEST_VOTES"], trust.default_policy())


def tried() -> guests.Tried:
    return guests.tried(db.session, current_user.id)


def keep_to_trying():
    """Before every request: a guest reaches only what GUEST_PAGES, GUEST_WRITES and the
    pages open to everyone allow."""
    endpoint = request.endpoint
    if endpoint in (None, "static") or request.blueprint == "api" or not is_guest():
        return None
    if endpoint in GUEST_PAGES or endpoint in GUEST_WRITES:
        return None
    if request.method not in SAFE_METHODS:
        raise Forbidden(NEEDS_ACCOUNT)
    if not _needs_account(current_app.view_functions[endpoint]):
        return None
    flash(_(NEEDS_ACCOUNT), "info")
    return redirect(url_for("auth.signup", next=request.path))


def _needs_account(view) -> bool:
    while view is not None:
        if getattr(view, "__code__", None) is _LOGIN_REQUIRED:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def menu() -> dict:
    """For the menu and the invitations: a guest's votes and what a guest may cast."""
    if not current_user.is_authenticated:
        return {"guest_allowance": allowance()}
    if current_user.is_guest:
        return {"guest_allowance": allowance(), "guest_votes": tried().votes}
    return {}


def out_of_votes() -> bool:
    return is_guest() and tried().votes >= allowance()


def visitor_page(slug: str | None):
    """The arena for a visitor: a guest's try is offered (a POST: this page writes nothing);
    where guests cannot vote, the sign-up page as before."""
    if allowance() <= 0:
        return login_manager.unauthorized()
    return render_template("guest.html", tried=None, community_slug=slug)


def invitation_page(slug: str | None):
    """The arena for a guest who has used its votes: sign up to keep them, no dead end."""
    return render_template("guest.html", tried=tried(), community_slug=slug)

"""Sign up (a guest signing up keeps its votes), try a battle as a guest, log in, log out
(everywhere), change one's password."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from arena.core import accounts
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.core.errors import ArenaError
from arena.extensions import db, limiter
from arena.models import User, utcnow
from arena.voting import guests, trust
from arena.web import guests as guest_pages
from arena.web.forms import LoginForm, SignupForm
from arena.web.i18n import localized

blueprint = Blueprint("auth", __name__)
blueprint.before_app_request(guest_pages.keep_to_trying)
blueprint.app_context_processor(guest_pages.menu)
WRONG_LOGIN = _l("Unknown username or wrong password.")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("Passwords differ."))],
    )


def _safe_next(default: str) -> str:
    """Only follow ?next= within this site."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


@blueprint.route("/signup", methods=["GET", "POST"])
@limiter.limit("10/minute;50/day", methods=["POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user, kept = _new_member(form.username.data, form.password.data)
        except accounts.WeakPassword as error:
            form.password.errors.append(localized(error))
        except ArenaError as error:
            form.username.errors.append(localized(error))
        else:
            login_user(user)
            flash(_("Welcome, %(name)s! Pick the better answer.", name=user.username), "success")
            if kept and kept.votes:
                flash(_kept_message(kept), "success")
            return redirect(_safe_next(url_for("arena.arena")))
    status = 400 if form.is_submitted() else 200
    tried = guest_pages.tried() if guest_pages.is_guest() else None
    page = render_template(
        "signup.html", form=form, min_length=accounts.MIN_PASSWORD_LENGTH, tried=tried
    )
    return page, status


def _new_member(username: str, password: str) -> tuple[User, guests.Tried | None]:
    """A guest signing up becomes the member, keeping what it did; anyone else gets a new
    account."""
    with unit_of_work(db.session):
        if not guest_pages.is_guest():
            return accounts.create_user(db.session, username, password), None
        guest = current_user._get_current_object()
        kept = guests.claim(db.session, guest, username, password, trust.default_policy())
        return guest, kept


def _kept_message(kept: guests.Tried) -> str:
    return ngettext(
        "Your %(num)s vote and %(points)s points are now yours.",
        "Your %(num)s votes and %(points)s points are now yours.",
        kept.votes,
        points=kept.points,
    )


@blueprint.post("/try")
@limiter.limit(
    lambda: f"{current_app.config['GUESTS_PER_HOUR']}/hour",
    deduct_when=lambda response: response.status_code < 400,  # a refusal makes no guest
)
def try_battle():
    """A visitor becomes a guest (voting/guests.py) and is served a battle; someone signed in
    (a guest too) just goes to the arena. An unknown community is a 404 before any write."""
    slug = request.form.get("community") or None
    if slug:
        find_community(db.session, slug)
    arena = url_for("arena.arena", community=slug)
    if current_user.is_authenticated:
        return redirect(arena)
    if guest_pages.allowance() <= 0:
        flash(_("Voting needs an account here: sign up or log in."), "info")
        return redirect(url_for("auth.signup"))
    with unit_of_work(db.session):  # CSRFProtect has already checked the form's token
        guest = accounts.create_guest(db.session)
    login_user(guest, remember=True)  # the remember cookie outlives the browser, as the guest
    return redirect(arena)


def _verified(username: str, password: str) -> User | None:
    """The account if the password is right; every attempt counts for the name's backoff.

    Raises accounts.LoginLocked while the name is locked. The hash is checked before the
    write, so the write lock is held only for the short bookkeeping."""
    now = utcnow()
    user = accounts.authenticate(db.session, username, password, now)
    with unit_of_work(db.session):
        accounts.record_login(db.session, username, user is not None, now)
    return user


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    form = LoginForm()
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            user = _verified(form.username.data, form.password.data)
        except accounts.LoginLocked as error:
            form.password.errors.append(localized(error))
            status = error.status
        else:
            if user:
                _leave_guest_behind()
                login_user(user, remember=True)
                return redirect(_safe_next(url_for("arena.arena")))
            form.password.errors.append(str(WRONG_LOGIN))
    return render_template("login.html", form=form), status


def _leave_guest_behind() -> None:
    """Logging in to an account while a guest: the guest's votes stay with the guest (and go
    with it when it is purged); only signing up keeps them."""
    if guest_pages.is_guest() and (left := guest_pages.tried().votes):
        message = ngettext(
            "The %(num)s vote you cast as a guest stays behind: only signing up keeps a "
            "guest's votes.",
            "The %(num)s votes you cast as a guest stay behind: only signing up keeps a "
            "guest's votes.",
            left,
        )
        flash(message, "info")


@blueprint.post("/logout")
@login_required
def logout():
    """Ends every session of the account, this one and those on other devices alike."""
    with unit_of_work(db.session):  # CSRFProtect has already checked the form's token
        accounts.end_sessions(db.session, current_user)
    logout_user()
    return redirect(url_for("pages.index"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10/minute", methods=["POST"])
def change_password():
    form = PasswordChangeForm()
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            if _password_changed(form):
                flash(_("Password changed. Every other device is now logged out."), "success")
                return redirect(url_for("people.profile"))
        except accounts.LoginLocked as error:
            form.current_password.errors.append(localized(error))
            status = error.status
    page = render_template("auth/password.html", form=form, min_length=accounts.MIN_PASSWORD_LENGTH)
    return page, status


def _password_changed(form: PasswordChangeForm) -> bool:
    user = _verified(current_user.username, form.current_password.data)
    if user is None:
        form.current_password.errors.append(_("That is not your current password."))
        return False
    try:
        with unit_of_work(db.session):
            accounts.change_password(db.session, user, form.new_password.data)
    except accounts.WeakPassword as error:
        form.new_password.errors.append(localized(error))
        return False
    login_user(user, remember=True)  # this browser stays in, under the new session version
    return True

"""Sign up, log in, log out (everywhere), change one's password."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from arena.core import accounts
from arena.core.db import unit_of_work
from arena.core.errors import ArenaError
from arena.extensions import db, limiter
from arena.models import User, utcnow
from arena.web.forms import LoginForm, SignupForm

blueprint = Blueprint("auth", __name__)
WRONG_LOGIN = "Unknown username or wrong password."


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", "Passwords differ.")],
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
            with unit_of_work(db.session):
                user = accounts.create_user(db.session, form.username.data, form.password.data)
        except accounts.WeakPassword as error:
            form.password.errors.append(error.message)
        except ArenaError as error:
            form.username.errors.append(error.message)
        else:
            login_user(user)
            flash(f"Welcome, {user.username}! Pick the better answer.", "success")
            return redirect(_safe_next(url_for("arena.arena")))
    status = 400 if form.is_submitted() else 200
    page = render_template("signup.html", form=form, min_length=accounts.MIN_PASSWORD_LENGTH)
    return page, status


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
            form.password.errors.append(error.message)
            status = error.status
        else:
            if user:
                login_user(user, remember=True)
                return redirect(_safe_next(url_for("arena.arena")))
            form.password.errors.append(WRONG_LOGIN)
    return render_template("login.html", form=form), status


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
                flash("Password changed. Every other device is now logged out.", "success")
                return redirect(url_for("people.profile"))
        except accounts.LoginLocked as error:
            form.current_password.errors.append(error.message)
            status = error.status
    page = render_template("auth/password.html", form=form, min_length=accounts.MIN_PASSWORD_LENGTH)
    return page, status


def _password_changed(form: PasswordChangeForm) -> bool:
    user = _verified(current_user.username, form.current_password.data)
    if user is None:
        form.current_password.errors.append("That is not your current password.")
        return False
    try:
        with unit_of_work(db.session):
            accounts.change_password(db.session, user, form.new_password.data)
    except accounts.WeakPassword as error:
        form.new_password.errors.append(error.message)
        return False
    login_user(user, remember=True)  # this browser stays in, under the new session version
    return True

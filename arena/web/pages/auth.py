"""Sign up, log in, log out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user

from arena.core import accounts
from arena.core.db import unit_of_work
from arena.core.errors import ArenaError
from arena.extensions import db, limiter
from arena.web.forms import LoginForm, SignupForm

blueprint = Blueprint("auth", __name__)


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
        except ArenaError as error:
            form.username.errors.append(error.message)
        else:
            login_user(user)
            flash(f"Welcome, {user.username}! Pick the better answer.", "success")
            return redirect(_safe_next(url_for("arena.arena")))
    status = 400 if form.is_submitted() else 200
    return render_template("signup.html", form=form), status


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.username.data, form.password.data)
        if user:
            login_user(user, remember=True)
            return redirect(_safe_next(url_for("arena.arena")))
        form.password.errors.append("Unknown username or wrong password.")
    status = 400 if form.is_submitted() else 200
    return render_template("login.html", form=form), status


@blueprint.post("/logout")
@login_required
def logout():
    logout_user()  # CSRFProtect has already checked the form's token
    return redirect(url_for("pages.index"))

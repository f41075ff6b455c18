"""Model pages (ratings and speed) and the admin page for the live-answer catalogue."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from arena.core.db import unit_of_work
from arena.custom import backends
from arena.custom.speed import model_profile
from arena.extensions import db
from arena.models import LanguageModel
from arena.web.context import catalogue

blueprint = Blueprint("models", __name__)


@blueprint.get("/models/<slug>")
def profile(slug: str):
    return render_template("model.html", model=model_profile(db.session, slug))


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403, _("Only administrators can change the model catalogue."))


@blueprint.get("/admin/models")
@login_required
def catalogue_page():
    _require_admin()
    models = catalogue().models.values()
    active = dict(
        db.session.execute(select(LanguageModel.slug, LanguageModel.is_active)).tuples().all()
    )
    rows = []
    for model in models:
        unavailable = backends.unavailable_reason(model)
        switched_on = active.get(model.slug)
        rows.append(
            {
                "config": model,
                "unavailable": unavailable,
                "active": switched_on,
                "state": arena_state(switched_on, unavailable),
            }
        )
    return render_template("admin_models.html", rows=rows)


def arena_state(switched_on: bool | None, unavailable: str | None) -> str:
    """What askers get: a model without its key (or weights) never answers, switched on or not."""
    if switched_on is None:
        return "not seeded"
    if unavailable:
        return "unavailable"
    return "active" if switched_on else "inactive"


@blueprint.post("/admin/models/<slug>/active")
@login_required
def toggle_active(slug: str):
    _require_admin()
    model = db.session.scalar(select(LanguageModel).where(LanguageModel.slug == slug))
    if model is None:
        abort(404, _("No model called '%(slug)s'; run `flask --app wsgi arena seed`.", slug=slug))
    with unit_of_work(db.session):
        model.is_active = not model.is_active
    if model.is_active:
        flash(_("%(model)s is now active in the arena.", model=model.name), "success")
    else:
        flash(_("%(model)s is now inactive in the arena.", model=model.name), "success")
    return redirect(url_for("models.catalogue_page"))

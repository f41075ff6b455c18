"""Integrity for people: a flagged voter's notice and appeal, the moderators' list of cases
and of uploaded answers that do not read like the model they are claimed for."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from arena.core.db import unit_of_work
from arena.extensions import db, limiter
from arena.integrity import appeals, attribution
from arena.models import utcnow

blueprint = Blueprint("moderation", __name__)


def _require_moderator() -> None:
    if not current_user.is_admin:
        abort(403, _("Only moderators can see integrity cases."))


@blueprint.post("/profile/appeal")
@login_required
@limiter.limit("5/hour")
def appeal():
    with unit_of_work(db.session):
        appeals.file_appeal(db.session, current_user.id, request.form.get("text", ""), utcnow())
    flash(_("Appeal sent: a moderator will look at it."), "success")
    return redirect(url_for("people.profile"))


@blueprint.get("/moderation")
@login_required
def cases():
    _require_moderator()
    return render_template(
        "moderation.html",
        cases=appeals.cases(db.session),
        outliers=attribution.outliers(db.session),
    )


@blueprint.post("/moderation/appeals/<int(max=2147483647):appeal_id>")
@login_required
def decide(appeal_id: int):
    _require_moderator()
    with unit_of_work(db.session):
        decided = appeals.decide(
            db.session, appeal_id, current_user.id, request.form.get("decision", ""), utcnow()
        )
    flash(_("Appeal cleared.") if decided.decision == "cleared" else _("Appeal upheld."), "success")
    return redirect(url_for("moderation.cases"))

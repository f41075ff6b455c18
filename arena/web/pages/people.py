"""People boards, the profile page, profile settings and personal API tokens."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from arena.auditing import flags
from arena.core import accounts
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.game import badges, people, points
from arena.game.rules import default_rules
from arena.integrity import appeals
from arena.models import ApiToken, Vote, VotingStreak, utcnow
from arena.web.context import all_communities, community_from_args
from arena.web.forms import ProfileForm
from arena.web.no_store import no_store

blueprint = Blueprint("people", __name__)


@blueprint.get("/people")
def board():
    board_name = request.args.get("board", "contributors")
    period = request.args.get("period", "all")
    community = community_from_args()
    rows = people.people_board(
        db.session, board_name, period, community.slug if community else None, utcnow()
    )
    return render_template(
        "people.html",
        rows=rows,
        board=board_name,
        period=period,
        community=community,
        communities=all_communities(),
    )


def _profile_context(user) -> dict:
    rules, now = default_rules(), utcnow()
    summary = people.me(db.session, user, rules, now)
    agreed, decided = people.agreement(db.session, user.id)
    streak = db.session.get(VotingStreak, user.id)
    return {
        "summary": summary,
        "badges": people.user_badges(db.session, user.id, rules),
        "next_badges": people.next_badges(db.session, rules, user.id, now),
        "privileges": people.privileges_for(summary["points"], rules),
        "history": people.points_history(db.session, user.id),
        "votes": db.session.scalar(select(func.count(Vote.id)).where(Vote.voter_id == user.id)),
        "agreement": (agreed, decided),
        "streak": badges.current_streak(db.session, user.id, now),
        "longest_streak": streak.longest if streak else 0,
        "integrity": appeals.my_standing(db.session, user.id),
        "pending_appeal": appeals.pending_appeal(db.session, user.id),
        "flags": flags.flags_of(db.session, user.id, rules),
        "tokens": db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        ).all(),
    }


@blueprint.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        with unit_of_work(db.session):
            current_user.display_name = form.display_name.data.strip() or None
            current_user.anonymous_on_boards = form.anonymous_on_boards.data
            current_user.publish_directly = form.publish_directly.data
        flash(_("Profile saved."), "success")
        return redirect(url_for("people.profile"))
    status = 400 if form.is_submitted() else 200
    return render_template("profile.html", form=form, **_profile_context(current_user)), status


@blueprint.post("/profile/tokens")
@login_required
@no_store  # the page shows the new token's secret once
def create_token():
    label = (request.form.get("label") or "").strip()[:80]
    with unit_of_work(db.session):
        token = accounts.create_api_token(db.session, current_user, label=label, **_token_choices())
    # Rendered, not flashed: a flash would travel in the (readable) session cookie.
    return render_template(
        "profile.html",
        form=ProfileForm(obj=current_user),
        new_token=token,
        **_profile_context(current_user),
    ), 201


def _token_choices() -> dict:
    """Scopes and lifetime picked on the form; a client sending only a label gets the defaults
    (every scope, accounts.DEFAULT_TOKEN_DAYS)."""
    if "expires_days" not in request.form:
        return {}
    return {
        "scopes": request.form.getlist("scopes"),
        "expires_in_days": request.form.get("expires_days", 0, type=int),
    }


@blueprint.post("/profile/tokens/<int(max=2147483647):token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    with unit_of_work(db.session):
        accounts.revoke_api_token(db.session, current_user, token_id)
    flash(_("Token revoked."), "success")
    return redirect(url_for("people.profile"))


@blueprint.app_context_processor
def _my_points():
    """The nav's live points counter starts from the stored total."""
    if current_user.is_authenticated:
        return {"my_points": points.total_points(db.session, current_user.id)}
    return {}

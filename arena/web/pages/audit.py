"""The audit queue of a community: review one anonymised shared chat at a time; the disputed
chats and the auditors' agreement for its moderators."""

import random

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from arena import realtime
from arena.auditing import agreement, disputes, queue, reviews, roles
from arena.auditing.settings import load_settings
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.core.errors import Conflict
from arena.core.i18n import N_
from arena.extensions import db, limiter
from arena.game.rules import default_rules
from arena.models import Community, utcnow
from arena.web import toasts
from arena.web.context import account_key
from arena.web.no_store import no_store

blueprint = Blueprint("audit", __name__)
STATES = {"accepted": N_("accepted"), "rejected": N_("rejected")}
_draws = random.SystemRandom()


def _held_key(community: Community) -> str:
    return f"audit_item:{community.slug}"


def _auditing(slug: str) -> Community:
    """The community, if the signed-in person may review its chats (403 saying what unlocks)."""
    community = find_community(db.session, slug)
    rules = load_settings().rules_for(community.slug)
    user = current_user._get_current_object()
    roles.audits(db.session, user, community, default_rules(), rules, utcnow()).require()
    return community


def _moderating(slug: str) -> Community:
    community = find_community(db.session, slug)
    roles.moderates(db.session, current_user._get_current_object(), community).require()
    return community


def _form() -> reviews.AuditForm:
    return reviews.AuditForm(
        verdict=request.form.get("verdict", ""),
        reason=request.form.get("reason") or None,
        note=request.form.get("note", ""),
        suggestion=request.form.get("suggestion", ""),
        low_confidence=request.form.get("low_confidence") == "on",
    )


def _submit(community: Community, chat_id: int) -> None:
    with unit_of_work(db.session):
        outcome = reviews.submit(
            db.session,
            current_user._get_current_object(),
            community,
            chat_id,
            _form(),
            rules=default_rules(),
            settings=load_settings(),
            now=utcnow(),
        )
    realtime.publish(outcome.events)
    toasts.carry_badges(outcome.events, current_user.id)
    message, status, reason = reviews.summary(outcome, load_settings())
    decided = _(STATES.get(status, status))
    if reason:
        decided = _("%(status)s (%(reason)s)", status=decided, reason=reason)
    flash(_(message, decided=decided), "success")


@blueprint.get("/communities/<slug>/audit")
@login_required
@no_store
def review(slug: str):
    community = _auditing(slug)
    user = current_user._get_current_object()
    rules = load_settings().rules_for(community.slug)
    held = session.get(_held_key(community))
    item = queue.next_item(db.session, user, community, rules, _draws, held)
    session[_held_key(community)] = item.chat_id if item else None
    return render_template(
        "audit.html",
        community=community,
        item=item,
        reasons=load_settings().reject_reasons,
        moderator=roles.is_moderator(db.session, user, community),
    )


@blueprint.post("/communities/<slug>/audit/<int(max=2147483647):chat_id>")
@login_required
@limiter.limit("60/minute", key_func=account_key)
def submit(slug: str, chat_id: int):
    community = _auditing(slug)
    # Only the item the queue served: an auditor does not pick which chats to review.
    if session.get(_held_key(community)) != chat_id:
        raise Conflict(N_("Review the chat the queue shows you; nothing was recorded."))
    _submit(community, chat_id)
    session.pop(_held_key(community), None)
    return redirect(url_for("audit.review", slug=community.slug))


@blueprint.get("/communities/<slug>/audit/disputed")
@login_required
@no_store
def disputed(slug: str):
    community = _moderating(slug)
    return render_template(
        "audit_disputed.html",
        community=community,
        chats=disputes.disputed(db.session, community, current_user.id),
        reasons=load_settings().reject_reasons,
    )


@blueprint.post("/communities/<slug>/audit/disputed/<int(max=2147483647):chat_id>")
@login_required
def decide(slug: str, chat_id: int):
    community = _moderating(slug)
    _submit(community, chat_id)
    return redirect(url_for("audit.disputed", slug=community.slug))


@blueprint.get("/communities/<slug>/auditors")
@login_required
@no_store
def auditors(slug: str):
    community = _moderating(slug)
    rules = load_settings().rules_for(community.slug)
    return render_template(
        "audit_auditors.html",
        community=community,
        alpha=agreement.community_alpha(db.session, community.id),
        counts=agreement.audit_counts(db.session, community.id),
        auditors=agreement.auditors(db.session, community.id, rules.poor_agreement),
        poor_below=rules.poor_agreement,
        min_decided=agreement.MIN_DECIDED_AUDITS,
    )

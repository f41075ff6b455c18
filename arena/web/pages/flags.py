"""Flags as pages: the flag form under a battle and its reveal (a plain form post, no script
needed), and each community's moderation queue of open flags."""

from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from arena import realtime
from arena.auditing import flags, roles
from arena.auditing.settings import load_settings
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.core.errors import Conflict, InvalidInput
from arena.core.i18n import N_
from arena.core.sql import MAX_ID
from arena.extensions import db, limiter
from arena.game.rules import default_rules
from arena.models import utcnow
from arena.voting import battles
from arena.web.context import account_key
from arena.web.i18n import explain, localized

blueprint = Blueprint("flags", __name__)

RESOLVED = {
    flags.REMOVE: lambda n, status: ngettext(
        "Removed from the arena: %(num)s flag %(status)s.",
        "Removed from the arena: %(num)s flags %(status)s.",
        n,
        status=status,
    ),
    flags.REDACT: lambda n, status: ngettext(
        "Corrected text stored: %(num)s flag %(status)s.",
        "Corrected text stored: %(num)s flags %(status)s.",
        n,
        status=status,
    ),
    flags.DISMISS: lambda n, status: ngettext(
        "Dismissed: %(num)s flag %(status)s.",
        "Dismissed: %(num)s flags %(status)s.",
        n,
        status=status,
    ),
}
FLAG_STATES = {"upheld": N_("upheld"), "dismissed": N_("dismissed")}


@dataclass(frozen=True)
class FlagOptions:
    """What the flag form under a battle offers this person."""

    allowed: bool
    why_not: str
    reasons: dict[str, str] = field(default_factory=dict)
    flagged: frozenset[str] = frozenset()  # sides of this battle flagged already
    max_note: int = flags.MAX_NOTE


@blueprint.app_template_global()
def flag_options(token: str) -> FlagOptions | None:
    """For templates of a battle (the arena page, the custom battle page, the reveal)."""
    if not current_user.is_authenticated:
        return None
    battle = battles.battle_for_voter(db.session, token, current_user.id)
    may = roles.privilege(db.session, current_user, "flag_content", default_rules())
    return FlagOptions(
        allowed=may.allowed,
        why_not=explain(may),
        reasons=load_settings().flag_reasons,
        flagged=frozenset(flags.flagged_sides(db.session, battle.id)),
    )


@blueprint.post("/arena/<token>/flag")
@login_required
@limiter.limit("30/minute", key_func=account_key)
def flag(token: str):
    try:
        with unit_of_work(db.session):
            flags.file_flag(
                db.session,
                current_user,
                token,
                side=request.form.get("side", ""),
                reason=request.form.get("reason", ""),
                note=request.form.get("note", ""),
                rules=default_rules(),
                now=utcnow(),
            )
    except (InvalidInput, Conflict) as refused:  # said on the battle page, which stays usable
        flash(localized(refused), "error")
    else:
        flash(_("Flag sent to the moderators: thank you. You can still vote or skip."), "success")
    return redirect(_back_to_battle(token))


def _back_to_battle(token: str) -> str:
    battle = battles.battle_for_voter(db.session, token, current_user.id)
    if battle.status == "voted":
        return url_for("arena.result", token=token)
    if battle.status == "open":
        return url_for("custom.battle", token=token)
    return url_for("arena.arena", community=battle.community.slug)


def _moderated(slug: str):
    community = find_community(db.session, slug)
    roles.moderates(db.session, current_user, community).require()
    return community


@blueprint.get("/communities/<slug>/flags")
@login_required
def queue(slug: str):
    community = _moderated(slug)
    return render_template(
        "flags.html",
        community=community,
        queued=flags.open_flags(db.session, community.id),
        max_correction=flags.MAX_CORRECTION,
    )


@blueprint.post(f"/communities/<slug>/flags/<int(max={MAX_ID}):flag_id>")
@login_required
def resolve(slug: str, flag_id: int):
    community = _moderated(slug)
    action = request.form.get("action", "")
    with unit_of_work(db.session):
        resolution = flags.resolve(
            db.session,
            current_user,
            community,
            flag_id,
            action,
            rules=default_rules(),
            now=utcnow(),
            text=request.form.get("text", ""),
            abusive=request.form.get("abusive") == "yes",
        )
    realtime.publish(resolution.events)
    status = _(FLAG_STATES.get(resolution.status, resolution.status))
    flash(RESOLVED[action](len(resolution.resolved), status))
    return redirect(url_for("flags.queue", slug=community.slug))

"""Communities: the list, founding one, its page (boards, question, agreement, recommended
configuration), who takes part in it, and its moderators' page of roles."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from arena.auditing import agreement, recommendations, roles
from arena.auditing import communities as community_service
from arena.auditing.communities import CommunityDraft
from arena.auditing.settings import load_settings
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.core.i18n import N_
from arena.core.render import markdown_to_html
from arena.extensions import db, limiter
from arena.game.rules import default_rules
from arena.models import Community, utcnow
from arena.voting import participation
from arena.web.api.communities import ParticipationQuery
from arena.web.api.validation import query_arguments, validated
from arena.web.context import all_communities, published
from arena.web.i18n import localized

blueprint = Blueprint("communities", __name__)
FIELDS = ("name", "slug", "description", "guidelines", "question")
ROLE_NAMES = {"auditor": N_("auditor"), "moderator": N_("moderator")}


@blueprint.get("/communities")
def index():
    rules = default_rules()
    if current_user.is_authenticated:
        founding = roles.privilege(db.session, current_user, "create_community", rules)
    else:
        threshold = next(p for p in rules.privileges if p.name == "create_community")
        why = _(
            "Log in: %(privilege)s unlocks at %(points)s points.",
            privilege=threshold.label.lower(),
            points=threshold.points,
        )
        founding = roles.Permission(False, why)
    return render_template("communities.html", communities=all_communities(), founding=founding)


def _founding_form(draft, error: str | None = None, status: int = 200):
    return render_template(
        "community_new.html",
        draft=draft,
        error=error,
        limits={
            "name": community_service.NAME_LENGTH,
            "slug": community_service.SLUG_LENGTH,
            "description": community_service.MAX_DESCRIPTION,
            "guidelines": community_service.MAX_GUIDELINES,
            "question": community_service.MAX_QUESTION,
        },
    ), status


@blueprint.route("/communities/new", methods=["GET", "POST"])
@login_required
@limiter.limit("20/hour", methods=["POST"])
def new():
    rules, question = default_rules(), load_settings().default_question
    roles.privilege(db.session, current_user, "create_community", rules).require()
    if request.method == "GET":
        return _founding_form(CommunityDraft("", "", question=question))
    draft = CommunityDraft(**{name: request.form.get(name, "") for name in FIELDS})
    try:
        with unit_of_work(db.session):
            community = community_service.create_community(
                db.session, current_user, draft, rules, question
            )
    except (InvalidInput, Conflict) as refused:
        return _founding_form(draft, localized(refused), refused.status)
    flash(_("%(name)s is open. You are its first moderator.", name=community.name), "success")
    return redirect(url_for("communities.detail", slug=community.slug))


def _board(community: Community) -> dict:
    min_votes = current_app.config["BOARD_MIN_VOTES"]
    return recommendations.recommend(db.session, community, published(community.slug), min_votes)


@blueprint.get("/communities/<slug>")
def detail(slug: str):
    community = find_community(db.session, slug)
    is_moderator = current_user.is_authenticated and roles.is_moderator(
        db.session, current_user, community
    )
    return render_template(
        "community.html",
        community=community,
        description_html=markdown_to_html(community.description),
        guidelines_html=markdown_to_html(community.guidelines),
        moderators=community_service.moderator_names(db.session, community.id),
        recommended=_board(community),
        question_results=community_service.question_results(db.session, community.id),
        alpha=agreement.community_alpha(db.session, community.id),
        queue=agreement.audit_counts(db.session, community.id),
        is_moderator=is_moderator,
    )


@blueprint.get("/communities/<slug>/participation")
def participation_page(slug: str):
    community = find_community(db.session, slug)
    weeks = validated(ParticipationQuery, query_arguments(), "query").weeks
    return render_template(
        "participation.html",
        community=community,
        communities=all_communities(),
        figures=participation.participation(db.session, community, utcnow(), weeks),
        week_choices=sorted({4, 12, 26, 52, participation.MAX_WEEKS, weeks}),
    )


def _moderated(slug: str) -> Community:
    """The community, when the person asking moderates it (403 with the reason otherwise)."""
    community = find_community(db.session, slug)
    roles.moderates(db.session, current_user, community).require()
    return community


def _roles_page(community: Community, error: str | None = None, status: int = 200):
    poor_below = load_settings().rules_for(community.slug).poor_agreement
    return render_template(
        "community_roles.html",
        community=community,
        moderators=community_service.role_holders(db.session, community.id, roles.MODERATOR),
        auditors=community_service.role_holders(db.session, community.id, roles.AUDITOR),
        agreement=agreement.auditors(db.session, community.id, poor_below),
        poor_below=poor_below,
        error=error,
    ), status


@blueprint.get("/communities/<slug>/roles")
@login_required
def roles_page(slug: str):
    return _roles_page(_moderated(slug))


def _change_role(slug: str, change, done: dict[bool, str]):
    """Apply a grant or removal asked by a moderator; the page again with the reason if the
    form names no account or no role."""
    community = _moderated(slug)
    username, role = request.form.get("username", "").strip(), request.form.get("role", "")
    try:
        with unit_of_work(db.session):
            changed = change(db.session, current_user, community, username, role)
    except (InvalidInput, NotFound) as refused:
        return _roles_page(community, localized(refused), refused.status)
    said = _(ROLE_NAMES.get(role, role))
    flash(_(done[changed], name=username, role=said, community=community.name), "success")
    return redirect(url_for("communities.roles_page", slug=community.slug))


@blueprint.post("/communities/<slug>/roles")
@login_required
@limiter.limit("60/hour")
def grant(slug: str):
    done = {
        True: N_("%(name)s is now a %(role)s of %(community)s."),
        False: N_("%(name)s was a %(role)s already."),
    }
    return _change_role(slug, community_service.grant_role, done)


@blueprint.post("/communities/<slug>/roles/remove")
@login_required
@limiter.limit("60/hour")
def remove(slug: str):
    done = {
        True: N_("%(name)s is no longer a %(role)s of %(community)s."),
        False: N_("%(name)s was no %(role)s."),
    }
    return _change_role(slug, community_service.remove_role, done)

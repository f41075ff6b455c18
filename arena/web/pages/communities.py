"""Communities: the list, founding one, its page (boards, question, agreement, recommended
configuration) and its moderators' page of roles."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from arena.auditing import agreement, recommendations, roles
from arena.auditing import communities as community_service
from arena.auditing.communities import CommunityDraft
from arena.auditing.settings import load_settings
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.core.render import markdown_to_html
from arena.extensions import db, limiter
from arena.game.rules import default_rules
from arena.models import Community
from arena.web.context import all_communities, published

blueprint = Blueprint("communities", __name__)
FIELDS = ("name", "slug", "description", "guidelines", "question")


@blueprint.get("/communities")
def index():
    rules = default_rules()
    if current_user.is_authenticated:
        founding = roles.privilege(db.session, current_user, "create_community", rules)
    else:
        threshold = next(p for p in rules.privileges if p.name == "create_community")
        founding = roles.Permission(
            False, f"Log in: {threshold.label.lower()} unlocks at {threshold.points} points."
        )
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
        return _founding_form(draft, refused.message, refused.status)
    flash(f"{community.name} is open. You are its first moderator.", "success")
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
        return _roles_page(community, refused.message, refused.status)
    flash(done[changed].format(name=username, role=role, community=community.name), "success")
    return redirect(url_for("communities.roles_page", slug=community.slug))


@blueprint.post("/communities/<slug>/roles")
@login_required
@limiter.limit("60/hour")
def grant(slug: str):
    done = {True: "{name} is now a {role} of {community}.", False: "{name} was a {role} already."}
    return _change_role(slug, community_service.grant_role, done)


@blueprint.post("/communities/<slug>/roles/remove")
@login_required
@limiter.limit("60/hour")
def remove(slug: str):
    done = {True: "{name} is no longer a {role} of {community}.", False: "{name} was no {role}."}
    return _change_role(slug, community_service.remove_role, done)

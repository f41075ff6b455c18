"""The shared prompt library: share, upvote, comment, reuse in the arena."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from arena import realtime
from arena.core.db import unit_of_work
from arena.core.render import markdown_to_html
from arena.extensions import db, limiter
from arena.library import prompts as prompt_library
from arena.web.context import all_communities, community_slug_from_args

blueprint = Blueprint("prompts", __name__)


def _filters() -> tuple[str, str | None, str | None]:
    """?sort=, ?community= (checked to exist) and ?tag= of a library request."""
    community = community_slug_from_args()
    return request.args.get("sort") or "top", community, request.args.get("tag") or None


def _with_html(prompt: dict) -> dict:
    return {**prompt, "text_html": markdown_to_html(prompt["text"])}


def _viewer_marks(prompts: list[dict]) -> tuple[set, set]:
    if not current_user.is_authenticated:
        return set(), set()
    return prompt_library.viewer_marks(db.session, current_user.id, [p["id"] for p in prompts])


def _back_to(default: str) -> str:
    """Where a form came from, if it is a library page: never an open redirect."""
    target = request.form.get("next", "")
    if target.startswith("/prompts") and "//" not in target and "\\" not in target:
        return target
    return default


@blueprint.get("/prompts")
def library():
    sort, slug, tag = _filters()
    prompts = prompt_library.library(db.session, sort, slug, tag)
    own, upvoted = _viewer_marks(prompts)
    communities = all_communities()
    return render_template(
        "prompts.html",
        prompts=[_with_html(p) for p in prompts],
        sort=sort,
        sorts=prompt_library.SORTS,
        community=slug,
        tag=tag,
        communities=communities,
        community_names={c.slug: c.name for c in communities},
        own=own,
        upvoted=upvoted,
    )


@blueprint.post("/prompts")
@login_required
@limiter.limit("30/hour")
def share():
    tags = (request.form.get("tags") or "").split(",")
    form = request.form
    with unit_of_work(db.session):
        shared = prompt_library.share_prompt(
            db.session,
            current_user.id,
            form.get("community", ""),
            form.get("title", ""),
            form.get("text", ""),
            system_prompt=form.get("system_prompt", ""),
            tags=[tag for tag in tags if tag.strip()],
        )
    flash(_("Your prompt is in the library. Thank you for sharing!"), "success")
    return redirect(url_for("prompts.detail", prompt_id=shared.id))


@blueprint.get("/prompts/<int(max=2147483647):prompt_id>")
def detail(prompt_id: int):
    found = prompt_library.prompt_detail(db.session, prompt_id)
    own, upvoted = _viewer_marks([found["prompt"]])
    return render_template(
        "prompt.html",
        prompt=_with_html(found["prompt"]),
        comments=found["comments"],
        community_names={c.slug: c.name for c in all_communities()},
        own=own,
        upvoted=upvoted,
    )


@blueprint.post("/prompts/<int(max=2147483647):prompt_id>/upvote")
@login_required
@limiter.limit("120/hour")
def upvote(prompt_id: int):
    with unit_of_work(db.session):
        events = prompt_library.upvote(db.session, current_user.id, prompt_id)
    realtime.publish(events)
    flash(_("Upvoted: thank you for telling the author."), "success")
    return redirect(_back_to(url_for("prompts.detail", prompt_id=prompt_id)))


@blueprint.post("/prompts/<int(max=2147483647):prompt_id>/comments")
@login_required
@limiter.limit("60/hour")
def add_comment(prompt_id: int):
    with unit_of_work(db.session):
        prompt_library.comment(db.session, current_user.id, prompt_id, request.form.get("text", ""))
    flash(_("Comment added."), "success")
    return redirect(url_for("prompts.detail", prompt_id=prompt_id, _anchor="comments"))

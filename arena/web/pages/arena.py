"""The blind voting pages: a battle, the vote form, and the reveal."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from arena import realtime
from arena.auditing import questions
from arena.core.db import unit_of_work
from arena.core.errors import Conflict, InvalidInput, NotFound, NothingToServe
from arena.core.i18n import N_
from arena.core.render import markdown_to_html
from arena.core.sql import MAX_ID
from arena.extensions import db, limiter
from arena.game.rules import default_rules
from arena.models import utcnow
from arena.voting import battles, guests, reveal, trust
from arena.web import guests as guest_pages
from arena.web import integrity_job, prompt_languages, toasts
from arena.web.context import account_key, all_communities, battle_expiry
from arena.web.i18n import localized

blueprint = Blueprint("arena", __name__)


def library_prompt(prompt_id: str):
    from arena.models.library import PromptShare

    number = int(prompt_id) if prompt_id.isascii() and prompt_id.isdigit() else None
    found = db.session.get(PromptShare, number) if number and number <= MAX_ID else None
    if found is None:
        raise NotFound(N_("That library prompt does not exist (any more)."))
    return found


def _turns_html(turns: list[dict]) -> list[dict]:
    return [{"role": t["role"], "html": markdown_to_html(t["content"])} for t in turns]


def rendered_battle(battle) -> dict:
    view = battles.battle_view(battle)
    return {
        **view,
        "prompt_html": markdown_to_html(view["prompt"]),
        "context_html": _turns_html(view["context"]),
        "contexts_html": {
            side: _turns_html(view.get("contexts", {}).get(side) or []) for side in ("a", "b")
        },
        "answers_html": {side: markdown_to_html(text) for side, text in view["responses"].items()},
    }


@blueprint.get("/arena")
@limiter.limit("60/minute")
def arena():
    slug = request.args.get("community") or None
    if not current_user.is_authenticated:
        return guest_pages.visitor_page(slug)
    if guest_pages.out_of_votes():
        return guest_pages.invitation_page(slug)
    ask = request.args.get("ask")
    if ask:  # "use in arena" from the prompt library: open the ask form filled in
        return render_template(
            "arena.html",
            battle=None,
            communities=all_communities(),
            community_slug=slug,
            ask=library_prompt(ask),
        )
    language = prompt_languages.remember(request.args.get("prompts"))
    try:
        with unit_of_work(db.session):
            battle = prompt_languages.battle_for(
                db.session, current_user.id, slug, language, battle_expiry()
            )
    except NothingToServe as empty:
        return render_template(
            "arena.html",
            battle=None,
            empty=localized(empty),
            communities=all_communities(),
            community_slug=slug,
            **prompt_languages.page_context(db.session, slug, language),
        )
    return render_template(
        "arena.html",
        battle=rendered_battle(battle),
        communities=all_communities(),
        community_slug=battle.community.slug,
        **prompt_languages.page_context(db.session, battle.community.slug, language),
    )


@blueprint.post("/arena/<token>/vote")
@login_required
# Per account, and per address so that many accounts behind one cannot flood either.
@limiter.limit("120/minute", key_func=account_key)
@limiter.limit("600/minute")
def vote(token: str):
    if reveal.has_voted(db.session, current_user.id, token):
        return _back_to_reveal(token)
    before = reveal.scores_before(db.session, current_user.id, token)
    try:
        outcome = _cast(token)
    except guests.GuestLimitReached as limit:  # a second tab used the last one
        flash(localized(limit), "info")
        return redirect(url_for("arena.arena"))
    except Conflict:
        if reveal.has_voted(db.session, current_user.id, token):  # a second tab won the race
            return _back_to_reveal(token)
        raise
    realtime.publish(outcome.events)
    integrity_job.nudge()
    toasts.carry_badges(outcome.events, current_user.id)
    session[SCORES_BEFORE_KEY] = {"token": token, "sides": before}
    return redirect(url_for("arena.result", token=token))


def _cast(token: str):
    with unit_of_work(db.session):
        if guest_pages.is_guest():
            guests.refuse_past_allowance(db.session, current_user.id, guest_pages.allowance())
        choice = request.form.get("choice", "")
        return battles.cast_vote(db.session, current_user.id, token, choice)


# Both models' scores just before the last page vote, kept for its reveal (one battle only).
SCORES_BEFORE_KEY = "scores_before"


def _back_to_reveal(token: str):
    """Back after a vote and voting again: the vote stands, so show its reveal, not a 409."""
    said = _("You already voted on this battle; your first vote stands. Here is its reveal.")
    flash(said, "info")
    return redirect(url_for("arena.result", token=token))


def _scores_before(token: str) -> dict | None:
    kept = session.get(SCORES_BEFORE_KEY) or {}
    return kept.get("sides") if kept.get("token") == token else None


@blueprint.post("/arena/<token>/skip")
@login_required
# Per account, and per address so that many accounts behind one cannot flood either.
@limiter.limit("120/minute", key_func=account_key)
@limiter.limit("600/minute")
def skip(token: str):
    with unit_of_work(db.session):
        community = battles.skip_battle(db.session, current_user.id, token)
    integrity_job.nudge()
    flash(_("Skipped: nothing was recorded for the models, and skips earn no points."), "info")
    return redirect(url_for("arena.arena", community=community))


@blueprint.get("/arena/<token>/result")
@login_required
def result(token: str):
    battle, models, choice = battles.battle_result(db.session, token, current_user.id)
    shown = reveal.reveal(
        db.session, default_rules(), current_user.id, token, _scores_before(token)
    )
    return render_template(
        "result.html",
        battle=rendered_battle(battle),
        models=models,
        choice=choice,
        reveal=shown,
        community_slug=battle.community.slug,
        probation=trust.probation_left(db.session, current_user.id, trust.default_policy()),
        question=questions.asked(db.session, current_user.id, token),
        tried=guest_pages.tried() if guest_pages.is_guest() else None,
    )


@blueprint.post("/arena/<token>/answer")
@login_required
@limiter.limit("120/minute", key_func=account_key)
def answer_question(token: str):
    """The community's question about the answer the voter chose, from the result page."""
    said = request.form.get("answer", "")
    if said not in ("yes", "no"):
        raise InvalidInput(N_("answer must be 'yes' or 'no'."))
    try:
        with unit_of_work(db.session):
            questions.answer(db.session, current_user.id, token, said == "yes", utcnow())
    except Conflict as refused:  # a second click, or a second tab: the result page says why
        flash(localized(refused), "info")
    return redirect(url_for("arena.result", token=token))

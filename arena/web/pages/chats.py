"""Sharing chats: upload, preview with redactions, publish, withdraw, export; feedback page."""

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from arena import realtime
from arena.chats import drafts, sharing
from arena.chats.consent import EVERYONE, Consent, ConsentRequired, consented
from arena.chats.feedback import feedback_stats
from arena.chats.formats import parse_chat_file
from arena.chats.scrub import ScrubbedChat, scrub_chats
from arena.core.db import unit_of_work
from arena.core.errors import InvalidInput, NotFound
from arena.core.i18n import N_
from arena.extensions import db, limiter
from arena.models import utcnow
from arena.models.chats import ChatDraft
from arena.web.context import all_communities, community_from_args
from arena.web.no_store import no_store
from arena.web.uploads import upload_bytes

blueprint = Blueprint("chats", __name__)


def uploaded_file_bytes() -> bytes:
    return upload_bytes(request.files.get("file"))


def options_from_form() -> sharing.SharingOptions:
    tags = [tag for tag in (request.form.get("tags") or "").split(",") if tag.strip()]
    return sharing.SharingOptions(
        community=request.form.get("community", ""),
        licence=request.form.get("licence", ""),
        tags=tags,
        notes=request.form.get("notes", ""),
    )


def manual_spans_from_form() -> dict:
    """{"<chat number>:<message id>": [[start, end], ...]} from the preview's hidden field."""
    try:
        marked = json.loads(request.form.get("manual") or "{}")
        return {
            (int(key.split(":", 1)[0]), key.split(":", 1)[1]): [(int(s), int(e)) for s, e in spans]
            for key, spans in marked.items()
        }
    except (ValueError, TypeError, AttributeError, IndexError, RecursionError):
        raise InvalidInput(
            N_("The hand-marked redactions could not be read; please mark again.")
        ) from None


def draft_chats(token: str) -> list[ScrubbedChat]:
    """The draft's chats; an expired (or unreadable) draft is deleted when touched, never shown."""
    return _draft(token)[1]


def _draft(token: str) -> tuple[ChatDraft, list[ScrubbedChat]]:
    now = utcnow()
    saved = drafts.find(db.session, current_user.id, token)
    chats = drafts.readable(saved, now) if saved is not None else None
    if saved is not None and chats is None:
        with unit_of_work(db.session):
            drafts.remove(db.session, token, now)
    if chats is None:
        raise NotFound(drafts.GONE)
    return saved, chats


@blueprint.get("/chats")
@login_required
@no_store
def mine():
    return render_template("chats.html", chats=sharing.contributions(db.session, current_user.id))


def consent_from_form() -> Consent:
    choice = request.form.get("consent") or ""
    if choice.startswith("user:"):
        return Consent(only_user=choice.removeprefix("user:"))
    return Consent(everyone=choice == EVERYONE)


@blueprint.route("/chats/new", methods=["GET", "POST"])
@login_required
@limiter.limit("20/hour", methods=["POST"])
@no_store
def upload():
    if request.method == "GET":
        return render_template("chat_upload.html")
    raw = uploaded_file_bytes()
    try:
        chats = consented(parse_chat_file(raw), consent_from_form())
    except ConsentRequired as question:  # asked before anything is scrubbed or stored
        return render_template("chat_upload.html", consent=question), 400
    chats = scrub_chats(chats, current_user.share_key)  # before the write: it may take a while
    with unit_of_work(db.session):
        token = drafts.save(db.session, current_user.id, chats, utcnow())
    return redirect(url_for("chats.draft", token=token))


@blueprint.get("/chats/drafts/<token>")
@login_required
@no_store
def draft(token: str):
    saved, chats = _draft(token)
    return render_template(
        "chat_preview.html",
        token=token,
        chats=drafts.preview(db.session, current_user.id, chats),
        choices=drafts.choices(saved),
        communities=all_communities(),
        licences=sharing.LICENCES,
    )


@blueprint.post("/chats/drafts/<token>/publish")
@login_required
@no_store
def publish(token: str):
    prepared = sharing.prepare_draft(
        draft_chats(token), options_from_form(), manual_spans_from_form()
    )
    with unit_of_work(db.session):
        result = sharing.publish(db.session, current_user.id, prepared, draft_token=token)
    realtime.publish(result.events)
    flash(publish_summary(result), "success")
    return redirect(url_for("chats.mine"))


def publish_summary(result: sharing.SharingResult) -> str:
    published = result.published
    updated = sum(chat.updated for chat in published)
    pairs = sum(chat.pairs for chat in published)
    skipped = len(result.chats) - len(published)
    parts = [
        _(
            "Published %(new)s new chat(s) and updated %(updated)s shared before, with"
            " %(pairs)s new blind pair(s).",
            new=len(published) - updated,
            updated=updated,
            pairs=pairs,
        )
        if updated
        else _(
            "Published %(new)s new chat(s) with %(pairs)s new blind pair(s).",
            new=len(published),
            pairs=pairs,
        )
    ]
    if skipped:
        parts.append(ngettext("%(num)s had nothing new.", "%(num)s had nothing new.", skipped))
    return " ".join([*parts, _("Thank you!")])


@blueprint.post("/chats/<int(max=2147483647):chat_id>/withdraw")
@login_required
def withdraw(chat_id: int):
    """Deletes the text for good, so only with the box of the confirmation form ticked."""
    if request.form.get("understood") != "yes":
        chats = sharing.contributions(db.session, current_user.id)
        return render_template("chats.html", chats=chats, confirming=chat_id), 400
    with unit_of_work(db.session):
        sharing.withdraw(db.session, current_user.id, chat_id)
    flash(_("Withdrawn: its pairs left the arena and its text was deleted."), "success")
    return redirect(url_for("chats.mine"))


@blueprint.get("/chats/export.json")
@login_required
@no_store
def export():
    body = json.dumps(sharing.export_contributions(db.session, current_user.id), indent=1)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=crowd-arena-my-chats.json"},
    )


@blueprint.get("/feedback")
def feedback():
    community = community_from_args()
    stats = feedback_stats(db.session, community.slug if community else None)
    return render_template(
        "feedback.html", stats=stats, community=community, communities=all_communities()
    )

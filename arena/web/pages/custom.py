"""Ask your own: two anonymous models answer live, streamed to the asker over Socket.IO."""

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from arena import realtime
from arena.core.db import unit_of_work
from arena.core.events import CustomChunk, CustomFailed, CustomReady
from arena.custom import battles as custom_battles
from arena.custom.backends import BackendError
from arena.extensions import db, limiter, socketio
from arena.voting import battles as voting
from arena.web.contests import library_prompt_id, live_pairing, run_contest, start_contest
from arena.web.context import all_communities, catalogue, moderation
from arena.web.pages.arena import rendered_battle

blueprint = Blueprint("custom", __name__)


@blueprint.app_context_processor
def ask_form_helpers() -> dict:
    """For the ask form: `live_pairing()`, per community, how many models answer live and the
    note to show when the pair cannot be blind. Called only by templates that show the form."""
    return {"live_pairing": live_pairing}


def _stream_to_asker(app, contest: custom_battles.Contest, ready_url: str) -> None:
    """Background task: chunks, then ready or failed, to the asker's sockets only."""
    user, token = contest.voter_id, contest.token

    def chunk(side, text):
        realtime.publish([CustomChunk(user_id=user, token=token, side=side, text=text)])

    def send(event_type, **payload):
        realtime.publish([event_type(user_id=user, token=token, **payload)])

    with app.app_context():
        try:
            run_contest(contest, chunk)
            send(CustomReady, url=ready_url)
        except BackendError as error:
            send(CustomFailed, message=error.message)
        except Exception:
            app.logger.exception("Custom battle %s failed", token)
            send(CustomFailed, message="Something went wrong; nothing was saved.")
        finally:
            db.session.remove()


def _launch(contest) -> tuple:
    app = current_app._get_current_object()
    ready_url = url_for("custom.battle", token=contest.token)
    socketio.start_background_task(_stream_to_asker, app, contest, ready_url)
    return jsonify(token=contest.token), 202


@blueprint.post("/arena/custom")
@login_required
@limiter.limit("20/minute")
def ask():
    form = request.form
    contest = start_contest(
        current_user.id,
        form.get("prompt"),
        form.get("community") or None,
        library_prompt_id(form.get("library")),
    )
    return _launch(contest)


@blueprint.post("/arena/battles/<token>/continue")
@login_required
@limiter.limit("20/minute")
def follow_up(token: str):
    with unit_of_work(db.session):
        contest = custom_battles.continue_contest(
            db.session,
            catalogue(),
            moderation(),
            voter_id=current_user.id,
            token=token,
            follow_up=request.form.get("prompt"),
        )
    return _launch(contest)


@blueprint.get("/arena/battles/<token>")
@login_required
def battle(token: str):
    """An open battle of one's own (custom battles land here once both answers are in)."""
    found = voting.battle_for_voter(db.session, token, current_user.id)
    if found.status == "voted":
        return redirect(url_for("arena.result", token=token))
    if found.status != "open":
        abort(409, "Both models are still answering.")
    return render_template(
        "arena.html",
        battle=rendered_battle(found),
        communities=all_communities(),
        community_slug=found.community.slug,
        custom=found.prompt.origin == "custom",
    )

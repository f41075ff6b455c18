"""Ask your own: two anonymous models answer live over Socket.IO (pages) or SSE (API)."""

import json
import queue
import threading

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from arena import custom_battles, realtime, voting
from arena.backends import BackendError
from arena.extensions import db, limiter, socketio
from arena.models import Battle
from arena.web.arena_pages import rendered_battle
from arena.web.pages import all_communities

blueprint = Blueprint("custom", __name__)


def catalogue():
    return custom_battles.load_backends(current_app.config["BACKENDS_FILE"])


def moderation():
    return custom_battles.load_moderation(current_app.config["MODERATION_FILE"])


def library_prompt_id(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def start_contest(user_id: int, prompt, community, library=None) -> custom_battles.Contest:
    return custom_battles.start(
        db.session,
        catalogue(),
        moderation(),
        voter_id=user_id,
        community_slug=community,
        prompt=prompt,
        library_prompt_id=library_prompt_id(library),
    )


def run_contest(contest: custom_battles.Contest, on_chunk, seed=None) -> Battle:
    """Generate both answers and record the battle; on failure record nothing (or reopen)."""
    try:
        custom_battles.generate(contest, on_chunk, seed=seed)
        return custom_battles.record(db.session, contest)
    except Exception:
        db.session.rollback()
        custom_battles.release(db.session, contest)  # a follow-up's battle is votable again
        raise


def _stream_to_asker(app, contest: custom_battles.Contest, ready_url: str) -> None:
    """Background task: chunks, then ready or failed, to the asker's sockets only."""
    user, token = contest.voter_id, contest.token

    def chunk(side, text):
        realtime.publish(
            [("custom_chunk", {"user_id": user, "token": token, "side": side, "text": text})]
        )

    def send(name, **payload):
        realtime.publish([(name, {"user_id": user, "token": token, **payload})])

    with app.app_context():
        try:
            run_contest(contest, chunk)
            send("custom_ready", url=ready_url)
        except BackendError as error:
            send("custom_failed", message=error.message)
        except Exception:
            app.logger.exception("Custom battle %s failed", token)
            send("custom_failed", message="Something went wrong; nothing was saved.")
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
        current_user.id, form.get("prompt"), form.get("community") or None, form.get("library")
    )
    return _launch(contest)


@blueprint.post("/arena/battles/<token>/continue")
@login_required
@limiter.limit("20/minute")
def follow_up(token: str):
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


# -- JSON API ----------------------------------------------------------------------------------


def api_custom_battle(user_id: int, body: dict):
    """POST /api/v1/battles with a prompt: the whole battle once both answers are complete,
    or server-sent events with "stream": true."""
    contest = start_contest(
        user_id, body.get("prompt"), body.get("community"), body.get("library_prompt")
    )
    if body.get("stream"):
        return _server_sent_events(contest)
    battle_row = run_contest(contest, lambda side, text: None)
    return jsonify(voting.battle_view(battle_row)), 201


def _server_sent_events(contest) -> Response:
    app = current_app._get_current_object()
    events: queue.Queue = queue.Queue()

    def work():
        with app.app_context():
            try:
                battle_row = run_contest(
                    contest, lambda side, text: events.put(("chunk", {"side": side, "text": text}))
                )
                events.put(("battle", voting.battle_view(battle_row)))
            except BackendError as error:
                events.put(("error", {"message": error.message}))
            except Exception:
                app.logger.exception("Custom battle %s failed", contest.token)
                events.put(("error", {"message": "Something went wrong; nothing was saved."}))
            finally:
                db.session.remove()
                events.put(None)

    threading.Thread(target=work, daemon=True).start()

    def body():
        yield f"event: started\ndata: {json.dumps({'token': contest.token})}\n\n"
        while (item := events.get()) is not None:
            name, payload = item
            yield f"event: {name}\ndata: {json.dumps(payload)}\n\n"

    return Response(body(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})

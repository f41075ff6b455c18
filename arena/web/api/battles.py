"""POST /battles (queued, or your own prompt answered live), POST /battles/<token>/vote and
POST /battles/<token>/skip."""

import json
import queue
import threading
from typing import Any, Literal

from flask import Response, current_app, jsonify
from pydantic import BaseModel, Field

from arena import realtime
from arena.core.db import unit_of_work
from arena.core.sql import MAX_ID
from arena.custom.backends import BackendError
from arena.extensions import db
from arena.models import CHOICES
from arena.voting import battles as voting
from arena.web import integrity_job
from arena.web.api.queries import MAX_SLUG, Shape
from arena.web.api.spec import Reply, api_route
from arena.web.contests import run_contest, start_contest

MAX_PROMPT = 100_000  # far above the moderation limit, which answers with its own sentence
FAILED = "Something went wrong; nothing was saved."


class BattleRequest(BaseModel):
    community: str | None = Field(
        None, max_length=MAX_SLUG, description="A community slug; absent means general."
    )
    prompt: str | None = Field(
        None,
        max_length=MAX_PROMPT,
        description="Your own prompt, answered live by two models. Absent: a queued battle.",
    )
    stream: bool = Field(False, description="With a prompt: answer as server-sent events.")
    library_prompt: int | None = Field(
        None, ge=1, le=MAX_ID, description="With a prompt: the library prompt it comes from."
    )


class Sides(Shape):
    a: str
    b: str


class SideContexts(Shape):
    a: list[dict[str, Any]] | None
    b: list[dict[str, Any]] | None


class BattleView(Shape):
    """Everything a voter may see before voting: no model name, id or order hint."""

    token: str
    community: str
    prompt: str
    context: list[dict[str, Any]]
    responses: Sides
    contexts: SideContexts | None = Field(
        None, description="Multi-turn custom battles only: each side's earlier turns."
    )


BATTLE_EVENTS = (
    "Server-sent events: `started` {token}, then `chunk` {side, text} while the models answer,"
    " then `battle` (the battle, as in the 201 answer) or `error` {message}."
)


@api_route(
    "POST",
    "/battles",
    summary="A blind battle: two answers to one prompt, models hidden",
    tag="battles",
    auth=True,
    limit="60/minute",
    body=BattleRequest,
    replies=(
        Reply(201, "The battle, ready to vote on", BattleView),
        Reply(200, BATTLE_EVENTS, media_type="text/event-stream"),
        Reply(404, "Unknown community or library prompt, or nothing left to serve"),
        Reply(502, "A model backend failed; nothing was saved"),
    ),
)
def create_battle(user, body: BattleRequest):
    if "prompt" in body.model_fields_set:
        return _custom_battle(user.id, body)
    with unit_of_work(db.session):
        battle = voting.serve_battle(db.session, user.id, body.community)
    return jsonify(voting.battle_view(battle)), 201


def _custom_battle(user_id: int, body: BattleRequest):
    """The whole battle once both answers are complete, or server-sent events while they come."""
    contest = start_contest(user_id, body.prompt, body.community, body.library_prompt)
    if body.stream:
        return _server_sent_events(contest)
    battle = run_contest(contest, lambda side, text: None)
    return jsonify(voting.battle_view(battle)), 201


def _server_sent_events(contest) -> Response:
    app = current_app._get_current_object()
    events: queue.Queue = queue.Queue()

    def chunk(side: str, text: str) -> None:
        events.put(("chunk", {"side": side, "text": text}))

    def work():
        with app.app_context():
            try:
                events.put(("battle", voting.battle_view(run_contest(contest, chunk))))
            except BackendError as error:
                events.put(("error", {"message": error.message}))
            except Exception:
                app.logger.exception("Custom battle %s failed", contest.token)
                events.put(("error", {"message": FAILED}))
            finally:
                db.session.remove()
                events.put(None)

    threading.Thread(target=work, daemon=True).start()

    def stream():
        yield f"event: started\ndata: {json.dumps({'token': contest.token})}\n\n"
        while (item := events.get()) is not None:
            name, payload = item
            yield f"event: {name}\ndata: {json.dumps(payload)}\n\n"

    return Response(stream(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})


class VoteRequest(BaseModel):
    choice: Literal[CHOICES] = Field(description="a, b, tie or both_bad")


class VoteResult(Shape):
    token: str
    choice: Literal[CHOICES]
    community: str
    models: Sides = Field(description="The models revealed, by side")


@api_route(
    "POST",
    "/battles/<token>/vote",
    summary="Vote on your battle; the models are revealed",
    tag="battles",
    auth=True,
    limit="120/minute",
    body=VoteRequest,
    replies=(
        Reply(200, "The vote and the models revealed", VoteResult),
        Reply(404, "No such battle (or someone else's)"),
        Reply(409, "Already voted, withdrawn, or still answering"),
        Reply(429, "Past your daily vote cap or the rate limit; nothing was recorded"),
    ),
)
def vote(user, token: str, body: VoteRequest):
    with unit_of_work(db.session):
        outcome = voting.cast_vote(db.session, user.id, token, body.choice)
    realtime.publish(outcome.events)
    integrity_job.nudge()
    return jsonify(
        token=outcome.token,
        choice=outcome.choice,
        community=outcome.community,
        models=outcome.models,
    )


class SkipResult(Shape):
    token: str
    status: Literal["skipped"]
    community: str


@api_route(
    "POST",
    "/battles/<token>/skip",
    summary="Set your open battle aside unvoted (recorded as skipped, no points)",
    tag="battles",
    auth=True,
    limit="120/minute",
    replies=(
        Reply(200, "The battle is recorded as skipped", SkipResult),
        Reply(404, "No such battle (or someone else's)"),
        Reply(409, "Not open: already voted or skipped"),
        Reply(429, "Past the rate limit"),
    ),
)
def skip(user, token: str):
    with unit_of_work(db.session):
        community = voting.skip_battle(db.session, user.id, token)
    integrity_job.nudge()
    return jsonify(token=token, status="skipped", community=community)

"""JSON API v1. Bearer tokens or the browser session (with an X-CSRFToken header)."""

import json

from flask import Blueprint, abort, g, jsonify, request
from flask_login import current_user

from arena import accounts, people, realtime, sharing, voting
from arena.errors import InvalidInput
from arena.extensions import csrf, db, limiter
from arena.feedback_stats import feedback_stats
from arena.leaderboard import model_leaderboard
from arena.models import utcnow
from arena.rules import default_rules
from arena.web import chats, custom
from arena.web.pages import community_slug_from_args

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@blueprint.before_request
def _authenticate():
    g.api_user = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.api_user = accounts.user_for_token(db.session, header.removeprefix("Bearer ").strip())
        if g.api_user is None:
            abort(401, "The API token is invalid or revoked.")
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_user = current_user


def _require_user():
    if g.api_user is None:
        abort(401, "Log in or send 'Authorization: Bearer <token>' to do this.")
    return g.api_user


def _json_body() -> dict:
    if not request.data:
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.")
    return body


def _rate_key() -> str:
    user = g.get("api_user")
    return f"user:{user.id}" if user else request.remote_addr or "anonymous"


@blueprint.get("/leaderboard")
def leaderboard():
    slug = community_slug_from_args()
    return jsonify(model_leaderboard(db.session, slug))


@blueprint.post("/battles")
@limiter.limit("60/minute", key_func=_rate_key)
def create_battle():
    user = _require_user()
    body = _json_body()
    community = body.get("community")
    if community is not None and not isinstance(community, str):
        raise InvalidInput("community must be a community slug (a string).")
    if "prompt" in body:
        return custom.api_custom_battle(user.id, body)
    battle = voting.serve_battle(db.session, user.id, community)
    view = voting.battle_view(battle)
    return jsonify(view), 201


@blueprint.post("/battles/<token>/vote")
@limiter.limit("120/minute", key_func=_rate_key)
def vote(token: str):
    user = _require_user()
    choice = _json_body().get("choice")
    if choice is None:
        raise InvalidInput("Send a JSON body with a 'choice': a, b, tie or both_bad.")
    if not isinstance(choice, str):
        raise InvalidInput("choice must be one of a, b, tie, both_bad.")
    outcome = voting.cast_vote(db.session, user.id, token, choice)
    realtime.publish(outcome.events)
    return jsonify(
        token=outcome.token,
        choice=outcome.choice,
        community=outcome.community,
        models=outcome.models,
    )


@blueprint.get("/me")
def me():
    user = _require_user()
    return jsonify(people.me(db.session, user, default_rules(), utcnow()))


@blueprint.get("/people")
def people_board():
    board = request.args.get("board", "contributors")
    period = request.args.get("period", "all")
    slug = community_slug_from_args()
    rows = people.people_board(db.session, board, period, slug, utcnow())
    return jsonify(board=board, period=period, community=slug, people=rows)


def _chat_upload() -> tuple[bytes, sharing.SharingOptions]:
    """A multipart upload (file + fields) or a JSON body {"community", "licence", "chats", ...}."""
    if request.files:
        return chats.uploaded_file_bytes(), chats.options_from_form()
    body = _json_body()
    if "chats" not in body:
        raise InvalidInput(
            "Send the export under 'chats' in a JSON body, or upload it as a file field."
        )
    options = sharing.SharingOptions(
        community=body.get("community") or "",
        licence=body.get("licence") or "",
        tags=body.get("tags") or [],
        notes=body.get("notes") or "",
    )
    return json.dumps(body["chats"]).encode(), options


@blueprint.post("/chats")
@limiter.limit("30/hour", key_func=_rate_key)
def share_chats():
    user = _require_user()
    raw, options = _chat_upload()
    result = sharing.publish(db.session, user.id, raw, options)
    realtime.publish(result.events)
    status = 201 if result.published else 200
    return jsonify(
        chats=[
            {
                "id": c.chat_id,
                "title": c.title,
                "duplicate": c.duplicate,
                "pairs": c.pairs,
                "redactions": c.redactions,
            }
            for c in result.chats
        ],
        redactions=result.redactions(),
    ), status


@blueprint.get("/chats")
def my_chats():
    user = _require_user()
    return jsonify(sharing.export_contributions(db.session, user.id))


@blueprint.get("/feedback-stats")
def feedback_statistics():
    slug = community_slug_from_args()
    return jsonify(feedback_stats(db.session, slug))

"""POST /battles/<token>/flag (an answer or the prompt, for the community's moderators) and
POST /battles/<token>/answer (the community's question about the answer you chose)."""

from typing import Literal

from flask import jsonify
from pydantic import BaseModel, Field

from arena.auditing import flags, questions
from arena.auditing.settings import load_settings
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.game.rules import default_rules
from arena.models import utcnow
from arena.web.api.queries import Shape
from arena.web.api.spec import Reply, api_route

REASON_LABELS = load_settings().flag_reasons
REASONS = tuple(REASON_LABELS)


class FlagRequest(BaseModel):
    side: Literal[flags.SIDES] = Field(description="a or b (an answer), or prompt")
    reason: Literal[REASONS] = Field(
        description="; ".join(f"{code}: {label}" for code, label in REASON_LABELS.items())
    )
    note: str = Field(
        "",
        max_length=flags.MAX_NOTE,
        description="Optional, for the moderators; personal data in it is scrubbed.",
    )


class FlagFiled(Shape):
    """The flag as filed. It names no model: a battle may be flagged before its vote."""

    id: int
    status: Literal["open"]
    side: Literal[flags.SIDES]
    reason: Literal[REASONS]


@api_route(
    "POST",
    "/battles/<token>/flag",
    summary="Flag an answer or the prompt of your battle for the community's moderators",
    tag="battles",
    auth=True,
    limit="30/minute",
    body=FlagRequest,
    replies=(
        Reply(201, "The flag, waiting for a moderator; the battle can still be voted", FlagFiled),
        Reply(403, "You do not hold the flag_content privilege yet (the answer says when)"),
        Reply(404, "No such battle (or someone else's)"),
        Reply(409, "You flagged this answer or prompt already"),
        Reply(429, "Past the rate limit"),
    ),
)
def flag_battle(user, token: str, body: FlagRequest):
    with unit_of_work(db.session):
        flag = flags.file_flag(
            db.session,
            user,
            token,
            side=body.side,
            reason=body.reason,
            note=body.note,
            rules=default_rules(),
            now=utcnow(),
        )
        filed = {"id": flag.id, "status": flag.status, "side": flag.side, "reason": flag.reason}
    return jsonify(filed), 201


class QuestionRequest(BaseModel):
    yes: bool = Field(strict=True, description="true for yes, false for no")


class QuestionAnswered(Shape):
    token: str
    question: str
    yes: bool
    model: str = Field(description="The model of the answer you chose (revealed by your vote)")


@api_route(
    "POST",
    "/battles/<token>/answer",
    summary="Answer the community's question about the answer you chose in your vote",
    tag="battles",
    auth=True,
    limit="120/minute",
    body=QuestionRequest,
    replies=(
        Reply(201, "Your answer is stored", QuestionAnswered),
        Reply(404, "No such battle (or someone else's)"),
        Reply(
            409,
            "Not voted yet, a tie or both bad, the community asks no question, or answered already",
        ),
        Reply(429, "Past the rate limit"),
    ),
)
def answer_community_question(user, token: str, body: QuestionRequest):
    with unit_of_work(db.session):
        answered = questions.answer(db.session, user.id, token, body.yes, utcnow())
    return jsonify(
        token=answered.token, question=answered.question, yes=answered.yes, model=answered.model
    ), 201

"""Public pages: home and the model leaderboard."""

from flask import Blueprint, render_template
from sqlalchemy import func, select

from arena.extensions import db
from arena.models import LanguageModel, Prompt, Vote
from arena.voting.leaderboard import model_leaderboard, with_ranks
from arena.web.context import all_communities, community_from_args

blueprint = Blueprint("pages", __name__)



@blueprint.get("/")
def index():
    counts = {
        "models": db.session.scalar(select(func.count(LanguageModel.id))),
        "prompts": db.session.scalar(select(func.count(Prompt.id))),
        "votes": db.session.scalar(select(func.count(Vote.id))),
    }
    return render_template("index.html", counts=counts, communities=all_communities())


@blueprint.get("/leaderboard")
def leaderboard():
    community = community_from_args()
    board = model_leaderboard(db.session, community.slug if community else None)
    return render_template(
        "leaderboard.html",
        rows=with_ranks(board["models"]),
        slugs=dict(
            db.session.execute(select(LanguageModel.name, LanguageModel.slug)).tuples().all()
        ),
        community=community,
        communities=all_communities(),
    )

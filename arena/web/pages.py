"""Public pages: home and the model leaderboard."""

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from arena.extensions import db
from arena.leaderboard import model_leaderboard, with_ranks
from arena.models import Community, LanguageModel, Prompt, Vote
from arena.voting import find_community

blueprint = Blueprint("pages", __name__)


def community_from_args() -> Community | None:
    """The community named by ?community= (404 if unknown); None means overall."""
    slug = request.args.get("community") or None
    return find_community(db.session, slug) if slug else None


def community_slug_from_args() -> str | None:
    community = community_from_args()
    return community.slug if community else None


def all_communities() -> list[Community]:
    return list(db.session.scalars(select(Community).order_by(Community.id)))


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

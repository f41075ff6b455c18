"""Public pages: home and the model leaderboard (the published Bradley–Terry board)."""

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import func, select

from arena.extensions import db
from arena.models import LanguageModel, Prompt, Vote
from arena.voting import boards
from arena.voting.selection import SOURCES
from arena.web.context import all_communities, community_from_args, published

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
    slug = community.slug if community else None
    source = request.args.get("source", "all")
    style = request.args.get("style") == "length"
    # trust, exposure, attribution: absent means what the community publishes
    provenance = {name: request.args.get(name) for name in ("trust", "exposure", "attribution")}
    board = published(slug, source=source, style=style, **provenance)
    rows = boards.bt_leaderboard(board, min_votes=current_app.config["BOARD_MIN_VOTES"])["models"]
    return render_template(
        "leaderboard.html",
        rows=[row for row in rows if not row["preliminary"]],
        preliminary=[row for row in rows if row["preliminary"]],
        rates=published(slug, source=source, view="matrix", **provenance),
        # Scores over time refit the log at several moments: never make the page wait for it.
        history=published(slug, source=source, view="history", wait=False, **provenance)
        or {"moments": [], "scores": {}},
        position=boards.position_bias(db.session, slug),
        slugs=dict(
            db.session.execute(select(LanguageModel.name, LanguageModel.slug)).tuples().all()
        ),
        style=style,
        source=source,
        sources=SOURCES,
        provenance={name: value for name, value in provenance.items() if value},
        community=community,
        communities=all_communities(),
        min_votes=current_app.config["BOARD_MIN_VOTES"],
    )

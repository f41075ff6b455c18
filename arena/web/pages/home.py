"""Public pages: home and the model leaderboard (the published Bradley–Terry board)."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from arena.extensions import db
from arena.models import Community, LanguageModel, Prompt, Vote, utcnow
from arena.voting import boards, languages, voter_cap
from arena.voting.selection import LIVE_ORIGIN, SOURCES
from arena.web.context import all_communities, community_from_args, published

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def index():
    counts = {
        "models": db.session.scalar(select(func.count(LanguageModel.id))),
        "prompts": db.session.scalar(select(func.count(Prompt.id))),
        "votes": db.session.scalar(select(func.count(Vote.id))),
    }
    return render_template(
        "index.html",
        counts=counts,
        communities=all_communities(),
        activity=recent_votes(utcnow()),
        top_models=top_models(),
        slugs=model_slugs(),
    )


RECENT_VOTES = 8  # the live feed keeps as many (static/js/realtime.js)
TOP_MODELS = 5


def recent_votes(now: datetime) -> list[str]:
    """The last votes cast here, anonymous: only the community and when, never who or which
    models (imported votes are history, not activity)."""
    rows = db.session.execute(
        select(Community.name, Vote.created_at)
        .join(Community, Community.id == Vote.community_id)
        .where(Vote.origin == LIVE_ORIGIN)
        .order_by(Vote.id.desc())
        .limit(RECENT_VOTES)
    ).tuples()
    return [
        _("Someone voted in %(community)s · %(when)s", community=name, when=time_ago(when, now))
        for name, when in rows
    ]


def time_ago(when: datetime, now: datetime) -> str:
    if when.tzinfo is None:  # SQLite hands back naive UTC times
        when = when.replace(tzinfo=UTC)
    minutes = int((now - when).total_seconds() // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return _("%(count)s min ago", count=minutes)
    if minutes < 48 * 60:
        return _("%(count)s h ago", count=minutes // 60)
    return ngettext("%(num)s day ago", "%(num)s days ago", minutes // (24 * 60))


def top_models() -> list[dict]:
    """The first ranked rows of the overall board the leaderboard page shows."""
    rows = boards.bt_leaderboard(published(None), min_votes=current_app.config["BOARD_MIN_VOTES"])
    return [row for row in rows["models"] if not row["preliminary"]][:TOP_MODELS]


def model_slugs() -> dict[str, str]:
    return dict(db.session.execute(select(LanguageModel.name, LanguageModel.slug)).tuples().all())


@blueprint.get("/leaderboard")
def leaderboard():
    community = community_from_args()
    slug = community.slug if community else None
    source = request.args.get("source", "all")
    style = request.args.get("style") == "length"
    # trust, exposure, attribution: absent means what the community publishes
    provenance = {name: request.args.get(name) for name in ("trust", "exposure", "attribution")}
    narrowed = board_narrowing()
    filters = {**provenance, **narrowed}
    board = published(slug, source=source, style=style, **filters)
    rows = boards.bt_leaderboard(board, min_votes=current_app.config["BOARD_MIN_VOTES"])["models"]
    return render_template(
        "leaderboard.html",
        rows=[row for row in rows if not row["preliminary"]],
        preliminary=[row for row in rows if row["preliminary"]],
        rates=published(slug, source=source, view="matrix", **filters),
        # Scores over time refit the log at several moments: never make the page wait for it.
        history=published(slug, source=source, view="history", wait=False, **filters)
        or {"moments": [], "scores": {}},
        language=narrowed["language"],
        languages=[
            (code, languages.label(code), votes)
            for code, votes in languages.vote_languages(db.session, slug)
        ],
        voter_cap=bool(narrowed["voter_cap"]),
        voter_cap_votes=f"{voter_cap.limit_for(slug):g}",
        position=boards.position_bias(db.session, slug),
        slugs=model_slugs(),
        style=style,
        source=source,
        sources=SOURCES,
        provenance={name: value for name, value in provenance.items() if value},
        community=community,
        communities=all_communities(),
        min_votes=current_app.config["BOARD_MIN_VOTES"],
    )


def board_narrowing() -> dict:
    """?language= (a code; 400 when malformed) and ?voter_cap=on, as board filters."""
    return {
        "language": languages.check_language(request.args.get("language")),
        "voter_cap": True if request.args.get("voter_cap") == "on" else None,
    }

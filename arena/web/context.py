"""What views read from the request and the app: the community asked for, the backend catalogue."""

from datetime import timedelta

from flask import current_app, request
from flask_login import current_user
from sqlalchemy.orm import Session

from arena.core import communities
from arena.custom import battles as custom_battles
from arena.extensions import db
from arena.models import Community
from arena.voting import trust
from arena.voting.boards import BoardCache
from arena.voting.selection import BoardKey


def community_from_args() -> Community | None:
    """The community named by ?community= (404 if unknown); None means overall."""
    slug = request.args.get("community") or None
    return communities.find_community(db.session, slug) if slug else None


def community_slug_from_args() -> str | None:
    community = community_from_args()
    return community.slug if community else None


def all_communities() -> list[Community]:
    return communities.all_communities(db.session)


def battle_expiry() -> timedelta:
    return timedelta(minutes=current_app.config["BATTLE_EXPIRY_MINUTES"])


def catalogue():
    return custom_battles.load_backends(current_app.config["BACKENDS_FILE"])


def moderation():
    return custom_battles.load_moderation(current_app.config["MODERATION_FILE"])


def published(
    community: str | None,
    *,
    source="all",
    style=False,
    view="board",
    wait=True,
    **provenance: str | None,
):
    """A cached board (or its history or win-rate matrix) of this app, refitted after votes.

    `trust`, `exposure` and `attribution` default to what the community publishes
    (seeds/integrity.json)."""
    config = current_app.config
    filters = trust.default_policy().published_filters(community)
    filters.update({name: value for name, value in provenance.items() if value is not None})
    key = BoardKey(
        community=community,
        source=source,
        rounds=config["BOARD_ROUNDS"],
        seed=config["BOARD_SEED"],
        style=style,
        view=view,
        **filters,
    )
    cache = current_app.extensions.get("arena_boards")
    if cache is None:
        cache = BoardCache(inline_seconds=config["BOARD_INLINE_SECONDS"])
        cache = current_app.extensions.setdefault("arena_boards", cache)
    engine = db.engine
    return cache.get(db.session, key, lambda: Session(engine), wait=wait)


def account_key() -> str:
    """Rate limits per account for signed-in people (a shared address is not one person)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return request.remote_addr or "anonymous"

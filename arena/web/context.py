"""What views read from the request and the app: the community asked for, the backend catalogue."""

from datetime import timedelta

from flask import current_app, request

from arena.core import communities
from arena.custom import battles as custom_battles
from arena.extensions import db
from arena.models import Community


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

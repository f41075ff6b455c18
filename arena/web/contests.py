"""Starting and running a custom battle, shared by the pages (Socket.IO) and the API (SSE)."""

from flask_babel import gettext

from arena.core.db import unit_of_work
from arena.core.errors import InvalidInput
from arena.core.sql import MAX_ID
from arena.custom import battles as custom_battles
from arena.custom import pairs as custom_pairs
from arena.custom.backends import CatalogueError
from arena.extensions import db
from arena.models import Battle
from arena.web.context import all_communities, catalogue, moderation


def library_prompt_id(value) -> int | None:
    """A form's library prompt id; anything else means none."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    if number is not None and not 1 <= number <= MAX_ID:
        raise InvalidInput("library must be a library prompt number (1 to 2,147,483,647).")
    return number


def start_contest(
    user_id: int, prompt, community, library: int | None = None
) -> custom_battles.Contest:
    with unit_of_work(db.session):
        return custom_battles.start(
            db.session,
            catalogue(),
            moderation(),
            voter_id=user_id,
            community_slug=community,
            prompt=prompt,
            library_prompt_id=library,
        )


def run_contest(contest: custom_battles.Contest, on_chunk, seed=None) -> Battle:
    """Generate both answers and record the battle; on failure record nothing (or reopen)."""
    try:
        custom_battles.generate(contest, on_chunk, seed=seed)
        with unit_of_work(db.session):
            return custom_battles.record(db.session, contest)
    except Exception:
        with unit_of_work(db.session):
            custom_battles.release(db.session, contest)  # a follow-up's battle is votable again
        raise


def live_pairing() -> dict[str, dict]:
    """Per community slug: how many contestants can answer live and, when a pair drawn from
    them cannot be blind (fewer than three), the note the ask form shows."""
    slugs = [community.slug for community in all_communities()]
    try:
        counts = custom_pairs.live_contestants(db.session, catalogue(), slugs)
    except CatalogueError:
        counts = {}
    live = {slug: counts.get(slug, 0) for slug in slugs}
    return {
        slug: {"count": count, "note": _note(custom_pairs.blindness_note(count))}
        for slug, count in live.items()
    }


def _note(note: str | None) -> str | None:
    return gettext(note) if note else None

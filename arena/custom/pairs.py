"""Which two contestants answer a custom prompt, and when that pair cannot be blind.

The pair is drawn uniformly among all pairs of the community's live contestants, sides in
random order. Not least-served first (the rule of queued battles): a rule that follows counts an
asker can watch would let them predict the pair. Each contestant is still drawn equally often on
average, 2 asks in n. With exactly two live contestants the pair is always the same one, so the
ask form says that such a battle is not blind; with fewer than two there is no custom battle.
"""

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.i18n import N_
from arena.custom import backends
from arena.custom.backends import Catalogue, ModelConfig
from arena.models import LanguageModel

# Fewer live contestants than this and a community's custom pair is always the same one.
MIN_BLIND_CONTESTANTS = 3


def inactive_slugs(session: Session) -> set[str]:
    """Models an admin took out of the arena."""
    return set(
        session.scalars(select(LanguageModel.slug).where(LanguageModel.is_active.is_(False)))
    )


def draw_pair(candidates: list[ModelConfig], rng: random.Random) -> list[ModelConfig]:
    """Two contestants, drawn uniformly among all pairs of the candidates, in random order.

    Uniform, not least-served first: a rule that follows public counts would let an asker
    predict the pair. Each contestant is still drawn equally often on average (2 in n asks).
    With exactly two candidates the pair is always the same (see `blindness_note`).
    """
    return rng.sample(list(candidates), 2)


def blindness_note(live_contestants: int) -> str | None:
    """What the ask form says when a community's live pairs cannot be blind, else None."""
    if live_contestants >= MIN_BLIND_CONTESTANTS:
        return None
    if live_contestants == 2:
        return N_(
            "Only two models can answer live in this community, so every custom battle here "
            "is the same pair: once you have seen one reveal, the pair is not blind (only which "
            "side is which stays hidden)."
        )
    return N_("Fewer than two models can answer live in this community right now.")


def live_contestants(
    session: Session, catalogue: Catalogue, communities: list[str]
) -> dict[str, int]:
    """How many contestants can answer live in each of these communities (by slug)."""
    inactive = inactive_slugs(session)
    live = [m for m in backends.available_models(catalogue) if m.slug not in inactive]
    return {slug: sum(backends.serves(model, slug) for model in live) for slug in communities}

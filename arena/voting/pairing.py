"""Which two answers a voter sees next: fair exposure per model, no repeats while unseen remain."""

import random
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from arena.core.sql import insert_ignoring_conflicts
from arena.models import Battle, Exposure, LanguageModel, Prompt, Response
from arena.models.chats import SharedChat

# Prompts are checked in growing chunks: the first few nearly always hold an unseen pair,
# and a voter who has seen most of a model's prompts still costs few queries.
FIRST_CHUNK = 8
CHUNK_GROWTH = 4


@dataclass(frozen=True)
class Pair:
    prompt_id: int
    response_ids: tuple[int, int]
    model_ids: tuple[int, int]


def community_model_ids(session: Session, community_id: int) -> list[int]:
    """Active models with at least one answer in the community."""
    return list(
        session.scalars(
            select(Response.model_id)
            .join(Prompt, Prompt.id == Response.prompt_id)
            .join(LanguageModel, LanguageModel.id == Response.model_id)
            .where(
                Prompt.community_id == community_id,
                Prompt.is_active.is_(True),
                LanguageModel.is_active.is_(True),
            )
            .distinct()
        )
    )


def exposure_counts(session: Session, community_id: int) -> dict[int, int]:
    rows = session.execute(
        select(Exposure.model_id, Exposure.battles).where(Exposure.community_id == community_id)
    )
    return dict(rows.tuples().all())


def record_exposure(session: Session, community_id: int, model_ids: tuple[int, int]) -> None:
    insert_ignoring_conflicts(
        session,
        Exposure,
        [{"model_id": m, "community_id": community_id, "battles": 0} for m in model_ids],
        conflict_columns=["model_id", "community_id"],
    )
    session.execute(
        update(Exposure)
        .where(Exposure.community_id == community_id, Exposure.model_id.in_(model_ids))
        .values(battles=Exposure.battles + 1)
    )


@dataclass
class _Pool:
    """What one pairing decision knows: the community's active models and their exposure."""

    community_id: int
    voter_id: int
    active: set[int]
    exposure: dict[int, int]
    rng: random.Random


def choose_pair(
    session: Session, community_id: int, voter_id: int, rng: random.Random | None = None
) -> Pair | None:
    """Pick the least-served model, then its least-served opponent on a prompt the voter has
    not been served with that pairing; failing that, one they were served but never judged.
    None when the voter has judged every pair (or the community has fewer than two models)."""
    model_ids = community_model_ids(session, community_id)
    if len(model_ids) < 2:
        return None
    pool = _Pool(
        community_id,
        voter_id,
        set(model_ids),
        exposure_counts(session, community_id),
        rng or random.SystemRandom(),
    )
    by_need = sorted(model_ids, key=lambda m: (pool.exposure.get(m, 0), pool.rng.random()))
    for unvoted_only in (False, True):
        for model_id in by_need:
            pair = _pair_for_model(session, pool, model_id, unvoted_only)
            if pair:
                return pair
    return None


def _pair_for_model(session, pool: _Pool, model_id: int, unvoted_only=False) -> Pair | None:
    prompt_ids = list(
        session.scalars(
            select(Response.prompt_id)
            .join(Prompt, Prompt.id == Response.prompt_id)
            .outerjoin(SharedChat, SharedChat.id == Prompt.shared_chat_id)
            .where(
                Response.model_id == model_id,
                Prompt.community_id == pool.community_id,
                Prompt.is_active.is_(True),
                # Double blind: nobody judges pairs from a chat they shared themselves.
                or_(SharedChat.id.is_(None), SharedChat.contributor_id != pool.voter_id),
            )
        )
    )
    pool.rng.shuffle(prompt_ids)
    for chunk in _growing_chunks(prompt_ids):
        answers = _answers_by_prompt(session, chunk, pool.active)
        seen = _seen_pairs(session, pool.voter_id, chunk, voted_only=unvoted_only)
        # The least-served opponent over the whole chunk, so exposure stays even.
        candidates = [
            candidate
            for prompt_id in chunk
            for candidate in _opponents(pool, prompt_id, model_id, answers.get(prompt_id, {}), seen)
        ]
        if candidates:
            _, _, opponent, prompt_id, own, theirs = min(candidates)
            return Pair(prompt_id, (own, theirs), (model_id, opponent))
    return None


def _growing_chunks(items: list) -> list[list]:
    chunks, start, size = [], 0, FIRST_CHUNK
    while start < len(items):
        chunks.append(items[start : start + size])
        start, size = start + size, size * CHUNK_GROWTH
    return chunks


def _answers_by_prompt(session, prompt_ids, active_model_ids) -> dict[int, dict[int, int]]:
    """{prompt_id: {model_id: response_id}} for the given prompts and active models."""
    rows = session.execute(
        select(Response.prompt_id, Response.model_id, Response.id).where(
            Response.prompt_id.in_(prompt_ids)
        )
    )
    answers: dict[int, dict[int, int]] = {}
    for prompt_id, model_id, response_id in rows:
        if model_id in active_model_ids:
            answers.setdefault(prompt_id, {})[model_id] = response_id
    return answers


def _seen_pairs(session, voter_id, prompt_ids, voted_only=False) -> set[frozenset[int]]:
    """Pairs the voter was served (or, with voted_only, judged) on these prompts."""
    query = select(Battle.response_a_id, Battle.response_b_id).where(
        Battle.voter_id == voter_id, Battle.prompt_id.in_(prompt_ids)
    )
    if voted_only:
        query = query.where(Battle.status == "voted")
    rows = session.execute(query)
    return {frozenset(row) for row in rows}


def _opponents(pool: _Pool, prompt_id, model_id, answers, seen) -> list[tuple]:
    """(exposure, tie-break, opponent, prompt, own response, their response) not yet seen."""
    own_response = answers.get(model_id)
    if own_response is None:
        return []
    return [
        (pool.exposure.get(other, 0), pool.rng.random(), other, prompt_id, own_response, theirs)
        for other, theirs in answers.items()
        if other != model_id and frozenset((own_response, theirs)) not in seen
    ]

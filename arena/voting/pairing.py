"""Which two answers a voter sees next: the model pair the matchmaking rule draws from the
community's live ratings and exposure (voting/matchmaking.py), on a prompt both answered that
the voter was not served that pair on; least-served-first when the drawn pairs have nothing
left for the voter; no repeats while unseen pairs remain."""

import json
import os
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from weakref import WeakKeyDictionary

import numpy as np
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from arena.config import PROJECT_ROOT
from arena.core.db import insert_on_conflict
from arena.models import Battle, Community, Exposure, LanguageModel, Prompt, Rating, Response
from arena.models.chats import SharedChat
from arena.voting import matchmaking
from arena.voting.ratings import ENVIRONMENT

# Prompts are checked in growing chunks: the first few nearly always hold an unseen pair,
# and a voter who has seen most of a model's prompts still costs few queries.
FIRST_CHUNK = 8
CHUNK_GROWTH = 4
# Pairs drawn before falling back to least-served-first: a drawn pair has nothing to serve when
# the voter was served it on every prompt both models answered.
MAX_DRAWS = 4
# The per-community settings of the rule; ARENA_PAIRING_FILE names another file.
PAIRING_FILE = PROJECT_ROOT / "seeds" / "pairing.json"


@dataclass(frozen=True)
class Pair:
    prompt_id: int
    response_ids: tuple[int, int]
    model_ids: tuple[int, int]


# The statements of a serve are built once, with bound parameters (see voting/battles.py).
_responses, _prompts, _models = Response.__table__, Prompt.__table__, LanguageModel.__table__
_exposures, _battles, _chats = Exposure.__table__, Battle.__table__, SharedChat.__table__
_ratings, _communities = Rating.__table__, Community.__table__
_SLUG = (
    select(_communities.c.slug)
    .where(_communities.c.id == bindparam("community_id"))
    .scalar_subquery()
)

# The active models, how many battles of the community each was served in (None before the
# first), their rating in the community (None before their first vote), the community's slug,
# and the two marks that tell whether a community's catalogue is still current.
_STATE = (
    select(
        _models.c.id,
        _exposures.c.battles,
        _ratings.c.mu,
        _ratings.c.sigma,
        _ratings.c.votes,
        _SLUG.label("slug"),
        select(func.max(_responses.c.id)).scalar_subquery().label("newest_answer"),
        select(func.count())
        .where(_prompts.c.community_id == bindparam("community_id"), _prompts.c.is_active.is_(True))
        .scalar_subquery()
        .label("active_prompts"),
    )
    .outerjoin(
        _exposures,
        and_(
            _exposures.c.model_id == _models.c.id,
            _exposures.c.community_id == bindparam("community_id"),
        ),
    )
    .outerjoin(_ratings, and_(_ratings.c.model_id == _models.c.id, _ratings.c.scope == _SLUG))
    .where(_models.c.is_active.is_(True))
)
# Who answered which active prompt of the community, who shared the chat it came from, and the
# prompt's language.
_CATALOGUE = (
    select(
        _responses.c.model_id, _responses.c.prompt_id, _chats.c.contributor_id, _prompts.c.language
    )
    .join(_prompts, _prompts.c.id == _responses.c.prompt_id)
    .outerjoin(_chats, _chats.c.id == _prompts.c.shared_chat_id)
    .where(_prompts.c.community_id == bindparam("community_id"), _prompts.c.is_active.is_(True))
)
# The answers to some prompts, read fresh: only active prompts count.
_ANSWERS = (
    select(_responses.c.prompt_id, _responses.c.model_id, _responses.c.id)
    .join(_prompts, _prompts.c.id == _responses.c.prompt_id)
    .where(
        _responses.c.prompt_id.in_(bindparam("prompt_ids", expanding=True)),
        _prompts.c.is_active.is_(True),
    )
)
# The same, for the two models of a drawn pair only.
_PAIR_ANSWERS = _ANSWERS.where(_responses.c.model_id.in_(bindparam("model_ids", expanding=True)))
_SERVED = select(_battles.c.response_a_id, _battles.c.response_b_id).where(
    _battles.c.voter_id == bindparam("voter_id"),
    _battles.c.prompt_id.in_(bindparam("prompt_ids", expanding=True)),
)
_JUDGED = _SERVED.where(_battles.c.status == "voted")
# One more battle for a model: an upsert, whether its row exists yet or not.
_EXPOSE = insert_on_conflict(
    _exposures,
    ("model_id", "community_id", "battles"),
    "(model_id, community_id) DO UPDATE SET battles = exposures.battles + 1",
)


@dataclass(frozen=True)
class _Catalogue:
    """Which active prompts of a community each model answered, with the contributor of the
    chat a prompt was mined from (None for others), and each prompt's language, as of the
    marks."""

    marks: tuple
    prompts_of: dict[int, list[tuple[int, int | None]]]
    language_of: dict[int, str | None] = field(default_factory=dict)
    _in_language: dict = field(default_factory=dict, compare=False)

    def in_language(self, language: str | None) -> "_Catalogue":
        """The same catalogue with only the prompts in that language (all for None)."""
        if language is None:
            return self
        if language not in self._in_language:
            prompts_of = {
                model: kept
                for model, prompts in self.prompts_of.items()
                if (kept := [p for p in prompts if self.language_of.get(p[0]) == language])
            }
            self._in_language[language] = _Catalogue(self.marks, prompts_of, self.language_of)
        return self._in_language[language]

    @cached_property
    def languages(self) -> Counter:
        """Prompts per language that at least two models answered (what pairing can serve)."""
        answered = Counter(p for prompts in self.prompts_of.values() for p, _ in prompts)
        return Counter(
            self.language_of[p] for p, n in answered.items() if n >= 2 and self.language_of.get(p)
        )


# The catalogue is most of the reading of a pairing decision (every answer of the community),
# so each process keeps it per database and community while the marks read at every serve
# stay the same: the newest answer id (new answers come with new prompts, which come with their
# language) and the number of active prompts of the community (withdrawals, custom prompts
# joining the queue). Languages filled in later by `arena detect-languages` reach a running
# process's catalogue at its next change (no mark counts them: that count would read every
# prompt row of the community at every serve, where the two marks read an index). What decides
# is read fresh at every serve: which models are active and which prompts are, so a catalogue
# that missed a change can only make pairing look at a prompt in vain, or overlook a new one
# until the next change of a mark; it never serves an inactive model or prompt.
_catalogues: WeakKeyDictionary = WeakKeyDictionary()


def _catalogue(session: Session, community_id: int, marks: tuple) -> _Catalogue:
    known = _catalogues.setdefault(session.get_bind(), {})
    catalogue = known.get(community_id)
    if catalogue is None or catalogue.marks != marks:
        prompts_of: dict[int, list[tuple[int, int | None]]] = {}
        language_of: dict[int, str | None] = {}
        rows = session.execute(_CATALOGUE, {"community_id": community_id})
        for model_id, prompt_id, contributor_id, language in rows:
            prompts_of.setdefault(model_id, []).append((prompt_id, contributor_id))
            language_of[prompt_id] = language
        catalogue = known[community_id] = _Catalogue(marks, prompts_of, language_of)
    return catalogue


@dataclass(frozen=True)
class _Live:
    """What a pairing decision reads fresh: {model id: battles served in the community} of the
    models pairing may choose (active, with an answer to an active prompt of the community),
    their matchmaking states, the community's slug, and its catalogue."""

    exposure: dict[int, int]
    states: dict[int, matchmaking.ModelState]
    slug: str | None
    catalogue: _Catalogue


def _state(session: Session, community_id: int, language: str | None = None) -> _Live:
    rows = session.execute(_STATE, {"community_id": community_id}).all()
    marks = (rows[0].newest_answer, rows[0].active_prompts) if rows else (None, None)
    catalogue = _catalogue(session, community_id, marks).in_language(language)
    rows = [row for row in rows if row.id in catalogue.prompts_of]
    states = {row.id: _model_state(row) for row in rows}
    exposure = {model_id: state.battles for model_id, state in states.items()}
    return _Live(exposure, states, rows[0].slug if rows else None, catalogue)


def _model_state(row) -> matchmaking.ModelState:
    """A model's rating in the community (the prior before its first vote) and exposure."""
    unrated = row.mu is None
    return matchmaking.ModelState(
        ENVIRONMENT.mu if unrated else row.mu,
        ENVIRONMENT.sigma if unrated else row.sigma,
        row.votes or 0,
        row.battles or 0,
    )


def settings_for(
    community_slug: str | None, path: str | Path | None = None
) -> matchmaking.Settings:
    """The community's pairing settings: the file's defaults, then the community's overrides.
    Each file is read once per process."""
    path = path or os.environ.get("ARENA_PAIRING_FILE") or PAIRING_FILE
    return _settings(str(path), community_slug)


@cache
def _settings(path: str, community_slug: str | None) -> matchmaking.Settings:
    return matchmaking.Settings.from_mapping(_pairing_file(path), community_slug)


@cache
def _pairing_file(path: str) -> dict:
    file = Path(path)
    return json.loads(file.read_text()) if file.exists() else {}


def servable_languages(session: Session, community_id: int) -> Counter:
    """{language: prompts} of the community's active prompts that two active models answered."""
    return _state(session, community_id).catalogue.languages


def community_model_ids(session: Session, community_id: int) -> list[int]:
    """Active models with at least one answer in the community."""
    return list(_state(session, community_id).exposure)


def exposure_counts(session: Session, community_id: int) -> dict[int, int]:
    rows = session.execute(
        select(Exposure.model_id, Exposure.battles).where(Exposure.community_id == community_id)
    )
    return dict(rows.tuples().all())


def record_exposure(session: Session, community_id: int, model_ids: tuple[int, int]) -> None:
    rows = [{"model_id": m, "community_id": community_id, "battles": 1} for m in sorted(model_ids)]
    session.execute(_EXPOSE, rows)


@dataclass
class _Pool:
    """What one pairing decision knows: the community's active models and their exposure."""

    community_id: int
    voter_id: int
    active: set[int]
    exposure: dict[int, int]
    rng: random.Random
    catalogue: _Catalogue


def choose_pair(
    session: Session,
    community_id: int,
    voter_id: int,
    rng: random.Random | None = None,
    language: str | None = None,
) -> Pair | None:
    """Draw two models with the matchmaking rule and serve them on a prompt the voter was not
    served that pair on (up to MAX_DRAWS draws of different pairs). Failing that, the
    least-served model and its least-served opponent on such a prompt; then one they were
    served but never judged. None when the voter has judged every pair (or the community has
    fewer than two models). With `language`, only prompts in that language count, and only
    models that answered one. `rng` (tests) makes the draws reproducible."""
    live = _state(session, community_id, language)
    if len(live.exposure) < 2:
        return None
    # Nobody can predict a pair: one seed from the OS per serve (not a system call for each of
    # the dozens of draws) feeds the tie-breaks and the matchmaking generator.
    rng = rng or random.Random(secrets.randbits(128))
    exposure = live.exposure
    pool = _Pool(community_id, voter_id, set(exposure), exposure, rng, live.catalogue)
    return _drawn_pair(session, pool, live) or _least_served_pair(session, pool)


def _drawn_pair(session, pool: _Pool, live: _Live) -> Pair | None:
    model_ids, states = list(live.states), list(live.states.values())
    settings = settings_for(live.slug)
    generator = np.random.default_rng(pool.rng.getrandbits(128))
    tried: set[tuple[int, int]] = set()
    for _ in range(MAX_DRAWS):
        drawn = matchmaking.choose(states, settings, generator, excluded=tried)
        if drawn is None:
            return None
        pair = _prompt_for_pair(session, pool, model_ids[drawn[0]], model_ids[drawn[1]])
        if pair:
            return pair
        tried.add(drawn)
    return None


def _prompt_for_pair(session, pool: _Pool, model_id: int, opponent_id: int) -> Pair | None:
    """The pair on a random prompt both answered that the voter was not served it on."""
    theirs = {prompt_id for prompt_id, _ in pool.catalogue.prompts_of.get(opponent_id, ())}
    prompt_ids = [
        prompt_id
        for prompt_id, contributor_id in pool.catalogue.prompts_of.get(model_id, ())
        if prompt_id in theirs and contributor_id != pool.voter_id  # double blind
    ]
    pool.rng.shuffle(prompt_ids)
    for chunk in _growing_chunks(prompt_ids):
        answers = _answers_by_prompt(session, chunk, {model_id, opponent_id}, of_these_only=True)
        seen = _seen_pairs(session, pool.voter_id, chunk)
        for prompt_id in chunk:
            responses = answers.get(prompt_id, {})
            own, other = responses.get(model_id), responses.get(opponent_id)
            if own and other and frozenset((own, other)) not in seen:
                return Pair(prompt_id, (own, other), (model_id, opponent_id))
    return None


def _least_served_pair(session, pool: _Pool) -> Pair | None:
    exposure = pool.exposure
    by_need = sorted(exposure, key=lambda m: (exposure[m], pool.rng.random()))
    for unvoted_only in (False, True):
        for model_id in by_need:
            pair = _pair_for_model(session, pool, model_id, unvoted_only)
            if pair:
                return pair
    return None


def _pair_for_model(session, pool: _Pool, model_id: int, unvoted_only=False) -> Pair | None:
    # Double blind: nobody judges pairs from a chat they shared themselves.
    prompt_ids = [
        prompt_id
        for prompt_id, contributor_id in pool.catalogue.prompts_of.get(model_id, ())
        if contributor_id != pool.voter_id
    ]
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


def _answers_by_prompt(
    session, prompt_ids, active_model_ids, of_these_only=False
) -> dict[int, dict[int, int]]:
    """{prompt_id: {model_id: response_id}} for the given prompts and active models (read for
    those models only with of_these_only: a drawn pair)."""
    answers: dict[int, dict[int, int]] = {}
    if of_these_only:
        parameters = {"prompt_ids": prompt_ids, "model_ids": sorted(active_model_ids)}
        rows = session.execute(_PAIR_ANSWERS, parameters)
    else:
        rows = session.execute(_ANSWERS, {"prompt_ids": prompt_ids})
    for prompt_id, model_id, response_id in rows:
        if model_id in active_model_ids:
            answers.setdefault(prompt_id, {})[model_id] = response_id
    return answers


def _seen_pairs(session, voter_id, prompt_ids, voted_only=False) -> set[frozenset[int]]:
    """Pairs the voter was served (or, with voted_only, judged) on these prompts."""
    rows = session.execute(
        _JUDGED if voted_only else _SERVED, {"voter_id": voter_id, "prompt_ids": prompt_ids}
    )
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

"""Custom prompts: two anonymous configured models answer live, then the battle is voted on
like any other. Nothing is written unless both answers complete; what is written is scrubbed.
"""

import hashlib
import json
import queue
import random
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arena.chats.redact import redact
from arena.config import PROJECT_ROOT
from arena.core.communities import find_community
from arena.core.errors import Conflict, InvalidInput, NotFound, NothingToServe
from arena.core.language import detect_language
from arena.custom import backends
from arena.custom.backends import BackendError, Catalogue, ModelConfig
from arena.custom.lockstep import Lockstep
from arena.custom.pairs import draw_pair, inactive_slugs
from arena.models import Battle, LanguageModel, Prompt, Response
from arena.models.chats import SharedChat, SharedMessage
from arena.models.library import PromptShare
from arena.voting import pairing
from arena.voting.battles import battle_for_voter

SIDES = ("a", "b")
DEFAULT_BACKENDS_FILE = PROJECT_ROOT / "seeds" / "backends.json"
DEFAULT_MODERATION_FILE = PROJECT_ROOT / "seeds" / "moderation.json"
SHARED_LICENCE = "CC0-1.0"


@dataclass(frozen=True)
class Moderation:
    max_prompt_chars: int
    max_turns: int
    rejected_patterns: tuple[re.Pattern, ...]
    message: str


@cache
def load_moderation(path: str | Path = DEFAULT_MODERATION_FILE) -> Moderation:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    patterns = tuple(re.compile(p, re.IGNORECASE) for p in data["rejected_patterns"])
    return Moderation(data["max_prompt_chars"], data["max_turns"], patterns, data["message"])


@cache
def load_backends(path: str | Path = DEFAULT_BACKENDS_FILE) -> Catalogue:
    return backends.load_catalogue(path)


def check_prompt(text: str, moderation: Moderation) -> str:
    """The prompt, trimmed, or InvalidInput saying what is wrong with it."""
    text = (text or "").strip() if isinstance(text, str) else None
    if not text:
        raise InvalidInput("Write a prompt for the two models to answer.")
    if len(text) > moderation.max_prompt_chars:
        raise InvalidInput(f"Prompts are limited to {moderation.max_prompt_chars:,} characters.")
    if any(pattern.search(text) for pattern in moderation.rejected_patterns):
        raise InvalidInput(moderation.message)
    return text


@dataclass
class Contest:
    """Two configured models answering one conversation; sides are fixed at the start."""

    token: str
    voter_id: int
    community_id: int
    community_slug: str
    configs: dict[str, ModelConfig]
    histories: dict[str, list[dict]]  # each side's conversation so far, ending with a user turn
    library_prompt_id: int | None = None
    battle_id: int | None = None  # set when continuing a voted-on-later battle
    answers: dict[str, str] = field(default_factory=dict)
    stats: dict[str, backends.GenerationStats] = field(default_factory=dict)


def configured_models(session: Session, catalogue: Catalogue, community_slug: str) -> list:
    """Available catalogue models of the community that are active in the arena."""
    inactive = inactive_slugs(session)
    return [
        m for m in backends.available_models(catalogue, community_slug) if m.slug not in inactive
    ]


def start(
    session: Session,
    catalogue: Catalogue,
    moderation: Moderation,
    *,
    voter_id: int,
    community_slug: str | None,
    prompt: str,
    library_prompt_id: int | None = None,
    rng: random.Random | None = None,
) -> Contest:
    """Check the prompt and draw two of the community's live contestants (pairs.draw_pair)."""
    text = check_prompt(prompt, moderation)
    community = find_community(session, community_slug)
    if library_prompt_id is not None and session.get(PromptShare, library_prompt_id) is None:
        raise NotFound("That library prompt does not exist (any more).")
    candidates = configured_models(session, catalogue, community.slug)
    if len(candidates) < 2:
        raise NothingToServe(
            f"The {community.name} community has fewer than two models that can answer live."
        )
    _model_ids(session, [m.slug for m in candidates])  # every contestant must be seeded
    pair = draw_pair(candidates, rng or secrets.SystemRandom())
    first_turn = [{"role": "user", "content": text}]
    return Contest(
        token=secrets.token_urlsafe(24),
        voter_id=voter_id,
        community_id=community.id,
        community_slug=community.slug,
        configs=dict(zip(SIDES, pair, strict=True)),
        histories={side: list(first_turn) for side in SIDES},
        library_prompt_id=library_prompt_id,
    )


def _model_ids(session: Session, slugs: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(LanguageModel.slug, LanguageModel.id).where(LanguageModel.slug.in_(slugs))
    )
    ids = dict(rows.tuples().all())
    missing = [slug for slug in slugs if slug not in ids]
    if missing:
        raise NothingToServe(f"Model {missing[0]} is configured but not seeded; run `arena seed`.")
    return ids


def generate(contest: Contest, on_chunk: Callable[[str, str], None], seed: int | None = None):
    """Both answers, streamed through on_chunk(side, text) in lockstep (arena/custom/lockstep.py),
    so that which side is faster cannot be seen; each side's real timing is kept in
    contest.stats for the record.

    Raises BackendError (its message is safe to show) if either side fails; the caller then
    records nothing. A failing side stops the other one.
    """
    failures: queue.Queue[BackendError] = queue.Queue()
    lockstep = Lockstep(SIDES, on_chunk)

    def answer(side: str) -> None:
        try:
            generation = backends.stream_answer(
                contest.configs[side], contest.histories[side], seed=seed
            )
            chunks = iter(generation)
            try:
                for chunk in chunks:
                    if lockstep.stopped:
                        break
                    lockstep.put(side, chunk)
            finally:
                close = getattr(chunks, "close", None)
                if close:
                    close()  # a stopped side ends its generation (and frees its model) now
            if lockstep.stopped:
                return
            contest.answers[side], contest.stats[side] = generation.text, generation.stats
        except BackendError as error:
            failures.put(error)
            lockstep.stop()
        except Exception:  # noqa: BLE001 - a bug in one backend must not hang the other side
            failures.put(BackendError("One of the models failed to answer. Please try again."))
            lockstep.stop()
        finally:
            lockstep.finish(side)

    threads = [threading.Thread(target=answer, args=(side,), daemon=True) for side in SIDES]
    for thread in threads:
        thread.start()
    try:
        lockstep.run()
    finally:
        lockstep.stop()  # a no-op once both sides are done; else (the reader failed) ends them
        for thread in threads:
            thread.join()
    if not failures.empty():
        raise failures.get()
    empty = [side for side in SIDES if not contest.answers[side].strip()]
    if empty:
        raise BackendError("One of the models returned an empty answer. Please try again.")


# -- recording ---------------------------------------------------------------------------------


def record(session: Session, contest: Contest) -> Battle:
    """Store the finished contest as a battle, scrubbed, and as a shared chat of the asker."""
    if contest.battle_id:
        battle = _record_continuation(session, contest)
    else:
        battle = _record_new(session, contest)
    return battle


def _record_new(session: Session, contest: Contest) -> Battle:
    ids = _model_ids(session, [c.slug for c in contest.configs.values()])
    text = _scrubbed(contest.histories["a"][-1]["content"])
    prompt = Prompt(
        community_id=contest.community_id,
        origin="custom",
        # Out of the pairing pool until the asker votes: follow-ups may still rewrite it.
        is_active=False,
        text=text,
        language=detect_language(text),
        context=[],
        library_prompt_id=contest.library_prompt_id,
    )
    responses = {
        side: Response(prompt=prompt, model_id=ids[contest.configs[side].slug], context=None)
        for side in SIDES
    }
    for side, response in responses.items():
        _fill(response, contest, side)
    session.add(prompt)
    session.add_all(responses.values())
    session.flush()
    prompt.shared_chat_id = _share(session, contest, prompt).id
    battle = Battle(
        token=contest.token,
        voter_id=contest.voter_id,
        community_id=contest.community_id,
        prompt_id=prompt.id,
        response_a_id=responses["a"].id,
        response_b_id=responses["b"].id,
    )
    session.add(battle)
    pairing.record_exposure(session, contest.community_id, tuple(ids.values()))
    return battle


def _fill(response: Response, contest: Contest, side: str) -> None:
    stats = contest.stats[side]
    response.text = _scrubbed(contest.answers[side], "assistant")
    response.backend = stats.backend
    response.latency_seconds = stats.latency_seconds
    response.time_to_first_token_seconds = stats.time_to_first_token_seconds
    response.completion_tokens = stats.completion_tokens
    response.tokens_per_second = stats.tokens_per_second


def _scrubbed(text: str, role: str = "user") -> str:
    """Personal data out; a model's answer may keep example IPs and the people it writes about."""
    return redact(text, author="model" if role == "assistant" else "user").text


def _share(session: Session, contest: Contest, prompt: Prompt) -> SharedChat:
    """The custom battle as a shared chat of the asker's community (scrubbed, CC0)."""
    messages = _chat_messages(contest)
    fingerprint = hashlib.sha256(
        (contest.token + json.dumps([m.content for m in messages])).encode()
    ).hexdigest()
    chat = SharedChat(
        contributor_id=contest.voter_id,
        community_id=contest.community_id,
        source_format="custom_battle",
        title=prompt.text[:80],
        fingerprint=fingerprint,
        licence=SHARED_LICENCE,
        tags=["custom-prompt"],
        redaction_counts={},
        pairs=1,
        messages=messages,
    )
    session.add(chat)
    session.flush()
    return chat


def _chat_messages(contest: Contest) -> list[SharedMessage]:
    """Both sides' conversations, scrubbed: one branch per model under each user turn."""
    messages = []
    for side in SIDES:
        turns = contest.histories[side] + [{"role": "assistant", "content": contest.answers[side]}]
        parent = None
        for number, turn in enumerate(turns, start=1):
            key = f"{side}{number}"
            is_answer = turn["role"] == "assistant"
            messages.append(
                SharedMessage(
                    position=len(messages),
                    message_key=key,
                    parent_key=parent,
                    role=turn["role"],
                    model_name=contest.configs[side].name if is_answer else None,
                    content=_scrubbed(turn["content"], turn["role"]),
                )
            )
            parent = key
    return messages


# -- multi-turn --------------------------------------------------------------------------------


def continue_contest(
    session: Session,
    catalogue: Catalogue,
    moderation: Moderation,
    *,
    voter_id: int,
    token: str,
    follow_up: str,
) -> Contest:
    """Ask both models a follow-up before voting; the battle is locked while they answer."""
    text = check_prompt(follow_up, moderation)
    battle = battle_for_voter(session, token, voter_id)
    if battle.prompt.origin != "custom":
        raise Conflict("Only custom battles can be continued.")
    chat = session.get(SharedChat, battle.prompt.shared_chat_id)
    if chat is None or chat.status == "withdrawn":
        raise Conflict("This conversation was withdrawn; it cannot be continued.")
    claimed = session.execute(
        update(Battle)
        .where(Battle.id == battle.id, Battle.status == "open")
        .values(status="generating")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict("This battle was already voted on or is still answering.")
    histories = {
        side: _history(battle, side) + [{"role": "user", "content": text}] for side in SIDES
    }
    turns = sum(1 for turn in histories["a"] if turn["role"] == "user")
    if turns > moderation.max_turns:
        raise InvalidInput(f"Custom battles are limited to {moderation.max_turns} turns.")
    configs = {side: _config_of(catalogue, battle, side) for side in SIDES}
    return Contest(
        token=token,
        voter_id=voter_id,
        community_id=battle.community_id,
        community_slug=battle.community.slug,
        configs=configs,
        histories=histories,
        battle_id=battle.id,
    )


def _history(battle: Battle, side: str) -> list[dict]:
    response = battle.response_a if side == "a" else battle.response_b
    return (response.context or []) + [
        {"role": "user", "content": battle.prompt.text},
        {"role": "assistant", "content": response.text},
    ]


def _config_of(catalogue: Catalogue, battle: Battle, side: str) -> ModelConfig:
    response = battle.response_a if side == "a" else battle.response_b
    config = catalogue.models.get(response.model.slug)
    if config is None or backends.unavailable_reason(config):
        raise Conflict("One of the models can no longer answer; vote on what you have.")
    return config


def _record_continuation(session: Session, contest: Contest) -> Battle:
    battle = session.get(Battle, contest.battle_id)
    chat = session.get(SharedChat, battle.prompt.shared_chat_id)
    if chat is None or chat.status == "withdrawn":  # withdrawn while the models were answering
        raise BackendError("This conversation was withdrawn meanwhile; the follow-up was not kept.")
    battle.prompt.text = _scrubbed(contest.histories["a"][-1]["content"])
    # A follow-up too short to call ("and in Go?") keeps the conversation's language.
    battle.prompt.language = detect_language(battle.prompt.text) or battle.prompt.language
    for side in SIDES:
        response = battle.response_a if side == "a" else battle.response_b
        earlier = contest.histories[side][:-1]
        response.context = [
            {"role": t["role"], "content": _scrubbed(t["content"], t["role"])} for t in earlier
        ]
        _fill(response, contest, side)
    chat.messages = _chat_messages(contest)
    battle.status = "open"
    return battle


def release(session: Session, contest: Contest) -> None:
    """A continuation failed: reopen the battle as it was, for voting."""
    if contest.battle_id:
        session.execute(
            update(Battle)
            .where(Battle.id == contest.battle_id, Battle.status == "generating")
            .values(status="open")
        )

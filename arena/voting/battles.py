"""Serving blind battles and casting votes: one transaction per vote, events after commit."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arena.chats.identity import self_identifies
from arena.core.communities import find_community
from arena.core.errors import Conflict, InvalidInput, NotFound, NothingToServe
from arena.core.events import Event, LeaderboardChanged
from arena.game import awards
from arena.game.rules import Rules, default_rules
from arena.models import CHOICES, Battle, LanguageModel, Prompt, Response, Vote, utcnow
from arena.models.chats import SharedChat
from arena.voting import pairing, ratings


@dataclass
class VoteOutcome:
    token: str
    choice: str
    community: str
    models: dict[str, str]
    events: list[Event] = field(default_factory=list)


DEFAULT_BATTLE_EXPIRY = timedelta(minutes=30)


def current_or_new_battle(
    session: Session,
    voter_id: int,
    community_slug: str | None = None,
    *,
    expiry: timedelta = DEFAULT_BATTLE_EXPIRY,
    now: datetime | None = None,
) -> Battle:
    """The voter's open battle in this community, or a new one: reloading the page must not
    pile up battles or bump exposure. Open battles older than `expiry` become skipped first."""
    now = now or utcnow()
    expire_open_battles(session, voter_id, now - expiry, now)
    community = find_community(session, community_slug)
    waiting = session.scalar(
        select(Battle)
        .join(Prompt, Prompt.id == Battle.prompt_id)
        .where(
            Battle.voter_id == voter_id,
            Battle.community_id == community.id,
            Battle.status == "open",
            Prompt.origin != "custom",
        )
        .order_by(Battle.id.desc())
        .limit(1)
    )
    return waiting or serve_battle(session, voter_id, community.slug)


def expire_open_battles(session: Session, voter_id: int | None, cutoff: datetime, now) -> int:
    """Record battles served before `cutoff` and never voted on as skipped (all voters when
    `voter_id` is None). Custom battles wait for their asker: they cost a generation."""
    custom = select(Prompt.id).where(Prompt.origin == "custom")
    query = update(Battle).where(
        Battle.status == "open", Battle.served_at < cutoff, Battle.prompt_id.not_in(custom)
    )
    if voter_id is not None:
        query = query.where(Battle.voter_id == voter_id)
    result = session.execute(
        query.values(status="skipped", skipped_at=now).execution_options(synchronize_session=False)
    )
    return result.rowcount


def serve_battle(session: Session, voter_id: int, community_slug: str | None = None) -> Battle:
    """Create a battle for this voter; the left/right order is a coin flip the voter can't see."""
    community = find_community(session, community_slug)
    pair = pairing.choose_pair(session, community.id, voter_id)
    if pair is None:
        raise NothingToServe(
            f"No pair left for you in the {community.name} community: you have judged them "
            "all, or it has fewer than two models. Thank you! Try another community."
        )
    left, right = pair.response_ids
    if secrets.randbelow(2):
        left, right = right, left
    battle = Battle(
        token=secrets.token_urlsafe(24),
        voter_id=voter_id,
        community_id=community.id,
        prompt_id=pair.prompt_id,
        response_a_id=left,
        response_b_id=right,
    )
    session.add(battle)
    pairing.record_exposure(session, community.id, pair.model_ids)
    return battle


def battle_for_voter(session: Session, token: str, voter_id: int) -> Battle:
    """A voter's own battle; anyone else's token is indistinguishable from an unknown one."""
    battle = session.scalar(select(Battle).where(Battle.token == token))
    if battle is None or battle.voter_id != voter_id:
        raise NotFound("No such battle.")
    return battle


def cast_vote(
    session: Session,
    voter_id: int,
    token: str,
    choice: str,
    *,
    at: datetime | None = None,
    rules: Rules | None = None,
) -> VoteOutcome:
    """Record the vote, update ratings and award points and badges, atomically.

    A second vote on a battle is refused. `at` and `rules` exist for tests and replays.
    """
    if choice not in CHOICES:
        raise InvalidInput(f"choice must be one of {', '.join(CHOICES)}.")
    outcome = _record_vote(
        session, voter_id, token, choice, at or utcnow(), rules or default_rules()
    )
    return outcome


def _record_vote(session, voter_id, token, choice, at, rules) -> VoteOutcome:
    battle = battle_for_voter(session, token, voter_id)
    claimed = session.execute(
        update(Battle)
        .where(Battle.id == battle.id, Battle.status == "open")
        .values(status="voted", voted_at=at)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        if battle.status == "generating":
            raise Conflict("Both models are still answering; vote when they have finished.")
        if battle.status == "skipped":
            raise Conflict("This battle expired unvoted; nothing was recorded. Take a new one.")
        raise Conflict("This battle has already been voted on.")
    model_a, model_b = _models_of(session, battle)
    _check_votable(session, battle, voter_id, {model_a.id, model_b.id})
    if battle.prompt.origin == "custom" and not _names_itself(battle):
        battle.prompt.is_active = True  # the asker has judged it: now others may too
    community_slug = battle.community.slug
    # Lock ratings before inserting the vote, so vote ids follow the order ratings change in.
    locked = ratings.lock_ratings(
        session, (model_a.id, model_b.id), ratings.scopes_for(community_slug)
    )
    vote = Vote(
        battle_id=battle.id,
        voter_id=voter_id,
        community_id=battle.community_id,
        prompt_id=battle.prompt_id,
        model_a_id=model_a.id,
        model_b_id=model_b.id,
        choice=choice,
        created_at=at,
    )
    session.add(vote)
    session.flush()
    ratings.apply_vote(locked, vote, community_slug)
    earned = awards.after_vote(session, vote, battle.community, rules)
    return VoteOutcome(
        token=token,
        choice=choice,
        community=community_slug,
        models={"a": model_a.name, "b": model_b.name},
        events=[LeaderboardChanged(scopes=list(ratings.scopes_for(community_slug))), *earned],
    )


def _names_itself(battle: Battle) -> bool:
    """A live answer that names its model can never be shown blind to anyone else."""
    return any(self_identifies(r.text) for r in (battle.response_a, battle.response_b))


def _check_votable(session: Session, battle: Battle, voter_id: int, model_ids: set[int]) -> None:
    """Refuse votes on withdrawn pairs and second judgements of a pair by the same voter."""
    chat_id = battle.prompt.shared_chat_id
    if (
        chat_id
        and session.scalar(select(SharedChat.status).where(SharedChat.id == chat_id)) == "withdrawn"
    ):
        raise Conflict("This pair was withdrawn by its contributor; nothing was recorded.")
    earlier = session.execute(
        select(Vote.model_a_id, Vote.model_b_id).where(
            Vote.voter_id == voter_id, Vote.prompt_id == battle.prompt_id
        )
    )
    if any({a, b} == model_ids for a, b in earlier):
        raise Conflict("You have already judged this pair; nothing was recorded.")


def _models_of(session: Session, battle: Battle) -> tuple[LanguageModel, LanguageModel]:
    rows = session.execute(
        select(Response.id, LanguageModel)
        .join(LanguageModel, LanguageModel.id == Response.model_id)
        .where(Response.id.in_((battle.response_a_id, battle.response_b_id)))
    ).all()
    by_response = dict(rows)
    return by_response[battle.response_a_id], by_response[battle.response_b_id]


def battle_result(session: Session, token: str, voter_id: int) -> tuple[Battle, dict, str]:
    """The battle, its model names and the voter's choice: only once it has been voted."""
    battle = battle_for_voter(session, token, voter_id)
    choice = session.scalar(select(Vote.choice).where(Vote.battle_id == battle.id))
    if choice is None:
        raise Conflict("Models are revealed only after the vote.")
    model_a, model_b = _models_of(session, battle)
    return battle, {"a": model_a.name, "b": model_b.name}, choice


def battle_view(battle: Battle) -> dict:
    """Everything a voter may see before voting: no model name, id or order hint."""
    view = {
        "token": battle.token,
        "community": battle.community.slug,
        "prompt": battle.prompt.text,
        "context": battle.prompt.context or [],
        "responses": {"a": battle.response_a.text, "b": battle.response_b.text},
    }
    if battle.response_a.context or battle.response_b.context:
        # A multi-turn custom battle: each side's own earlier turns.
        view["contexts"] = {"a": battle.response_a.context, "b": battle.response_b.context}
    return view

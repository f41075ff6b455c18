"""Serving blind battles and casting votes: one transaction per vote, events after commit."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from arena.auditing.decisions import removed_by_moderator
from arena.chats.identity import self_identifies
from arena.core.communities import DEFAULT_COMMUNITY, find_community
from arena.core.errors import Conflict, InvalidInput, NotFound, NothingToServe
from arena.core.events import Event, LeaderboardChanged
from arena.game import awards
from arena.game.rules import Rules, default_rules
from arena.models import (
    CHOICES,
    Battle,
    Community,
    LanguageModel,
    Prompt,
    Response,
    User,
    Vote,
    utcnow,
)
from arena.models.chats import SharedChat
from arena.voting import checks, pairing, ratings, tallies, trust


@dataclass
class VoteOutcome:
    token: str
    choice: str
    community: str
    models: dict[str, str]
    events: list[Event] = field(default_factory=list)


# The hot path's statements are built once, with bound parameters: building a statement and its
# cache key costs more than running it on SQLite. Core tables, so no ORM machinery is involved.
_battles, _votes, _prompts = Battle.__table__, Vote.__table__, Prompt.__table__
_responses, _models = Response.__table__, LanguageModel.__table__
_response_a, _response_b = _responses.alias("response_a"), _responses.alias("response_b")
_model_a, _model_b = _models.alias("model_a"), _models.alias("model_b")
_chats, _communities, _users = SharedChat.__table__, Community.__table__, User.__table__

# Everything a vote needs to know about its battle, in one query.
_BALLOT = (
    select(
        _battles.c.id,
        _battles.c.voter_id,
        _battles.c.status,
        _battles.c.community_id,
        _battles.c.prompt_id,
        _battles.c.response_a_id,
        _battles.c.response_b_id,
        _battles.c.expected,
        _communities.c.slug.label("community_slug"),
        _prompts.c.origin,
        _prompts.c.language,
        _chats.c.status.label("chat_status"),
        _chats.c.review_status.label("chat_review"),
        _model_a.c.id.label("model_a_id"),
        _model_a.c.name.label("model_a_name"),
        _model_a.c.created_at.label("model_a_created_at"),
        _model_b.c.id.label("model_b_id"),
        _model_b.c.name.label("model_b_name"),
        _model_b.c.created_at.label("model_b_created_at"),
        _users.c.created_at.label("voter_joined_at"),
    )
    .join(_users, _users.c.id == _battles.c.voter_id)
    .join(_communities, _communities.c.id == _battles.c.community_id)
    .join(_prompts, _prompts.c.id == _battles.c.prompt_id)
    .outerjoin(_chats, _chats.c.id == _prompts.c.shared_chat_id)
    .join(_response_a, _response_a.c.id == _battles.c.response_a_id)
    .join(_model_a, _model_a.c.id == _response_a.c.model_id)
    .join(_response_b, _response_b.c.id == _battles.c.response_b_id)
    .join(_model_b, _model_b.c.id == _response_b.c.model_id)
    .where(_battles.c.token == bindparam("token"))
)
# Compare-and-set: of racing votes on one battle, exactly one changes the row.
_CLAIM = (
    update(_battles)
    .where(_battles.c.id == bindparam("battle_id"), _battles.c.status == "open")
    .values(status="voted", voted_at=bindparam("at"))
)
_SKIP = (
    update(_battles)
    .where(_battles.c.id == bindparam("battle_id"), _battles.c.status == "open")
    .values(status="skipped", skipped_at=bindparam("at"))
)
_JUDGED_PAIRS = select(_votes.c.model_a_id, _votes.c.model_b_id).where(
    _votes.c.voter_id == bindparam("voter_id"), _votes.c.prompt_id == bindparam("prompt_id")
)
_INSERT_VOTE = insert(_votes)
_INSERT_BATTLE = insert(_battles)
_TEXTS = select(_responses.c.text).where(
    _responses.c.id.in_(bindparam("response_ids", expanding=True))
)
_ACTIVATE_PROMPT = (
    update(_prompts)
    .where(_prompts.c.id == bindparam("prompt_id"), ~removed_by_moderator(_prompts.c.id))
    .values(is_active=True)
)
_COMMUNITY = select(_communities.c.id, _communities.c.slug, _communities.c.name).where(
    _communities.c.slug == bindparam("slug")
)
_VIEW = (
    select(
        _responses.c.id,
        _responses.c.text,
        _responses.c.context,
        _prompts.c.text.label("prompt_text"),
        _prompts.c.context.label("prompt_context"),
    )
    .join(_prompts, _prompts.c.id == _responses.c.prompt_id)
    .where(_responses.c.id.in_(bindparam("response_ids", expanding=True)))
)


def serve_battle(
    session: Session,
    voter_id: int,
    community_slug: str | None = None,
    policy: trust.Policy | None = None,
    language: str | None = None,
) -> Battle:
    """Create a battle for this voter (on a prompt in `language`, if given); the left/right
    order is a coin flip the voter can't see. Now and then (more often on probation) it is a
    known-answer check (voting/checks.py), in any language."""
    policy = policy or trust.default_policy()
    community = session.execute(
        _COMMUNITY, {"slug": community_slug or DEFAULT_COMMUNITY}
    ).first() or find_community(session, community_slug)  # raises NotFound
    check = _maybe_check(session, community.id, voter_id, policy)
    chosen = check_pair(check) if check else None
    pair = chosen or pairing.choose_pair(session, community.id, voter_id, language=language)
    if pair is None:
        raise NothingToServe(
            f"No pair left for you in the {community.name} community: you have judged them "
            "all, or it has fewer than two models. Thank you! Try another community."
        )
    left, right = pair.response_ids
    if secrets.randbelow(2):
        left, right = right, left
    facts = {
        "token": secrets.token_urlsafe(24),
        "voter_id": voter_id,
        "community_id": community.id,
        "prompt_id": pair.prompt_id,
        "response_a_id": left,
        "response_b_id": right,
        "status": "open",
        "served_at": utcnow(),
        "voted_at": None,
        "skipped_at": None,
        "expected": None if check is None else ("a" if left == check.winner_response_id else "b"),
    }
    battle = _inserted(session, facts)
    pairing.record_exposure(session, community.id, pair.model_ids)
    _keep_view(session, battle, community.slug)
    return battle


def _inserted(session: Session, facts: dict) -> Battle:
    """Insert a battle row with Core and attach it to the session as loaded: the ORM's flush
    of a new object was most of the serve's commit (relationships still load on access)."""
    battle_id = session.execute(_INSERT_BATTLE, facts).inserted_primary_key[0]
    battle = Battle(id=battle_id, **facts)
    make_transient_to_detached(battle)
    session.add(battle)
    return battle


def _maybe_check(session: Session, community_id: int, voter_id: int, policy: trust.Policy):
    if not (policy.check_share_in_probation or policy.check_share_after):
        return None
    share = policy.check_share(trust.standing(session, voter_id, policy))
    if share <= 0 or secrets.randbelow(1_000_000) >= share * 1_000_000:
        return None
    return checks.choose_check(session, community_id, voter_id, policy.check_min_votes)


def check_pair(check: checks.Check) -> pairing.Pair:
    return pairing.Pair(
        check.prompt_id, (check.winner_response_id, check.loser_response_id), check.model_ids
    )


def skip_battle(session: Session, voter_id: int, token: str, at: datetime | None = None) -> str:
    """Set a battle aside unvoted: recorded as skipped (skips are facts the integrity checks
    read), free of points; returns the community to serve the next battle from."""
    ballot = _ballot(session, token, voter_id)
    skipped = session.execute(_SKIP, {"battle_id": ballot.id, "at": at or utcnow()})
    if skipped.rowcount != 1:
        raise Conflict(f"This battle is {ballot.status}; only an open battle can be skipped.")
    return ballot.community_slug


# What `battle_view` shows of a battle just served, read while serving and kept in a plain
# attribute: the unit of work's commit expires the row and its relationships, and showing
# them would otherwise cost five more queries.
_SERVED_VIEW = "_arena_served_view"


def _keep_view(session: Session, battle: Battle, community_slug: str) -> None:
    sides = [battle.response_a_id, battle.response_b_id]
    rows = {row.id: row for row in session.execute(_VIEW, {"response_ids": sides})}
    side_a, side_b = rows[battle.response_a_id], rows[battle.response_b_id]
    view = {
        "token": battle.token,
        "community": community_slug,
        "prompt": side_a.prompt_text,
        "context": side_a.prompt_context or [],
        "responses": {"a": side_a.text, "b": side_b.text},
    }
    if side_a.context or side_b.context:
        view["contexts"] = {"a": side_a.context, "b": side_b.context}
    setattr(battle, _SERVED_VIEW, view)


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
    policy: trust.Policy | None = None,
) -> VoteOutcome:
    """Record the vote, update ratings and award points and badges, atomically.

    A second vote on a battle is refused, and so is a vote past the voter's daily caps.
    `at`, `rules` and `policy` exist for tests and replays.
    """
    if choice not in CHOICES:
        raise InvalidInput(f"choice must be one of {', '.join(CHOICES)}.")
    rules, policy = rules or default_rules(), policy or trust.default_policy()
    return _record_vote(session, voter_id, token, choice, at or utcnow(), rules, policy)


def _ballot(session: Session, token: str, voter_id: int):
    row = session.execute(_BALLOT, {"token": token}).first()
    if row is None or row.voter_id != voter_id:
        raise NotFound("No such battle.")
    return row


def _record_vote(session, voter_id, token, choice, at, rules, policy) -> VoteOutcome:
    ballot = _ballot(session, token, voter_id)
    trust.enforce_caps(session, voter_id, ballot.community_id, at, policy)
    claimed = session.execute(_CLAIM, {"battle_id": ballot.id, "at": at})
    if claimed.rowcount != 1:
        if ballot.status == "generating":
            raise Conflict("Both models are still answering; vote when they have finished.")
        if ballot.status == "skipped":
            raise Conflict("This battle expired unvoted; nothing was recorded. Take a new one.")
        raise Conflict("This battle has already been voted on.")
    _check_votable(session, ballot, voter_id)
    accepted = ballot.chat_review == "accepted"
    if ballot.origin == "custom" and accepted and not _names_itself(session, ballot):
        # The asker has judged it and auditors accepted it: now others may judge it too.
        session.execute(_ACTIVATE_PROMPT, {"prompt_id": ballot.prompt_id})
    community_slug = ballot.community_slug
    model_ids = (ballot.model_a_id, ballot.model_b_id)
    check = trust.check_result(ballot.expected, choice)
    standing, _ = trust.count_vote(session, voter_id, check, policy)
    counted = standing == trust.COUNTED
    exposure, attribution = trust.provenance(ballot.origin)
    # Lock ratings before inserting the vote, so vote ids follow the order ratings change in.
    scopes = ratings.scopes_for(community_slug) if counted else ()
    locked, draws = ratings.lock_ratings(session, model_ids, scopes) if counted else ({}, {})
    facts = {
        "battle_id": ballot.id,
        "voter_id": voter_id,
        "community_id": ballot.community_id,
        "prompt_id": ballot.prompt_id,
        "model_a_id": ballot.model_a_id,
        "model_b_id": ballot.model_b_id,
        "choice": choice,
        "origin": "arena",
        "created_at": at,
        "exposure": exposure,
        "attribution": attribution,
        "voter_trust": standing,
        "language": ballot.language,
    }
    vote_id = session.execute(_INSERT_VOTE, facts).inserted_primary_key[0]
    # The vote as the awards read it (its row is written; this object stays out of the session).
    vote = Vote(id=vote_id, **facts)
    if counted:
        ratings.apply_vote(locked, vote, community_slug, draws)
        ratings.save(session, locked)
    tallies.record(session, vote)
    earned = awards.after_vote(
        session,
        vote,
        awards.CommunityRef(ballot.community_id, community_slug),
        rules,
        created={
            ballot.model_a_id: ballot.model_a_created_at,
            ballot.model_b_id: ballot.model_b_created_at,
        },
        joined=ballot.voter_joined_at,
        policy=policy,
    )
    return VoteOutcome(
        token=token,
        choice=choice,
        community=community_slug,
        models={"a": ballot.model_a_name, "b": ballot.model_b_name},
        events=[LeaderboardChanged(scopes=list(scopes)), *earned] if counted else earned,
    )


def _names_itself(session: Session, ballot) -> bool:
    """A live answer that names its model can never be shown blind to anyone else."""
    sides = [ballot.response_a_id, ballot.response_b_id]
    texts = session.scalars(_TEXTS, {"response_ids": sides})
    return any(self_identifies(text) for text in texts)


def _check_votable(session: Session, ballot, voter_id: int) -> None:
    """Refuse votes on withdrawn pairs and second judgements of a pair by the same voter."""
    if ballot.chat_status == "withdrawn":
        raise Conflict("This pair was withdrawn by its contributor; nothing was recorded.")
    judged = session.execute(_JUDGED_PAIRS, {"voter_id": voter_id, "prompt_id": ballot.prompt_id})
    model_ids = {ballot.model_a_id, ballot.model_b_id}
    if any({a, b} == model_ids for a, b in judged):
        raise Conflict("You have already judged this pair; nothing was recorded.")


def _models_of(session: Session, battle: Battle) -> tuple[LanguageModel, LanguageModel]:
    rows = session.execute(
        select(Response.id, LanguageModel)
        .join(LanguageModel, LanguageModel.id == Response.model_id)
        .where(Response.id.in_((battle.response_a_id, battle.response_b_id)))
    ).all()
    return dict(rows)[battle.response_a_id], dict(rows)[battle.response_b_id]


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
    served = battle.__dict__.get(_SERVED_VIEW)
    if served is not None:
        return dict(served)
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

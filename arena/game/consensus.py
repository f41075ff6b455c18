"""Consensus on a pair: once enough votes agree, every counted vote on the pair gets a verdict.

Only live votes of counted voters (voting/trust.py) make or receive a consensus: imported
votes are public, so copying them would be agreement for free, and accounts on probation
could otherwise decide a fresh pair as a bloc."""

from collections import Counter
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from arena.game.rules import Rules
from arena.models import Vote, VoteVerdict
from arena.voting.trust import COUNTED


def outcome(model_a_id: int, model_b_id: int, choice: str) -> str:
    """The vote's verdict independent of screen side: the winner's model id, tie or both_bad."""
    if choice == "a":
        return str(model_a_id)
    if choice == "b":
        return str(model_b_id)
    return choice


def consensus_outcome(outcomes: list[str], min_votes: int, majority: float) -> str | None:
    """The outcome held by more than `majority` of at least `min_votes` votes, if any."""
    if len(outcomes) < min_votes:
        return None
    leader, count = Counter(outcomes).most_common(1)[0]
    return leader if count > majority * len(outcomes) else None


_votes, _verdicts = Vote.__table__, VoteVerdict.__table__
# Built once, with bound parameters (voting/battles.py).
_PAIR_VOTES = select(
    _votes.c.id, _votes.c.voter_id, _votes.c.model_a_id, _votes.c.model_b_id, _votes.c.choice
).where(
    _votes.c.prompt_id == bindparam("prompt_id"),
    _votes.c.id <= bindparam("vote_id"),
    _votes.c.voter_trust == COUNTED,
    or_(
        and_(_votes.c.model_a_id == bindparam("a"), _votes.c.model_b_id == bindparam("b")),
        and_(_votes.c.model_a_id == bindparam("b"), _votes.c.model_b_id == bindparam("a")),
    ),
)
_DECIDED = select(_verdicts.c.vote_id).where(
    _verdicts.c.vote_id.in_(bindparam("vote_ids", expanding=True))
)


def _pair_votes(session: Session, vote: Vote) -> list[tuple[int, int | None, str]]:
    """(vote id, voter id, outcome) of the votes on this prompt and model pair, up to this vote."""
    rows = session.execute(
        _PAIR_VOTES,
        {
            "prompt_id": vote.prompt_id,
            "vote_id": vote.id,
            "a": vote.model_a_id,
            "b": vote.model_b_id,
        },
    )
    return [(vid, voter, outcome(ma, mb, choice)) for vid, voter, ma, mb, choice in rows]


def decide_verdicts(session: Session, vote: Vote, rules: Rules, at: datetime) -> list[VoteVerdict]:
    """Give verdicts to the pair's counted votes that have none yet, if a consensus exists now."""
    votes = _pair_votes(session, vote)
    agreed = consensus_outcome(
        [o for _, _, o in votes], rules.consensus_min_votes, rules.consensus_majority
    )
    if agreed is None:
        return []
    live = {vote_id: (voter, o) for vote_id, voter, o in votes if voter is not None}
    session.flush()  # verdicts given earlier in this transaction count as decided
    decided = set(session.scalars(_DECIDED, {"vote_ids": list(live)}))
    verdicts = [
        VoteVerdict(vote_id=vote_id, voter_id=voter, agrees=o == agreed, decided_at=at)
        for vote_id, (voter, o) in sorted(live.items())
        if vote_id not in decided
    ]
    session.add_all(verdicts)
    return verdicts

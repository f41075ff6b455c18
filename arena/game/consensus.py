"""Consensus on a pair: once enough votes agree, every live vote on the pair gets a verdict."""

from collections import Counter
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from arena.game.rules import Rules
from arena.models import Vote, VoteVerdict


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


def _pair_votes(session: Session, vote: Vote) -> list[tuple[int, int | None, str]]:
    """(vote id, voter id, outcome) of the votes on this prompt and model pair, up to this vote."""
    a, b = vote.model_a_id, vote.model_b_id
    rows = session.execute(
        select(Vote.id, Vote.voter_id, Vote.model_a_id, Vote.model_b_id, Vote.choice).where(
            Vote.prompt_id == vote.prompt_id,
            Vote.id <= vote.id,
            or_(
                and_(Vote.model_a_id == a, Vote.model_b_id == b),
                and_(Vote.model_a_id == b, Vote.model_b_id == a),
            ),
        )
    )
    return [(vid, voter, outcome(ma, mb, choice)) for vid, voter, ma, mb, choice in rows]


def decide_verdicts(session: Session, vote: Vote, rules: Rules, at: datetime) -> list[VoteVerdict]:
    """Give verdicts to the pair's live votes that have none yet, if a consensus exists now."""
    votes = _pair_votes(session, vote)
    agreed = consensus_outcome(
        [o for _, _, o in votes], rules.consensus_min_votes, rules.consensus_majority
    )
    if agreed is None:
        return []
    live = {vote_id: (voter, o) for vote_id, voter, o in votes if voter is not None}
    decided = set(session.scalars(select(VoteVerdict.vote_id).where(VoteVerdict.vote_id.in_(live))))
    verdicts = [
        VoteVerdict(vote_id=vote_id, voter_id=voter, agrees=o == agreed, decided_at=at)
        for vote_id, (voter, o) in sorted(live.items())
        if vote_id not in decided
    ]
    session.add_all(verdicts)
    return verdicts

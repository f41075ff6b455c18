"""What a flagged voter is told and may appeal, and what moderators see and decide.

A voter sees, per community, how much their votes weigh and which tests found what, in words;
one appeal may be pending at a time. A moderator's "cleared" makes the voter count in full at
once and in every later scan; "upheld" leaves the scan's weights as they are.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.models import Appeal, Community, IntegrityFlag, User, VoterWeight

MAX_APPEAL = 2000
DECISIONS = ("cleared", "upheld")
TEST_NAMES = {
    "affinity": "votes for one model far more often than the board predicts",
    "selective": "skips that depend on which models were shown",
    "burst": "many votes in a few minutes",
    "bloc": "choices that match another group of accounts far beyond chance",
}


@dataclass
class Standing:
    community: str
    weight: float
    findings: list[str] = field(default_factory=list)


def my_standing(session: Session, voter_id: int) -> list[Standing]:
    """Communities where the voter's votes weigh less than in full, with the reasons."""
    rows = session.execute(
        select(Community.slug, Community.id, VoterWeight.weight)
        .join(Community, Community.id == VoterWeight.community_id)
        .where(VoterWeight.voter_id == voter_id)
        .order_by(Community.slug)
    ).all()
    standings = []
    for slug, community_id, weight in rows:
        tests = session.scalars(
            select(IntegrityFlag.test)
            .where(IntegrityFlag.voter_id == voter_id, IntegrityFlag.community_id == community_id)
            .distinct()
        )
        standings.append(Standing(slug, weight, sorted(TEST_NAMES[t] for t in tests)))
    return standings


def pending_appeal(session: Session, voter_id: int) -> Appeal | None:
    return session.scalar(
        select(Appeal).where(Appeal.voter_id == voter_id, Appeal.decision.is_(None))
    )


def file_appeal(session: Session, voter_id: int, text: str, at: datetime) -> Appeal:
    text = (text or "").strip()
    if not text or len(text) > MAX_APPEAL or "\x00" in text:
        raise InvalidInput(f"Explain your appeal in 1 to {MAX_APPEAL} characters.")
    if not my_standing(session, voter_id):
        raise Conflict("Your votes count in full everywhere: there is nothing to appeal.")
    if pending_appeal(session, voter_id) is not None:
        raise Conflict("Your earlier appeal is still waiting for a moderator.")
    appeal = Appeal(voter_id=voter_id, text=text, created_at=at)
    session.add(appeal)
    session.flush()
    return appeal


def decide(
    session: Session, appeal_id: int, moderator_id: int, decision: str, at: datetime
) -> Appeal:
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}.")
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("No such appeal.")
    if appeal.decision is not None:
        raise Conflict(f"This appeal was already {appeal.decision}.")
    appeal.decision, appeal.decided_by, appeal.decided_at = decision, moderator_id, at
    if decision == "cleared":
        session.execute(delete(VoterWeight).where(VoterWeight.voter_id == appeal.voter_id))
    session.flush()
    return appeal


@dataclass
class Case:
    """One flagged voter as moderators see them."""

    voter_id: int
    username: str
    weights: dict[str, float]
    flags: list[dict]
    appeal: Appeal | None


def cases(session: Session) -> list[Case]:
    """Every voter with flags or a pending appeal, pending appeals first."""
    names = dict(session.execute(select(Community.id, Community.slug)).tuples().all())
    by_voter: dict[int, Case] = {}

    def case(voter_id: int) -> Case:
        if voter_id not in by_voter:
            user = session.get(User, voter_id)
            by_voter[voter_id] = Case(voter_id, user.username, {}, [], None)
        return by_voter[voter_id]

    for weight in session.scalars(select(VoterWeight)):
        case(weight.voter_id).weights[names[weight.community_id]] = weight.weight
    for flag in session.scalars(select(IntegrityFlag).order_by(IntegrityFlag.id)):
        case(flag.voter_id).flags.append(
            {
                "community": names[flag.community_id],
                "test": flag.test,
                "meaning": TEST_NAMES.get(flag.test, flag.test),
                "subject": flag.subject,
                "q_value": flag.q_value,
                "evidence": flag.evidence,
            }
        )
    for appeal in session.scalars(select(Appeal).where(Appeal.decision.is_(None))):
        case(appeal.voter_id).appeal = appeal
    return sorted(by_voter.values(), key=lambda c: (c.appeal is None, c.username))

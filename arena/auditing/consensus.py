"""When the audits of a shared chat decide it, under its community's rules (seeds/auditing.json).

`decide_at` agreeing audits decide: accepts, or rejects whatever their reasons (the most common
reason is recorded). A moderator's audit is binding at once. `dispute_at` audits without a
decision send the chat to the community's moderators.

A low-confidence audit counts towards `dispute_at` but not towards the agreement that decides,
as Wikibench weighs its uncertain labels: with binary verdicts, `dispute_at` audits could
otherwise never fail to decide (five audits always hold three that agree). So two accepts, two
rejects and one unsure accept are disputed.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.auditing import decisions
from arena.auditing.settings import AuditRules
from arena.models import Audit
from arena.models.chats import ACCEPTED, DISPUTED, PENDING, REJECTED, SharedChat

ACCEPT, REJECT = "accept", "reject"
VERDICTS = (ACCEPT, REJECT)
DECIDED = (ACCEPTED, REJECTED)


@dataclass(frozen=True)
class Verdict:
    """One audit as the consensus reads it."""

    verdict: str  # accept | reject
    reason: str | None = None
    low_confidence: bool = False
    by_moderator: bool = False


@dataclass(frozen=True)
class Outcome:
    status: str  # pending | accepted | rejected | disputed
    reason: str | None = None  # why rejected


def tally(verdicts: list[Verdict], rules: AuditRules) -> Outcome:
    """What the audits of a chat, in the order they came, decide."""
    binding = [v for v in verdicts if v.by_moderator]
    if binding:
        return _outcome(binding[-1].verdict, [binding[-1]])
    confident = [v for v in verdicts if not v.low_confidence]
    for verdict in VERDICTS:
        agreeing = [v for v in confident if v.verdict == verdict]
        if len(agreeing) >= rules.decide_at:
            return _outcome(verdict, agreeing)
    if len(verdicts) >= rules.dispute_at:
        return Outcome(DISPUTED)
    return Outcome(PENDING)


def _outcome(verdict: str, agreeing: list[Verdict]) -> Outcome:
    if verdict == ACCEPT:
        return Outcome(ACCEPTED)
    # Counter keeps first-seen order among equals: a tie goes to the reason given first.
    reasons = Counter(v.reason for v in agreeing if v.reason)
    return Outcome(REJECTED, reasons.most_common(1)[0][0] if reasons else None)


def counted_audits(session: Session, chat_id: int) -> list[Audit]:
    """The audits that take part in the chat's decision (known-answer ones never do)."""
    return list(
        session.scalars(
            select(Audit)
            .where(Audit.chat_id == chat_id, Audit.known_answer.is_(False))
            .order_by(Audit.created_at, Audit.id)
        )
    )


def settle(session: Session, chat: SharedChat, rules: AuditRules, now: datetime) -> Outcome:
    """Decide the chat if its audits now do, through `decisions`; returns the outcome (its
    status unchanged when still pending, or disputed again)."""
    outcome = tally(
        [
            Verdict(a.verdict, a.reason, a.low_confidence, a.by_moderator)
            for a in counted_audits(session, chat.id)
        ],
        rules,
    )
    if outcome.status == ACCEPTED:
        decisions.accept(session, chat, now)
    elif outcome.status == REJECTED:
        decisions.reject(session, chat, outcome.reason, now)
    elif outcome.status == DISPUTED and chat.review_status != DISPUTED:
        decisions.dispute(chat, now)
    return outcome

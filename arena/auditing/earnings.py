"""What audits earn, in the audit's unit of work: the audit badges for every audit, and once a
chat is decided, points for its contributor and for the auditors who agreed with the decision.

Points go through the ledger as a vote's do (`game.awards`): once per user, reason and
reference, so deciding a chat twice awards nothing twice.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from arena.auditing.consensus import DECIDED, Outcome, counted_audits
from arena.core.events import Event
from arena.game import awards, badges
from arena.game.rules import Rules
from arena.models import Community
from arena.models.chats import ACCEPTED, SharedChat

SPAM = "spam"
AUDIT_ACTION = "audit"  # the badges' action (seeds/gamification/badges.json)


def for_audit(
    session: Session, rules: Rules, auditor_id: int, community: Community, at: datetime
) -> list[Event]:
    """The audit badges (Auditor, Gold Auditor) the auditor reaches with this audit."""
    earned = badges.award_activity_badges(session, rules, auditor_id, None, at, {AUDIT_ACTION})
    return awards.award_events(session, [], earned, community.slug, at)


def for_decision(
    session: Session,
    rules: Rules,
    chat: SharedChat,
    outcome: Outcome,
    community: Community,
    at: datetime,
) -> list[Event]:
    """Points a decision earns: `chat_accepted` or `chat_rejected_spam` to the contributor,
    `audit_agrees` to each auditor whose verdict matches. A moderator's binding audit earns
    nothing for agreeing with itself."""
    if outcome.status not in DECIDED:
        return []
    verdict = "accept" if outcome.status == ACCEPTED else "reject"
    agreeing = [
        audit
        for audit in counted_audits(session, chat.id)
        if audit.verdict == verdict and not audit.by_moderator
    ]
    owed = [(audit.auditor_id, "audit_agrees", ("audit", audit.id)) for audit in agreeing]
    if outcome.status == ACCEPTED:
        owed.append((chat.contributor_id, "chat_accepted", ("chat", chat.id)))
    elif outcome.reason == SPAM:
        owed.append((chat.contributor_id, "chat_rejected_spam", ("chat", chat.id)))
    return awards.award_points(session, rules, sorted(owed), community, at)

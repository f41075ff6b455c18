"""Reviewing a shared chat: the auditor's verdict recorded, the chat decided when the audits
agree, and what that earns, all in the caller's unit of work (events to publish after it).

Whether an audit is a known-answer check follows from the chat it is on, never from the form:
a chat already decided (by a moderator, or by unanimous audits) tests the auditor, records
whether they matched the decision and takes no part in it. A moderator's audit is binding.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.auditing import consensus, earnings, queue, roles
from arena.auditing.consensus import ACCEPT, DECIDED, REJECT, VERDICTS
from arena.auditing.settings import AuditSettings
from arena.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from arena.core.events import Event
from arena.core.i18n import N_
from arena.game.rules import Rules
from arena.models import Audit, Community, User
from arena.models.chats import DISPUTED, PENDING, SharedChat

PERSONAL_DATA = "personal_data"  # a reject reason that takes a redaction suggestion
MAX_TEXT = 2000


@dataclass(frozen=True)
class AuditForm:
    verdict: str  # accept | reject
    reason: str | None = None  # required to reject: one of the settings' reject_reasons
    note: str = ""
    suggestion: str = ""  # the redaction proposed, for personal data left in
    low_confidence: bool = False


@dataclass(frozen=True)
class AuditOutcome:
    audit_id: int
    known_answer: bool
    passed: bool | None  # known-answer audits: did the verdict match the decision
    status: str  # the chat's review status after this audit
    reason: str | None  # why it was rejected, when it was
    events: list[Event] = field(default_factory=list)


def checked(form: AuditForm, settings: AuditSettings) -> AuditForm:
    """The form as it will be stored, or InvalidInput saying what is wrong."""
    if form.verdict not in VERDICTS:
        raise InvalidInput("Choose accept or reject.")
    if len(form.note) > MAX_TEXT or len(form.suggestion) > MAX_TEXT:
        raise InvalidInput(f"Notes and suggestions take at most {MAX_TEXT} characters.")
    if form.verdict == ACCEPT:
        return AuditForm(ACCEPT, None, form.note.strip(), "", form.low_confidence)
    if form.reason not in settings.reject_reasons:
        reasons = ", ".join(settings.reject_reasons)
        raise InvalidInput(f"To reject, give one of these reasons: {reasons}.")
    suggestion = form.suggestion.strip() if form.reason == PERSONAL_DATA else ""
    if form.reason == PERSONAL_DATA and not suggestion:
        raise InvalidInput("Say what should be redacted: the personal data left in, and where.")
    return AuditForm(REJECT, form.reason, form.note.strip(), suggestion, form.low_confidence)


def _locked_chat(session: Session, chat_id: int, community: Community) -> SharedChat:
    """The chat, its row locked so that audits of one chat are decided one after another."""
    chat = session.scalar(select(SharedChat).where(SharedChat.id == chat_id).with_for_update())
    if chat is None or chat.community_id != community.id or chat.status != "published":
        raise NotFound(f"There is no such shared chat to review in {community.name}.")
    return chat


def _reviewed(session: Session, chat_id: int, auditor_id: int) -> bool:
    """Read under the chat's lock, so a second audit of one person is seen here."""
    mine = select(Audit.id).where(Audit.chat_id == chat_id, Audit.auditor_id == auditor_id)
    return session.scalar(mine) is not None


def _kind(session: Session, chat: SharedChat, moderator: bool) -> bool:
    """True for a known-answer audit; Conflict when the chat takes no audit from this person."""
    if chat.review_status == PENDING or (moderator and chat.review_status == DISPUTED):
        return False
    if not moderator and chat.review_status in DECIDED and queue.is_known_answer(session, chat.id):
        return True
    raise Conflict("This chat no longer waits for review; nothing was recorded.")


def submit(
    session: Session,
    auditor: User,
    community: Community,
    chat_id: int,
    form: AuditForm,
    *,
    rules: Rules,
    settings: AuditSettings,
    now: datetime,
) -> AuditOutcome:
    """Record the auditor's verdict on a chat and settle what follows from it. The caller has
    checked `roles.audits`."""
    form = checked(form, settings)
    chat = _locked_chat(session, chat_id, community)
    if chat.contributor_id == auditor.id:
        raise Forbidden("You shared this chat: others review it.")
    if _reviewed(session, chat.id, auditor.id):
        raise Conflict("You have reviewed this chat already; nothing was changed.")
    moderator = roles.is_moderator(session, auditor, community)
    known = _kind(session, chat, moderator)
    audit = _record(session, chat, auditor, form, moderator, known, now)
    events = earnings.for_audit(session, rules, auditor.id, community, now)
    if known:
        status, reason = chat.review_status, chat.review_reason
        return AuditOutcome(audit.id, True, audit.passed, status, reason, events)
    outcome = consensus.settle(session, chat, settings.rules_for(community.slug), now)
    events += earnings.for_decision(session, rules, chat, outcome, community, now)
    return AuditOutcome(audit.id, False, None, chat.review_status, chat.review_reason, events)


def _record(session, chat, auditor, form: AuditForm, moderator, known, now) -> Audit:
    audit = Audit(
        chat_id=chat.id,
        auditor_id=auditor.id,
        verdict=form.verdict,
        reason=form.reason,
        note=form.note,
        suggestion=form.suggestion,
        low_confidence=form.low_confidence,
        by_moderator=moderator and not known,
        known_answer=known,
        passed=form.verdict == queue.expected_verdict(chat) if known else None,
        created_at=now,
    )
    session.add(audit)
    session.flush()
    return audit


def summary(outcome: AuditOutcome, settings: AuditSettings) -> tuple[str, str, str | None]:
    """What the auditor is told once they have decided (a known answer's result only now): a
    message marked for translation with a %(decided)s place, the status and the reason's label."""
    label = None
    if outcome.status in DECIDED and outcome.reason:
        label = settings.reject_reasons.get(outcome.reason, outcome.reason).lower()
    if outcome.known_answer and outcome.passed:
        message = N_(
            "This was a check with a known answer: the chat was %(decided)s, and your review"
            " matched it. Failing several checks pauses reviewing for a while."
        )
    elif outcome.known_answer:
        message = N_(
            "This was a check with a known answer: the chat was %(decided)s, and your review"
            " did not match it. Failing several checks pauses reviewing for a while."
        )
    elif outcome.status == PENDING:
        message = N_("Thank you: your review is recorded. The chat waits for more reviews.")
    elif outcome.status == DISPUTED:
        message = N_("Thank you: reviews of this chat disagree, so its moderators decide.")
    else:
        message = N_("Thank you: with your review the chat is %(decided)s.")
    return message, outcome.status, label

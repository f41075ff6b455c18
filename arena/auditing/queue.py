"""A community's audit queue: which shared chat an auditor reviews next, shown anonymised.

An auditor is given the oldest pending chat of the community that they neither shared nor
audited, or, with the community's `known_answer_share`, a known-answer item: a chat already
decided by a moderator or by unanimous audits, which tests the auditor (as Stack Exchange's
review audits). Both look the same: the item carries no sign of its kind, no contributor and
no model name (auditors judge whether an answer gives its model away; the ids would let them
unblind battles). When nothing is pending the queue is empty, known-answer items included, so
an item alone never says it is a test.
"""

import random
import re
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, or_, select
from sqlalchemy.orm import Session, aliased

from arena.auditing import roles
from arena.auditing.consensus import ACCEPT, REJECT
from arena.auditing.settings import AuditRules
from arena.chats.drafts import segments  # the preview's highlighting of placeholders
from arena.chats.identity import self_identifies
from arena.chats.pii.recognisers import KINDS
from arena.chats.redact import MANUAL
from arena.models import Audit, Community, User
from arena.models.chats import ACCEPTED, PENDING, REJECTED, SharedChat, SharedMessage

# Every "[KIND]" that redaction writes (chats.redact), to mark them in stored text.
PLACEHOLDER_KINDS = (
    *KINDS.values(),
    *("CREDIT_CARD", "PHONE", "IBAN", "IP_ADDRESS", "ADDRESS", "PERSON", MANUAL),
)
PLACEHOLDER = re.compile(r"\[(" + "|".join(map(re.escape, sorted(set(PLACEHOLDER_KINDS)))) + r")\]")


@dataclass(frozen=True)
class AuditMessage:
    role: str
    speaker: str  # "User", or "Model 1", "Model 2"... in order of first answer
    segments: list[dict]  # plain text and placeholders: {"text", "kind"}
    self_identifies: bool  # the answer says which model wrote it


@dataclass(frozen=True)
class AuditItem:
    """What an auditor sees of a chat: never its contributor, model names or review state."""

    chat_id: int
    title: str
    tags: list[str]
    notes: str
    redactions: dict[str, int]
    messages: list[AuditMessage]


def expected_verdict(chat: SharedChat) -> str:
    return ACCEPT if chat.review_status == ACCEPTED else REJECT


def _open_to(auditor_id: int):
    """Chats this auditor may be given: published, not theirs, not audited by them."""
    mine = aliased(Audit)
    return and_(
        SharedChat.status == "published",
        SharedChat.contributor_id != auditor_id,
        ~exists().where(mine.chat_id == SharedChat.id, mine.auditor_id == auditor_id),
    )


def _known_answer():
    """Decided by a moderator's binding audit, or by counted audits that all agree."""
    counted = aliased(Audit)
    expected = case((SharedChat.review_status == ACCEPTED, ACCEPT), else_=REJECT)
    of_chat = and_(counted.chat_id == SharedChat.id, counted.known_answer.is_(False))
    return and_(
        SharedChat.review_status.in_((ACCEPTED, REJECTED)),
        or_(
            exists().where(of_chat, counted.by_moderator.is_(True), counted.verdict == expected),
            and_(exists().where(of_chat), ~exists().where(of_chat, counted.verdict != expected)),
        ),
    )


def is_known_answer(session: Session, chat_id: int) -> bool:
    return bool(session.scalar(select(_known_answer()).where(SharedChat.id == chat_id)))


def _oldest_pending(session: Session, auditor_id: int, community_id: int) -> int | None:
    return session.scalar(
        select(SharedChat.id)
        .where(SharedChat.community_id == community_id, SharedChat.review_status == PENDING)
        .where(_open_to(auditor_id))
        .order_by(SharedChat.created_at, SharedChat.id)
        .limit(1)
    )


def _some_known_answer(
    session: Session, auditor_id: int, community_id: int, rng: random.Random
) -> int | None:
    candidates = session.scalars(
        select(SharedChat.id)
        .where(SharedChat.community_id == community_id, _known_answer(), _open_to(auditor_id))
        .order_by(SharedChat.id)
    ).all()
    return rng.choice(candidates) if candidates else None


def _still_open(session: Session, chat_id: int, auditor_id: int, community_id: int) -> bool:
    """An item served before and not reviewed yet, so a reload shows it again (a new draw on
    reload would tell a known-answer item from the oldest pending one)."""
    servable = or_(SharedChat.review_status == PENDING, _known_answer())
    return (
        session.scalar(
            select(SharedChat.id).where(
                SharedChat.id == chat_id,
                SharedChat.community_id == community_id,
                _open_to(auditor_id),
                servable,
            )
        )
        is not None
    )


def next_chat_id(
    session: Session,
    auditor: User,
    community: Community,
    rules: AuditRules,
    rng: random.Random,
    held: int | None = None,
) -> int | None:
    """The chat this auditor reviews next (None: nothing waits). `held` is the item served to
    them before; `rng` draws known-answer items (seeded in tests). Moderators get none: their
    audits are binding, so there is nothing to test them against."""
    if held is not None and _still_open(session, held, auditor.id, community.id):
        return held
    pending = _oldest_pending(session, auditor.id, community.id)
    if pending is None:
        return None
    if roles.is_moderator(session, auditor, community):
        return pending
    if rng.random() < rules.known_answer_share:
        return _some_known_answer(session, auditor.id, community.id, rng) or pending
    return pending


def next_item(
    session: Session,
    auditor: User,
    community: Community,
    rules: AuditRules,
    rng: random.Random,
    held: int | None = None,
) -> AuditItem | None:
    """As `next_chat_id`, shown anonymised."""
    chat_id = next_chat_id(session, auditor, community, rules, rng, held)
    return anonymised(session, chat_id) if chat_id is not None else None


def anonymised(session: Session, chat_id: int) -> AuditItem:
    chat = session.get(SharedChat, chat_id)
    rows = session.scalars(
        select(SharedMessage)
        .where(SharedMessage.chat_id == chat_id)
        .order_by(SharedMessage.position)
    )
    speakers: dict[str | None, str] = {}
    messages = []
    for row in rows:
        answer = row.role == "assistant"
        speaker = "User" if row.role == "user" else row.role.title()
        if answer:
            speaker = speakers.setdefault(row.model_name, f"Model {len(speakers) + 1}")
        messages.append(
            AuditMessage(
                role=row.role,
                speaker=speaker,
                segments=segments(row.content, placeholder_marks_in(row.content)),
                self_identifies=answer and self_identifies(row.content),
            )
        )
    return AuditItem(
        chat_id=chat.id,
        title=chat.title,
        tags=list(chat.tags or []),
        notes=chat.notes,
        redactions=dict(chat.redaction_counts or {}),
        messages=messages,
    )


def placeholder_marks_in(text: str) -> list[tuple[int, int, str]]:
    """Where redaction placeholders sit in stored (scrubbed) text, as the preview marks them."""
    return [(found.start(), found.end(), found.group(1)) for found in PLACEHOLDER.finditer(text)]

"""Chats whose audits disagreed past the community's limit, for its moderators to decide.

Moderators see them as auditors do (no contributor, no model names) with the audits given,
each named only by its order: the decision is on the chat, not on who reviewed it.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.auditing.consensus import counted_audits
from arena.auditing.queue import AuditItem, anonymised
from arena.models import Community
from arena.models.chats import DISPUTED, SharedChat


@dataclass(frozen=True)
class AuditShown:
    verdict: str
    reason: str | None
    note: str
    suggestion: str
    low_confidence: bool


@dataclass(frozen=True)
class DisputedChat:
    item: AuditItem
    audits: list[AuditShown]
    shared_by_viewer: bool  # a moderator never decides their own chat


def disputed(session: Session, community: Community, viewer_id: int) -> list[DisputedChat]:
    """The community's disputed chats, oldest first."""
    chats = session.execute(
        select(SharedChat.id, SharedChat.contributor_id)
        .where(
            SharedChat.community_id == community.id,
            SharedChat.review_status == DISPUTED,
            SharedChat.status == "published",
        )
        .order_by(SharedChat.created_at, SharedChat.id)
    ).all()
    return [
        DisputedChat(
            item=anonymised(session, chat_id),
            audits=[
                AuditShown(a.verdict, a.reason, a.note, a.suggestion, a.low_confidence)
                for a in counted_audits(session, chat_id)
            ],
            shared_by_viewer=contributor_id == viewer_id,
        )
        for chat_id, contributor_id in chats
    ]

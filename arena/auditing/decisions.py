"""What a decision on a shared chat does: an accepted chat's pairs enter the arena (and its
rows the data sets), a rejected chat's leave. Votes already cast stay in the log; data sets
leave out votes on rejected chats."""

from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from arena.chats.identity import self_identifies
from arena.models import Battle, ContentFlag, Prompt, Response
from arena.models.chats import ACCEPTED, DISPUTED, REJECTED, SharedChat


def accept(session: Session, chat: SharedChat, now: datetime) -> None:
    chat.review_status, chat.review_reason, chat.reviewed_at = ACCEPTED, None, now
    if chat.status != "published":
        return  # withdrawn meanwhile: nothing of it may be served
    ready = _servable(session, chat.id)
    if ready:
        session.execute(
            update(Prompt)
            .where(Prompt.id.in_(ready))
            .values(is_active=True)
            .execution_options(synchronize_session=False)
        )


def _servable(session: Session, chat_id: int) -> list[int]:
    """The chat's prompts that may be served: none a moderator removed; a custom battle's only
    once its asker judged it and if neither live answer names its model (mined pairs left
    such answers out already)."""
    asker_voted = exists().where(Battle.prompt_id == Prompt.id, Battle.status == "voted")
    rows = session.execute(
        select(Prompt.id, Prompt.origin, Response.text)
        .join(Response, Response.prompt_id == Prompt.id)
        .where(Prompt.shared_chat_id == chat_id, ~removed_by_moderator(Prompt.id))
        .where((Prompt.origin != "custom") | asker_voted)
    ).all()
    names_itself = {
        pid for pid, origin, text in rows if origin == "custom" and self_identifies(text)
    }
    return sorted({pid for pid, _, _ in rows} - names_itself)


def removed_by_moderator(prompt_id):
    """A moderator removed this prompt (an upheld flag): nothing may serve it again."""
    return exists().where(
        ContentFlag.prompt_id == prompt_id,
        ContentFlag.status == "upheld",
        ContentFlag.resolution == "remove",
    )


def reject(session: Session, chat: SharedChat, reason: str | None, now: datetime) -> None:
    chat.review_status, chat.review_reason, chat.reviewed_at = REJECTED, reason, now
    session.execute(
        update(Prompt)
        .where(Prompt.shared_chat_id == chat.id)
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )


def dispute(chat: SharedChat, now: datetime) -> None:
    """Audits disagree past the community's limit: moderators decide."""
    chat.review_status, chat.reviewed_at = DISPUTED, now


def served_prompt_ids(session: Session, chat_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Prompt.id).where(Prompt.shared_chat_id == chat_id, Prompt.is_active.is_(True))
        )
    )

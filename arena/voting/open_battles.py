"""A voter's open battle: shown again on reload, skipped once it has waited too long."""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arena.core.communities import find_community
from arena.models import Battle, Prompt, utcnow
from arena.voting.battles import serve_battle

DEFAULT_BATTLE_EXPIRY = timedelta(minutes=30)


def current_or_new_battle(
    session: Session,
    voter_id: int,
    community_slug: str | None = None,
    *,
    expiry: timedelta = DEFAULT_BATTLE_EXPIRY,
    now: datetime | None = None,
    language: str | None = None,
) -> Battle:
    """The voter's open battle here (in `language`, if given), or a new one: reloads must not
    pile up battles or bump exposure. Open battles older than `expiry` become skipped first."""
    now = now or utcnow()
    expire_open_battles(session, voter_id, now - expiry, now)
    community = find_community(session, community_slug)
    waiting = session.scalar(
        select(Battle)
        .join(Prompt, Prompt.id == Battle.prompt_id)
        .where(
            Battle.voter_id == voter_id,
            Battle.community_id == community.id,
            Battle.status == "open",
            Prompt.origin != "custom",
            Prompt.language == language if language else True,
        )
        .order_by(Battle.id.desc())
        .limit(1)
    )
    return waiting or serve_battle(session, voter_id, community.slug, language=language)


def expire_open_battles(session: Session, voter_id: int | None, cutoff: datetime, now) -> int:
    """Record battles served before `cutoff` and never voted on as skipped (all voters when
    `voter_id` is None). Custom battles wait for their asker: they cost a generation."""
    custom = select(Prompt.id).where(Prompt.origin == "custom")
    query = update(Battle).where(
        Battle.status == "open", Battle.served_at < cutoff, Battle.prompt_id.not_in(custom)
    )
    if voter_id is not None:
        query = query.where(Battle.voter_id == voter_id)
    result = session.execute(
        query.values(status="skipped", skipped_at=now).execution_options(synchronize_session=False)
    )
    return result.rowcount

"""The shared prompt library: share, upvote, comment, and list by top, new or answer rating."""

import json
import re
from datetime import datetime

from sqlalchemy import Float, String, case, cast, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from arena.core.clock import as_utc
from arena.core.communities import find_community
from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.core.events import Event
from arena.core.i18n import N_
from arena.game import awards, points
from arena.game.rules import Rules, default_rules
from arena.models import OVERALL, Prompt, Vote, utcnow
from arena.models.library import PromptComment, PromptShare, PromptUpvote

SORTS = ("top", "new", "rated")
TITLE_LENGTH = (3, 120)
MAX_TEXT = 4000
MAX_SYSTEM_PROMPT = 2000
MAX_COMMENT = 2000
MAX_TAGS = 8
TAG_PATTERN = re.compile(r"[\w .+#-]{1,30}")
LIBRARY_SIZE = 50


def _checked_text(name: str, value, low: int, high: int) -> str:
    if not isinstance(value, str | None):
        raise InvalidInput(f"{name} must be text.")
    value = (value or "").strip()
    if not low <= len(value) <= high:
        if low == 0:
            raise InvalidInput(f"{name} is limited to {high:,} characters.")
        raise InvalidInput(f"{name} must be {low} to {high:,} characters long.")
    return value


def _checked_tags(tags) -> list[str]:
    """Lower-cased, de-duplicated tags, so filtering by a tag ignores case."""
    if not isinstance(tags, list | tuple):
        raise InvalidInput("tags must be a list of words.")
    cleaned = []
    for tag in tags:
        tag = str(tag).strip().lower()
        if not tag or tag in cleaned:
            continue
        if not TAG_PATTERN.fullmatch(tag):
            raise InvalidInput(f"tag {tag[:30]!r}: use up to 30 letters, digits, spaces or .+#-")
        cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(f"A prompt can have at most {MAX_TAGS} tags.")
    return cleaned


def share_prompt(
    session: Session,
    author_id: int,
    community_slug: str | None,
    title: str,
    text: str,
    system_prompt: str = "",
    tags=(),
) -> PromptShare:
    """Add a prompt to the library; nothing is stored unless every field is valid."""
    title = _checked_text("The title", title, *TITLE_LENGTH)
    text = _checked_text("The prompt", text, 1, MAX_TEXT)
    system_prompt = _checked_text("The system prompt", system_prompt, 0, MAX_SYSTEM_PROMPT)
    tags = _checked_tags(tags)
    community = find_community(session, community_slug)
    shared = PromptShare(
        author_id=author_id,
        community_id=community.id,
        title=title,
        text=text,
        system_prompt=system_prompt,
        tags=tags,
    )
    session.add(shared)
    session.flush()  # the caller links to it by id
    return shared


def _shared(session: Session, prompt_id: int) -> PromptShare:
    shared = session.get(PromptShare, prompt_id)
    if shared is None:
        raise NotFound(N_("There is no such prompt in the library."))
    return shared


def upvote(
    session: Session,
    user_id: int,
    prompt_id: int,
    *,
    at: datetime | None = None,
    rules: Rules | None = None,
) -> list[Event]:
    """One upvote per person; the author earns points. Returns events to publish after commit."""
    at, rules = at or utcnow(), rules or default_rules()
    shared = _shared(session, prompt_id)
    if shared.author_id == user_id:
        raise InvalidInput("You can't upvote your own prompt.")
    community = shared.community
    # Locking the author's totals also queues a person's concurrent upvotes of one prompt.
    points.lock_totals(session, [shared.author_id], (OVERALL, community.slug))
    if _has_upvoted(session, user_id, prompt_id):
        raise Conflict("You have already upvoted this prompt.")
    row = PromptUpvote(prompt_share_id=prompt_id, user_id=user_id, created_at=at)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("You have already upvoted this prompt.") from None
    award = points.award(
        session,
        rules,
        user_id=shared.author_id,
        reason="prompt_upvoted",
        ref=("upvote", row.id),
        at=at,
        community=(community.id, community.slug),
    )
    events = awards.award_events(session, [award] if award else [], [], community.slug, at)
    return events


def _has_upvoted(session: Session, user_id: int, prompt_id: int) -> bool:
    return session.scalar(
        select(
            exists().where(
                PromptUpvote.prompt_share_id == prompt_id, PromptUpvote.user_id == user_id
            )
        )
    )


def comment(session: Session, user_id: int, prompt_id: int, text: str) -> PromptComment:
    text = _checked_text("A comment", text, 1, MAX_COMMENT)
    _shared(session, prompt_id)
    row = PromptComment(prompt_share_id=prompt_id, author_id=user_id, text=text)
    session.add(row)
    session.flush()
    return row


def _count_by(column):
    return select(column.label("share_id"), func.count().label("n")).group_by(column).subquery()


def _summaries(session: Session, sort: str, *where, limit: int | None = None) -> list[dict]:
    """Library rows with their counts; answer_rating = share of votes that aren't both_bad."""
    upvotes = _count_by(PromptUpvote.prompt_share_id)
    comments = _count_by(PromptComment.prompt_share_id)
    uses = (
        select(Prompt.library_prompt_id.label("share_id"), func.count().label("n"))
        .where(Prompt.library_prompt_id.isnot(None))
        .group_by(Prompt.library_prompt_id)
        .subquery()
    )
    votes = (
        select(
            Prompt.library_prompt_id.label("share_id"),
            func.count(Vote.id).label("n"),
            func.sum(case((Vote.choice != "both_bad", 1), else_=0)).label("good"),
        )
        .join(Vote, Vote.prompt_id == Prompt.id)
        .where(Prompt.library_prompt_id.isnot(None))
        .group_by(Prompt.library_prompt_id)
        .subquery()
    )
    upvote_count = func.coalesce(upvotes.c.n, 0)
    rating = cast(votes.c.good, Float) / votes.c.n
    order = {
        "top": [upvote_count.desc()],
        "new": [],
        "rated": [rating.desc().nulls_last(), upvote_count.desc()],
    }[sort]
    query = (
        select(
            PromptShare,
            upvote_count,
            func.coalesce(comments.c.n, 0),
            func.coalesce(uses.c.n, 0),
            func.coalesce(votes.c.n, 0),
            func.coalesce(votes.c.good, 0),
        )
        .outerjoin(upvotes, upvotes.c.share_id == PromptShare.id)
        .outerjoin(comments, comments.c.share_id == PromptShare.id)
        .outerjoin(uses, uses.c.share_id == PromptShare.id)
        .outerjoin(votes, votes.c.share_id == PromptShare.id)
        .options(joinedload(PromptShare.author), joinedload(PromptShare.community))
        .where(*where)
        .order_by(*order, PromptShare.created_at.desc(), PromptShare.id.desc())
        .limit(limit)
    )
    return [_summary(*row) for row in session.execute(query).all()]


def _summary(shared: PromptShare, upvotes, comments, uses, votes, good) -> dict:
    return {
        "id": shared.id,
        "title": shared.title,
        "text": shared.text,
        "system_prompt": shared.system_prompt,
        "tags": list(shared.tags or []),
        "community": shared.community.slug,
        "author": shared.author.public_name,
        "upvotes": int(upvotes),
        "comments": int(comments),
        "created_at": as_utc(shared.created_at).isoformat(),
        "uses": int(uses),
        "votes": int(votes),
        "answer_rating": round(int(good) / int(votes), 3) if votes else None,
    }


def library(
    session: Session,
    sort: str = "top",
    community_slug: str | None = None,
    tag: str | None = None,
    limit: int = LIBRARY_SIZE,
) -> list[dict]:
    """Shared prompts, best first by upvotes ("top"), newest ("new") or answer rating ("rated")."""
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}.")
    where = []
    if community_slug:
        where.append(PromptShare.community_id == find_community(session, community_slug).id)
    if tag:
        # Tags are a JSON list stored as text (lower-cased), on SQLite and PostgreSQL alike:
        # its quoted element matches exactly one whole tag.
        needle = json.dumps(tag.strip().lower())
        where.append(cast(PromptShare.tags, String).contains(needle, autoescape=True))
    return _summaries(session, sort, *where, limit=limit)


def prompt_detail(session: Session, prompt_id: int) -> dict:
    """{"prompt": <library row>, "comments": [...]}, oldest comment first, by public names."""
    found = _summaries(session, "new", PromptShare.id == prompt_id)
    if not found:
        raise NotFound(N_("There is no such prompt in the library."))
    rows = session.scalars(
        select(PromptComment)
        .options(joinedload(PromptComment.author))
        .where(PromptComment.prompt_share_id == prompt_id)
        .order_by(PromptComment.created_at, PromptComment.id)
    )
    thread = [
        {
            "author": row.author.public_name,
            "text": row.text,
            "created_at": as_utc(row.created_at).isoformat(),
        }
        for row in rows
    ]
    return {"prompt": found[0], "comments": thread}


def viewer_marks(session: Session, user_id: int, prompt_ids: list[int]) -> tuple[set, set]:
    """(the viewer's own prompts, prompts the viewer upvoted) among prompt_ids."""
    own = session.scalars(
        select(PromptShare.id).where(
            PromptShare.id.in_(prompt_ids), PromptShare.author_id == user_id
        )
    )
    upvoted = session.scalars(
        select(PromptUpvote.prompt_share_id).where(
            PromptUpvote.prompt_share_id.in_(prompt_ids), PromptUpvote.user_id == user_id
        )
    )
    return set(own), set(upvoted)

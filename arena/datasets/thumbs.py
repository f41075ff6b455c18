"""Single answers with the thumbs up or down their asker gave them in their own chat UI, as
Hugging Face TRL's KTO trainer reads them (`prompt`, `completion`, `label`), from the messages
of accepted shared chats. The prompt is the conversation on the path to the answer (system
messages left out, as in the arena); answers that failed carry no text and are left out."""

from collections.abc import Iterator

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from arena.core.language import turn_language
from arena.datasets import texts
from arena.datasets.licences import row_licence
from arena.datasets.selection import PUBLISHED, Release, upheld_removals
from arena.models import ContentFlag, Prompt, Response, User
from arena.models.chats import ACCEPTED, SharedChat, SharedMessage

THUMBS = (1, -1)
SPOKEN = ("user", "assistant")


def kto_rows(session: Session, release: Release, conversational: bool) -> Iterator[dict]:
    after = 0
    while True:
        rated = session.execute(
            _rated(
                release,
                SharedMessage.id,
                SharedMessage.chat_id,
                SharedMessage.parent_key,
                SharedMessage.content,
                SharedMessage.rating,
                SharedMessage.model_name,
                SharedMessage.detail_rating,
                SharedMessage.reason,
                SharedMessage.feedback_tags,
                SharedMessage.feedback_note,
            )
            .where(SharedMessage.id > after)
            .order_by(SharedMessage.id)
            .limit(texts.PAGE)
        ).all()
        if not rated:
            return
        after = rated[-1].id
        chat_ids = {row.chat_id for row in rated}
        trees, licences = _trees(session, chat_ids), _licences(session, chat_ids)
        for row in rated:
            path = _path(trees[row.chat_id], row.parent_key)
            if path:
                yield _row(release, row, path, licences[row.chat_id], conversational)


def count(session: Session, release: Release) -> int:
    rated = _rated(release, SharedMessage.id).subquery()
    return session.scalar(select(func.count()).select_from(rated))


def licence_counts(session: Session, release: Release) -> dict[str, int]:
    query = _rated(release, SharedChat.licence, func.count(SharedMessage.id))
    return dict(session.execute(query.group_by(SharedChat.licence)).tuples().all())


def any_context(session: Session, release: Release) -> bool:
    """Whether some answer follows earlier turns (then every row is conversational)."""
    parent = aliased(SharedMessage)
    query = (
        _rated(release, SharedMessage.id)
        .join(parent, _is_parent(parent))
        .where(parent.parent_key.is_not(None))
    )
    return session.scalar(query.limit(1)) is not None


def _row(release: Release, row, path: list[dict], licence, conversational: bool) -> dict:
    return {
        "id": release.pseudonyms.row("answer", row.id),
        "prompt": path if conversational else path[-1]["content"],
        "completion": texts.assistant(row.content) if conversational else row.content,
        "label": row.rating == 1,
        "model": row.model_name,
        "detail_rating": row.detail_rating,
        "reason": row.reason,
        "feedback_tags": list(row.feedback_tags or []),
        "comment": row.feedback_note or "",
        "audit_status": "accepted",
        "licence": licence.licence,
        "attribution": licence.attribution,
        "community": release.community.slug,
        "language": turn_language(path[-1]["content"], path[:-1]),
    }


def _rated(release: Release, *columns):
    """Rated answers of the community's accepted, still shared chats, minus removed ones."""
    return (
        select(*columns)
        .select_from(SharedMessage)
        .join(SharedChat, SharedChat.id == SharedMessage.chat_id)
        .where(
            SharedChat.community_id == release.community.id,
            SharedChat.review_status == ACCEPTED,
            SharedChat.status == PUBLISHED,
            SharedMessage.role == "assistant",
            SharedMessage.rating.in_(THUMBS),
            SharedMessage.error.is_(None),
            SharedMessage.content != "",
            ~_answer_removed(),
            ~_prompt_removed(),
        )
    )


def _answer_removed():
    """A moderator removed this answer (the same text, mined from the same chat)."""
    return exists(
        select(ContentFlag.id)
        .join(Prompt, Prompt.id == ContentFlag.prompt_id)
        .join(Response, Response.id == ContentFlag.response_id)
        .where(
            upheld_removals(),
            Prompt.shared_chat_id == SharedMessage.chat_id,
            Response.text == SharedMessage.content,
        )
    )


def _prompt_removed():
    """A moderator removed the message this answer answers."""
    asked = aliased(SharedMessage)
    return exists(
        select(ContentFlag.id)
        .join(Prompt, Prompt.id == ContentFlag.prompt_id)
        .join(asked, _is_parent(asked))
        .where(
            upheld_removals(),
            ContentFlag.side == "prompt",
            Prompt.shared_chat_id == SharedMessage.chat_id,
            Prompt.text == asked.content,
        )
    )


def _is_parent(message):
    """SQL: `message` (an alias) is the rated message's parent."""
    return and_(
        message.chat_id == SharedMessage.chat_id, message.message_key == SharedMessage.parent_key
    )


def _trees(session: Session, chat_ids: set[int]) -> dict[int, dict[str, tuple]]:
    """chat id -> message key -> (parent key, role, content)."""
    trees: dict[int, dict[str, tuple]] = {chat_id: {} for chat_id in chat_ids}
    for batch in texts.batches(sorted(chat_ids)):
        rows = session.execute(
            select(
                SharedMessage.chat_id,
                SharedMessage.message_key,
                SharedMessage.parent_key,
                SharedMessage.role,
                SharedMessage.content,
            ).where(SharedMessage.chat_id.in_(batch))
        )
        for chat_id, key, parent, role, content in rows:
            trees[chat_id][key] = (parent, role, content)
    return trees


def _path(tree: dict[str, tuple], key: str | None) -> list[dict]:
    """The spoken turns from the chat's first message down to `key`, oldest first."""
    path, seen = [], set()
    while key is not None and key in tree and key not in seen:
        seen.add(key)
        parent, role, content = tree[key]
        if role in SPOKEN:
            path.append({"role": role, "content": content})
        key = parent
    return path[::-1]


def _licences(session: Session, chat_ids: set[int]) -> dict:
    found = {}
    for batch in texts.batches(sorted(chat_ids)):
        rows = session.execute(
            select(SharedChat.id, SharedChat.licence, User)
            .join(User, User.id == SharedChat.contributor_id)
            .where(SharedChat.id.in_(batch))
        )
        found |= {chat: row_licence("shared_chat", licence, user) for chat, licence, user in rows}
    return found

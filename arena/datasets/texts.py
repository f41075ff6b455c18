"""The texts behind a batch of votes: prompts with their context and licence, answers, model
names, loaded a batch at a time so an export holds one batch in memory, never the whole set."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.datasets.licences import RowLicence, row_licence
from arena.models import LanguageModel, Prompt, Response, User
from arena.models.chats import SharedChat

BATCH = 500  # values per IN (...): well under SQLite's limit on bound parameters
PAGE = 2000  # rows read per query when walking a whole data set
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class PromptText:
    text: str
    context: list[dict]  # earlier turns both answers share, oldest first
    origin: str
    source_id: str | None  # the benchmark's own id ("mt_bench:81"); None for shared chats
    licence: RowLicence
    audit_status: str  # "accepted" (a shared chat the auditors accepted) or "benchmark"
    language: str | None = None  # ISO 639-1, None when not detected


@dataclass(frozen=True)
class Answer:
    text: str
    context: list[dict] | None  # a multi-turn custom battle: this model's own earlier turns


def batches(values: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def model_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(LanguageModel.id, LanguageModel.name)).tuples().all())


def prompts(session: Session, ids: Iterable[int]) -> dict[int, PromptText]:
    wanted = sorted({i for i in ids if i is not None})
    found = {}
    for batch in batches(wanted):
        rows = session.execute(
            select(Prompt, SharedChat.licence, User)
            .outerjoin(SharedChat, SharedChat.id == Prompt.shared_chat_id)
            .outerjoin(User, User.id == SharedChat.contributor_id)
            .where(Prompt.id.in_(batch))
        )
        for prompt, chat_licence, contributor in rows:
            shared = prompt.shared_chat_id is not None
            found[prompt.id] = PromptText(
                text=prompt.text,
                context=messages(prompt.context),
                origin=prompt.origin,
                source_id=None if shared else prompt.external_id,
                licence=row_licence(prompt.origin, chat_licence, contributor),
                audit_status="accepted" if shared else "benchmark",
                language=prompt.language,
            )
    return found


def answers(session: Session, prompt_ids: Iterable[int]) -> dict[tuple[int, int], Answer]:
    """(prompt id, model id) -> the answer, for every answer to these prompts."""
    found = {}
    for batch in batches(sorted(set(prompt_ids))):
        rows = session.execute(
            select(Response.prompt_id, Response.model_id, Response.text, Response.context).where(
                Response.prompt_id.in_(batch)
            )
        )
        for prompt_id, model_id, text, context in rows:
            found[(prompt_id, model_id)] = Answer(text, messages(context) or None)
    return found


def messages(turns: list | None) -> list[dict]:
    """Only role and content of each turn, in the shape chat templates read."""
    return [
        {"role": turn["role"], "content": turn["content"]}
        for turn in turns or []
        if isinstance(turn, dict) and turn.get("role") in ROLES
    ]


def prompt_messages(prompt: PromptText) -> list[dict]:
    return [*prompt.context, {"role": "user", "content": prompt.text}]


def conversation(prompt: PromptText, answer: Answer | None) -> list[dict]:
    """The whole conversation one side of a battle showed, its answer last."""
    if answer is None:
        return []
    earlier = answer.context if answer.context is not None else prompt.context
    return [
        *earlier,
        {"role": "user", "content": prompt.text},
        {"role": "assistant", "content": answer.text},
    ]


def assistant(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]

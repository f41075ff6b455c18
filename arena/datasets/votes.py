"""One row per vote: FastChat's cleaned-battle records (`battles`), which Chatbot Arena's own
tooling reads (pandas `read_json(lines=True)`, elo_analysis' columns), and a flat `csv`."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from arena.core.clock import as_utc
from arena.core.language import name_for_code
from arena.datasets import texts
from arena.datasets.selection import Release, included_votes
from arena.models import Battle, QuestionAnswer, Vote
from arena.voting.battle_io import CHOICE_TO_WINNER
from arena.voting.selection import LIVE_ORIGIN

CSV_COLUMNS = (
    "vote",
    "community",
    "prompt",
    "model_a",
    "model_b",
    "winner",
    "served_at",
    "voted_at",
    "judge",
    "origin",
    "audit_status",
    "question",
    "question_answer",
    "licence",
    "attribution",
    "language",
)


@dataclass(frozen=True)
class CastVote:
    id: int
    prompt_id: int | None
    model_a: int
    model_b: int
    choice: str
    origin: str
    judge: str | None
    voter_id: int | None
    voted_at: datetime | None
    served_at: datetime | None
    question_answer: bool | None


def battle_rows(session: Session, release: Release) -> Iterator[dict]:
    for votes, prompts, answers in _batches(session, release):
        for vote in votes:
            prompt = prompts[vote.prompt_id]  # every included vote has one
            side_a = texts.conversation(prompt, answers.get((vote.prompt_id, vote.model_a)))
            side_b = texts.conversation(prompt, answers.get((vote.prompt_id, vote.model_b)))
            yield {
                "question_id": release.pseudonyms.row("vote", vote.id),
                "model_a": release.model_names[vote.model_a],
                "model_b": release.model_names[vote.model_b],
                "winner": CHOICE_TO_WINNER[vote.choice],
                "judge": _judge(release, vote),
                "conversation_a": side_a,
                "conversation_b": side_b,
                "turn": sum(1 for turn in side_a if turn["role"] == "user"),
                "anony": True,  # every vote here was cast blind
                "language": name_for_code(prompt.language),  # FastChat's names: "English"
                "tstamp": _timestamp(vote.voted_at),
                "audit_status": prompt.audit_status,
                "licence": prompt.licence.licence,
                "attribution": prompt.licence.attribution,
            }


def csv_rows(session: Session, release: Release) -> Iterator[list]:
    question = release.community.question or ""
    for votes, prompts, _ in _batches(session, release, with_answers=False):
        for vote in votes:
            prompt = prompts[vote.prompt_id]
            yield [
                release.pseudonyms.row("vote", vote.id),
                release.community.slug,
                prompt.source_id or release.pseudonyms.row("prompt", vote.prompt_id),
                release.model_names[vote.model_a],
                release.model_names[vote.model_b],
                CHOICE_TO_WINNER[vote.choice],
                _iso(vote.served_at),
                _iso(vote.voted_at),
                _judge(release, vote),
                "live" if vote.origin == LIVE_ORIGIN else vote.origin,
                prompt.audit_status,
                question if vote.question_answer is not None else "",
                {True: "yes", False: "no", None: ""}[vote.question_answer],
                prompt.licence.licence,
                prompt.licence.attribution or "",
                prompt.language or "",
            ]


def _judge(release: Release, vote: CastVote) -> str | None:
    if vote.origin == LIVE_ORIGIN:
        return release.pseudonyms.judge(vote.voter_id) if vote.voter_id else None
    return vote.judge  # the source study's own pseudonym (seeds: "qlora-human")


def _batches(session: Session, release: Release, with_answers: bool = True):
    """(votes, prompts, answers) a batch of votes at a time, oldest first."""
    after = 0
    while True:
        votes = [
            CastVote(*row)
            for row in session.execute(
                included_votes(
                    session,
                    release.community,
                    Vote.id,
                    Vote.prompt_id,
                    Vote.model_a_id,
                    Vote.model_b_id,
                    Vote.choice,
                    Vote.origin,
                    Vote.judge,
                    Vote.voter_id,
                    Vote.created_at,
                    Battle.served_at,
                    QuestionAnswer.answer,
                )
                .outerjoin(Battle, Battle.id == Vote.battle_id)
                .outerjoin(QuestionAnswer, QuestionAnswer.vote_id == Vote.id)
                .where(Vote.id > after)
                .order_by(Vote.id)
                .limit(texts.PAGE)
            ).tuples()
        ]
        if not votes:
            return
        after = votes[-1].id
        prompt_ids = [vote.prompt_id for vote in votes]
        answers = texts.answers(session, prompt_ids) if with_answers else {}
        yield votes, texts.prompts(session, prompt_ids), answers


def _timestamp(moment: datetime | None) -> float | None:
    return as_utc(moment).timestamp() if moment else None


def _iso(moment: datetime | None) -> str:
    return as_utc(moment).isoformat() if moment else ""


def csv_header() -> list[str]:
    return list(CSV_COLUMNS)

"""Battles in and out in FastChat's cleaned-battle format, streamed at any size.

A record: `model_a`, `model_b`, `winner` (model_a, model_b, tie, tie (bothbad)), and optionally
`question_id`, `judge`, `tstamp`, `anony`, `language`, `turn`, `conversation_a/b`. Files are
a JSON array or JSON Lines, read with ijson one record at a time. `language` holds FastChat's
language names ("English", "Chinese"); votes store the ISO 639-1 code ("unknown" is none).

Resuming: record n of source S is stored with external id "S:n" and inserted with ON CONFLICT
DO NOTHING, in batches that each commit. An interrupted import is resumed by running the same
command again: committed batches are skipped by their ids, the rest is added. Imported votes
keep their origin ("import:S") and judge pseudonym; they count in model boards, never in points
or consensus (those read live votes only).
"""

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.clock import as_utc
from arena.core.json_stream import BadRecord, records  # noqa: F401 - records: part of this API
from arena.core.language import code_for_name, name_for_code
from arena.core.sql import insert_ignoring_conflicts
from arena.models import Community, LanguageModel, Vote
from arena.voting import ratings, tallies
from arena.voting.selection import LIVE_ORIGIN

WINNERS = {"model_a": "a", "model_b": "b", "tie": "tie", "tie (bothbad)": "both_bad"}
CHOICE_TO_WINNER = {choice: winner for winner, choice in WINNERS.items()}
MAX_NAME, MAX_JUDGE, MAX_SOURCE = 120, 80, 40
SOURCE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC).timestamp(), 4102444800.0  # 2100-01-01


@dataclass(frozen=True)
class Battle:
    number: int
    model_a: str
    model_b: str
    choice: str
    judge: str | None
    at: datetime | None
    language: str | None = None


@dataclass
class ImportReport:
    read: int = 0
    added: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    new_models: list[str] = field(default_factory=list)


def check_source(source: str) -> str:
    if not SOURCE_PATTERN.match(source or ""):
        raise BadRecord("the source name takes 1-40 lower-case letters, digits, '.', '_' or '-'")
    return source


def parse_battle(number: int, value) -> Battle:
    """One record checked field by field; BadRecord names what is wrong."""
    if isinstance(value, BadRecord):
        raise value
    if not isinstance(value, dict):
        raise BadRecord("a battle must be a JSON object")
    model_a, model_b = _name(value, "model_a"), _name(value, "model_b")
    if model_a == model_b:
        raise BadRecord("model_a and model_b are the same model")
    winner = value.get("winner")
    if winner not in WINNERS:
        raise BadRecord(f"winner must be one of {', '.join(map(repr, WINNERS))}")
    return Battle(
        number, model_a, model_b, WINNERS[winner], _judge(value), _time(value), _language(value)
    )


def import_batch(
    session: Session, source: str, community_id: int, battles: list[Battle], report: ImportReport
) -> None:
    """Insert one batch (inside the caller's unit of work), creating unknown models."""
    models = _model_ids(
        session, {b.model_a for b in battles} | {b.model_b for b in battles}, report
    )
    rows = [
        {
            "external_id": f"{source}:{b.number}",
            "origin": f"import:{source}",
            "judge": b.judge,
            "community_id": community_id,
            "prompt_id": None,
            "model_a_id": models[b.model_a],
            "model_b_id": models[b.model_b],
            "choice": b.choice,
            "created_at": b.at or datetime.now(UTC),
            "language": b.language,
        }
        for b in battles
    ]
    external_ids = [row["external_id"] for row in rows]
    # Looked up before inserting: the driver's rowcount of a multi-row INSERT ... ON CONFLICT
    # DO NOTHING is -1 on PostgreSQL (psycopg 3).
    stored = set(
        session.scalars(select(Vote.external_id).where(Vote.external_id.in_(external_ids)))
    )
    # The batch's votes enter the ratings and tallies in its own transaction, as a live vote
    # does: a crash between batches leaves only whole, fully applied batches. Ratings are
    # locked before the insert (PostgreSQL), so vote ids follow the order ratings change in.
    slug = session.scalar(select(Community.slug).where(Community.id == community_id))
    scopes = ratings.scopes_for(slug)
    locked, draws = ratings.lock_ratings(session, set(models.values()), scopes)
    insert_ignoring_conflicts(session, Vote, rows, ["external_id"])
    added = [external_id for external_id in external_ids if external_id not in stored]
    for vote in session.scalars(select(Vote).where(Vote.external_id.in_(added)).order_by(Vote.id)):
        ratings.apply_vote(locked, vote, slug, draws)
        tallies.record(session, vote)
    ratings.save(session, locked)
    report.added += len(added)


def export_battles(session: Session, query) -> Iterator[str]:
    """JSON Lines of the votes the query selects, oldest first, in FastChat's format."""
    names = dict(session.execute(select(LanguageModel.id, LanguageModel.name)).tuples().all())
    for vote in session.scalars(query.order_by(Vote.id).execution_options(yield_per=5000)):
        yield json.dumps(
            {
                "question_id": vote.external_id or f"vote:{vote.id}",
                "model_a": names[vote.model_a_id],
                "model_b": names[vote.model_b_id],
                "winner": CHOICE_TO_WINNER[vote.choice],
                "judge": vote.judge if vote.origin != LIVE_ORIGIN else _pseudonym(vote),
                "tstamp": as_utc(vote.created_at).timestamp() if vote.created_at else None,
                "anony": True,
                "source": vote.origin,
                "language": name_for_code(vote.language),
            }
        )


def _pseudonym(vote: Vote) -> str | None:
    # Live voters are never named: the vote id stands for its voter, unlinkable across votes.
    return f"arena_vote_{vote.id}" if vote.voter_id else None


def _model_ids(session: Session, names: Iterable[str], report: ImportReport) -> dict[str, int]:
    known = dict(
        session.execute(
            select(LanguageModel.name, LanguageModel.id).where(LanguageModel.name.in_(names))
        )
        .tuples()
        .all()
    )
    for name in sorted(set(names) - set(known)):
        model = LanguageModel(slug=_free_slug(session, name), name=name, organization="")
        session.add(model)
        session.flush()
        known[name] = model.id
        report.new_models.append(name)
    return known


def _free_slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "model"
    slug, number = base, 1
    while session.scalar(select(LanguageModel.id).where(LanguageModel.slug == slug)):
        number += 1
        slug = f"{base}-{number}"
    return slug


def _name(value: dict, key: str) -> str:
    name = value.get(key)
    if not isinstance(name, str) or not name.strip():
        raise BadRecord(f"{key} must be a model name")
    if len(name) > MAX_NAME or "\x00" in name or not name.isprintable():
        raise BadRecord(f"{key} must be printable and at most {MAX_NAME} characters")
    return name.strip()


def _judge(value: dict) -> str | None:
    judge = value.get("judge")
    if judge is None:
        return None
    if not isinstance(judge, str) or len(judge) > MAX_JUDGE or not judge.isprintable():
        raise BadRecord(f"judge must be printable text of at most {MAX_JUDGE} characters")
    return judge


def _language(value: dict) -> str | None:
    """The code of FastChat's language name; None for "unknown" or a language not listed."""
    name = value.get("language")
    if name is not None and not isinstance(name, str):
        raise BadRecord('language must be a language name such as "English"')
    return code_for_name(name)


def _time(value: dict) -> datetime | None:
    stamp = value.get("tstamp")
    if stamp is None:
        return None
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise BadRecord("tstamp must be a Unix time in seconds")
    if isinstance(stamp, float) and not math.isfinite(stamp):  # no float() of a huge int
        raise BadRecord("tstamp must be a Unix time in seconds")
    if not EARLIEST <= stamp <= LATEST:
        raise BadRecord("tstamp is outside 2000-2100")
    return datetime.fromtimestamp(stamp, UTC)

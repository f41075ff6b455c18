"""The formats of a community's data set, each streamed a line at a time: the web answer and the
CLI's file hold one batch of rows in memory, whatever the size of the set."""

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from arena.core.errors import NotFound
from arena.datasets import preferences, thumbs, votes
from arena.datasets.selection import Release

JSONL, CSV = "application/x-ndjson", "text/csv"
# A spreadsheet runs a cell that starts with one of these as a formula; names come from people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    media_type: str
    extension: str
    rows: Callable[[Session, Release], Iterator]
    counted_as: str  # the statement's count of its rows

    def row_count(self, counts: dict) -> int:
        return counts[self.counted_as]


def _dpo(session: Session, release: Release) -> Iterator[dict]:
    return preferences.dpo_rows(session, release, preferences.any_context(session, release))


def _kto(session: Session, release: Release) -> Iterator[dict]:
    return thumbs.kto_rows(session, release, thumbs.any_context(session, release))


FORMATS = {
    f.name: f
    for f in (
        Format(
            "dpo",
            "Preference pairs for Hugging Face TRL's DPOTrainer (prompt, chosen, rejected; "
            "conversational when prompts have earlier turns), with vote counts, agreement, the "
            "community question's answers, audit status, licence and attribution.",
            JSONL,
            "jsonl",
            _dpo,
            "preference_pairs",
        ),
        Format(
            "openai-dpo",
            "The same preference pairs in OpenAI's preference fine-tuning format (input.messages, "
            "preferred_output, non_preferred_output; nothing else, as OpenAI checks). Row n is "
            "row n of dpo without ties flagged, whose columns give its votes and licence.",
            JSONL,
            "jsonl",
            preferences.openai_rows,
            "preference_pairs",
        ),
        Format(
            "kto",
            "Single answers from accepted shared chats with their thumbs up (label true) or "
            "down, for TRL's KTOTrainer (prompt, completion, label), with the 1-10 rating, "
            "reason, tags and comment given.",
            JSONL,
            "jsonl",
            _kto,
            "rated_answers",
        ),
        Format(
            "battles",
            "Every vote in FastChat's cleaned-battle format (question_id, model_a, model_b, "
            "winner, judge, conversation_a/b, turn, anony, language, tstamp), as Chatbot Arena's "
            "tools read it, plus audit status and licence.",
            JSONL,
            "jsonl",
            votes.battle_rows,
            "votes",
        ),
        Format(
            "csv",
            "Every vote as a CSV row: ids, community, models, winner, times, judge pseudonym, "
            "audit status, the community question's answer, licence.",
            CSV,
            "csv",
            votes.csv_rows,
            "votes",
        ),
    )
}


def format_named(name: str) -> Format:
    if name not in FORMATS:
        raise NotFound(
            f"There is no data set format called '{name}'; the formats are {', '.join(FORMATS)}."
        )
    return FORMATS[name]


def lines(session: Session, release: Release, name: str) -> Iterator[str]:
    """The export as text lines, each ending in a newline (the CSV's header first)."""
    chosen = format_named(name)
    rows = chosen.rows(session, release)
    if chosen.media_type == CSV:
        return _csv_lines(rows)
    return (json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _csv_lines(rows: Iterator[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(votes.csv_header())
    yield _taken(buffer)
    for row in rows:
        writer.writerow([_inert(cell) for cell in row])
        yield _taken(buffer)


def _taken(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _inert(cell):
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell

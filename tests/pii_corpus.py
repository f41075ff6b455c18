"""Scoring the personal-data detector on the labelled corpus (tests/data/pii_corpus.jsonl),
shared by tests/test_pii_corpus.py and bench/pii_recall.py.

An instance is caught when every letter and digit of it lies inside some redaction (of any
kind: what matters is that nothing of it is published); markup around or inside it may stay.
A redaction that covers no letter or digit of any labelled instance is a false alarm.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from arena.chats.redact import find_personal_data

CORPUS = Path(__file__).parent / "data" / "pii_corpus.jsonl"
STRUCTURED = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "IP_ADDRESS", "SECRET", "URL_CREDENTIALS")
CONTEXTUAL = ("ADDRESS", "PERSON")


@dataclass
class Score:
    instances: Counter = field(default_factory=Counter)
    caught: Counter = field(default_factory=Counter)
    right_kind: Counter = field(default_factory=Counter)
    missed: list = field(default_factory=list)
    false_alarms: list = field(default_factory=list)
    clean_texts: int = 0
    clean_texts_flagged: int = 0

    def recall(self, kind: str) -> float:
        return self.caught[kind] / self.instances[kind]


def load(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def labelled_spans(case: dict) -> list[tuple[int, int, str]]:
    spans, searched_from = [], {}
    for label in case["pii"]:
        start = case["text"].index(label["value"], searched_from.get(label["value"], 0))
        searched_from[label["value"]] = start + 1
        spans.append((start, start + len(label["value"]), label["kind"]))
    return spans


def score(cases: list[dict]) -> Score:
    result = Score()
    for case in cases:
        text = case["text"]
        found = find_personal_data(text, case["author"])
        covered = {i for hit in found for i in range(hit.start, hit.end)}
        labelled = labelled_spans(case)
        for start, end, kind in labelled:
            result.instances[kind] += 1
            needed = {i for i in range(start, end) if text[i].isalnum()}
            if needed <= covered:
                result.caught[kind] += 1
                overlapping = [h for h in found if h.start < end and h.end > start]
                result.right_kind[kind] += any(h.kind == kind for h in overlapping)
            else:
                result.missed.append((kind, text[start:end], text, case["note"]))
        for hit in found:
            if not any(hit.start < end and hit.end > start for start, end, _ in labelled):
                result.false_alarms.append((hit.kind, text[hit.start : hit.end], text))
        if not labelled:
            result.clean_texts += 1
            result.clean_texts_flagged += bool(found)
    return result

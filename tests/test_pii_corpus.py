"""The personal-data detector measured on a labelled corpus (tests/data/pii_corpus.jsonl):
recall per kind, and no alarm on look-alikes (versions, dates, hashes, ISBNs, UUIDs, code,
prices, order numbers, maths, placeholders)."""

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from tests.pii_corpus import CONTEXTUAL, CORPUS, STRUCTURED, load, score

TARGETS = dict.fromkeys(STRUCTURED, 0.99) | dict.fromkeys(CONTEXTUAL, 0.9)
# The one false alarm accepted: in a person's text a famous full name is redacted like any
# other ("Jane Austen"), as nothing tells it from a private person's.
KNOWN_FALSE_ALARMS = {("PERSON", "Jane Austen")}


@pytest.fixture(scope="module")
def corpus_score():
    return score(load())


def test_the_corpus_covers_every_kind_with_hundreds_of_instances():
    cases = load()
    kinds = Counter(label["kind"] for case in cases for label in case["pii"])
    assert sum(kinds.values()) >= 400
    assert set(kinds) == set(TARGETS) and min(kinds.values()) >= 15, kinds
    assert sum(not case["pii"] for case in cases) >= 60  # clean look-alikes
    assert {case["author"] for case in cases} == {"user", "model"}


@pytest.mark.parametrize("kind", TARGETS)
def test_recall_per_kind_meets_its_target(corpus_score, kind):
    missed = [miss for miss in corpus_score.missed if miss[0] == kind]
    assert corpus_score.recall(kind) >= TARGETS[kind], missed


def test_look_alikes_raise_no_alarm(corpus_score):
    alarms = {(kind, value) for kind, value, _ in corpus_score.false_alarms}
    assert alarms <= KNOWN_FALSE_ALARMS, corpus_score.false_alarms
    assert corpus_score.clean_texts_flagged <= len(KNOWN_FALSE_ALARMS)


def test_the_corpus_file_is_what_its_builder_writes():
    builder = Path(__file__).parent / "data" / "build_pii_corpus.py"
    spec = importlib.util.spec_from_file_location("build_pii_corpus", builder)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == CORPUS.read_text(encoding="utf-8")


# The second corpus was written by someone who had not seen the detector; its misses then
# (BENCHMARKS.md, "Blind corpus") were fixed by general rules, so it now guards against
# regressions rather than measuring out of sample.
BLIND_CORPUS = CORPUS.with_name("pii_blind_corpus.jsonl")


@pytest.fixture(scope="module")
def blind_score():
    return score(load(BLIND_CORPUS))


@pytest.mark.parametrize("kind", TARGETS)
def test_the_blind_corpus_meets_every_target_too(blind_score, kind):
    missed = [miss for miss in blind_score.missed if miss[0] == kind]
    assert blind_score.recall(kind) >= TARGETS[kind], missed


def test_the_blind_corpus_clean_texts_stay_nearly_clean(blind_score):
    # Only a famous name and a famous address in a person's text (no world knowledge here).
    assert blind_score.clean_texts_flagged <= 2, blind_score.false_alarms

"""Curated data sets read back: dpo (TRL), openai-dpo, kto, battles (FastChat), csv; the
majority per pair, ties, exclusions, pseudonyms and licences, on a hand-computed example."""

import csv
import io
import json
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from arena.core.db import unit_of_work
from arena.datasets import texts
from arena.extensions import db
from arena.models import (
    Battle,
    Community,
    ContentFlag,
    Prompt,
    QuestionAnswer,
    Response,
    User,
    Vote,
)
from tests.factories import ids_from, make_voter

USER_IDS, VOTE_IDS = 7_300_001, 8_100_001  # numbers no export may show
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
QUESTION = "Would you want your model to behave more like this?"
BATTLE_KEYS = {
    "question_id",
    "model_a",
    "model_b",
    "winner",
    "judge",
    "conversation_a",
    "conversation_b",
    "turn",
    "anony",
    "language",
    "tstamp",
}
VOTERS = ("quillon_one", "quillon_two", "quillon_three", "quillon_four", "quillon_late")

# The hand-computed example, in general's first two prompts (P1, P2) and models m0 < m1 < m2 <
# m3 (ids in that order): (prompt, model_a, model_b, choice, voter). Per pair, side-free:
#   P1 m0-m1: m0 won twice, m1 once -> m0 chosen, agreement 2/3
#   P1 m0-m2: two ties               -> tie (out, or flagged)
#   P2 m1-m2: one win each           -> split (out, or flagged)
#   P2 m2-m3: m2 won twice, both bad once -> m2 chosen, agreement 2/3
# Votes per voter 4, 3, 2, 1: the top 10 % (one voter) cast 4/10; Gini = 2*30/(4*10) - 5/4.
EXAMPLE = [
    (0, 0, 1, "a", 0),
    (0, 1, 0, "b", 0),
    (0, 0, 1, "b", 1),
    (0, 0, 2, "tie", 0),
    (0, 2, 0, "tie", 1),
    (1, 1, 2, "a", 0),
    (1, 2, 1, "a", 2),
    (1, 2, 3, "a", 1),
    (1, 3, 2, "b", 2),
    (1, 2, 3, "both_bad", 3),
]


def add_vote(session, prompt_id, model_a, model_b, choice, voter_id, minute, **extra):
    vote = Vote(
        community_id=extra.pop("community_id", None) or session.get(Prompt, prompt_id).community_id,
        prompt_id=prompt_id,
        model_a_id=model_a,
        model_b_id=model_b,
        choice=choice,
        voter_id=voter_id,
        origin=extra.pop("origin", "arena"),
        voter_trust=extra.pop("voter_trust", "counted"),
        created_at=START + timedelta(minutes=minute),
        **extra,
    )
    session.add(vote)
    session.flush()
    return vote


def flag_removed(session, prompt_id, side, model_id=None):
    """A moderator upheld a flag on this prompt (or answer) by removing it."""
    prompt = session.get(Prompt, prompt_id)
    responses = session.scalars(select(Response).where(Response.prompt_id == prompt_id)).all()
    flagger = make_voter(session, f"flagger{prompt_id}")[0]
    battle = Battle(
        token=f"flagged-{prompt_id}-{side}",
        voter_id=flagger.id,
        community_id=prompt.community_id,
        prompt_id=prompt_id,
        response_a_id=responses[0].id,
        response_b_id=responses[1].id,
        status="voted",
    )
    session.add(battle)
    session.flush()
    answer = next((r.id for r in responses if r.model_id == model_id), None)
    session.add(
        ContentFlag(
            battle_id=battle.id,
            prompt_id=prompt_id,
            response_id=answer,
            side=side,
            community_id=prompt.community_id,
            flagger_id=flagger.id,
            reason="harmful",
            status="upheld",
            resolution="remove",
        )
    )


def build_example(app, world, distinct_ids: bool) -> dict:
    """The hand-computed example, plus votes every rule must leave out."""
    models = [model_id for model_id, _, _ in world["models"]]
    general = world["prompts"][:6]
    with app.app_context():
        numbering = ids_from(db.session, {User: USER_IDS, Vote: VOTE_IDS})
        with numbering if distinct_ids else nullcontext():
            voters = [make_voter(db.session, name)[0].id for name in VOTERS]
            with unit_of_work(db.session):
                db.session.execute(
                    update(Prompt).where(Prompt.id.in_(general[:4])).values(origin="seed:mt_bench")
                )
                db.session.execute(
                    update(Community).where(Community.slug == "general").values(question=QUESTION)
                )
                cast = [
                    add_vote(db.session, general[p], models[a], models[b], choice, voters[v], n)
                    for n, (p, a, b, choice, v) in enumerate(EXAMPLE)
                ]
                for number, model, yes in ((0, models[0], True), (2, models[1], False)):
                    db.session.add(
                        QuestionAnswer(
                            vote_id=cast[number].id,
                            community_id=cast[number].community_id,
                            model_id=model,
                            answer=yes,
                        )
                    )
                leave_out(db.session, general, models, voters)
    return {"models": models, "prompts": general, "voters": voters}


@pytest.fixture
def example(app, world):
    """On SQLite, with user and vote ids no export may show."""
    return build_example(app, world, distinct_ids=True)


@pytest.fixture
def any_example(any_app, any_world):
    """On SQLite and PostgreSQL."""
    return build_example(any_app, any_world, distinct_ids=False)


def leave_out(session, general, models, voters):
    # On probation, never counted: left out as on the boards.
    add_vote(session, general[2], models[0], models[1], "a", voters[4], 20, voter_trust="probation")
    # An imported battle without texts: no licence known.
    general_id = session.get(Prompt, general[0]).community_id
    add_vote(
        session, None, models[0], models[1], "a", None, 21, origin="import:lmsys",
        judge="arena_user_7", voter_trust=None, community_id=general_id,
    )  # fmt: skip
    # A prompt of unknown origin ("test"): no licence known.
    add_vote(session, general[4], models[0], models[1], "a", voters[3], 22)
    # A prompt a moderator removed after a flag.
    add_vote(session, general[3], models[0], models[1], "a", voters[3], 23)
    flag_removed(session, general[3], "prompt")
    # Another community's vote.
    coding = session.scalar(select(Prompt.id).where(Prompt.external_id == "test:coding:0"))
    add_vote(session, coding, models[0], models[1], "a", voters[0], 24)


def download(client, community, kind, **params):
    reply = client.get(f"/api/v1/datasets/{community}/{kind}", query_string=params)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply


def jsonl(reply) -> list[dict]:
    return [json.loads(line) for line in reply.get_data(as_text=True).splitlines()]


def test_dpo_rows_are_the_majority_of_each_pair_as_trl_reads_them(any_app, any_example):
    app, example = any_app, any_example
    names = {m: f"Zephyrine {n}" for n, m in enumerate(example["models"])}
    rows = jsonl(download(app.test_client(), "general", "dpo"))
    assert [(r["chosen_model"], r["rejected_model"]) for r in rows] == [
        (names[example["models"][0]], names[example["models"][1]]),
        (names[example["models"][2]], names[example["models"][3]]),
    ]
    first, second = rows
    assert {"prompt", "chosen", "rejected"} <= set(first)
    assert isinstance(first["prompt"], str) and first["prompt"].startswith("Question 0 for general")
    assert first["chosen"] == "Answer from a contestant to question 0.\n\n```python\nprint(0)\n```"
    assert first["votes"] == {"chosen": 2, "rejected": 1, "tie": 0, "both_bad": 0}
    assert (first["vote_count"], first["agreement"], first["outcome"]) == (3, 0.6667, "preference")
    assert second["votes"] == {"chosen": 2, "rejected": 0, "tie": 0, "both_bad": 1}
    assert first["question"] == {
        "text": QUESTION,
        "chosen": {"yes": 1, "no": 0},
        "rejected": {"yes": 0, "no": 1},
    }
    assert (first["audit_status"], first["licence"], first["source"]) == (
        "benchmark",
        "Apache-2.0",
        "seed:mt_bench",
    )
    assert "LMSYS" in first["attribution"] and first["source_id"] == "test:general:0"
    assert len({r["id"] for r in rows}) == 2 and all(r["id"].startswith("pair_") for r in rows)


def test_ties_both_bad_and_splits_are_left_out_or_flagged_as_asked(any_app, any_example):
    app = any_app
    flagged = jsonl(download(app.test_client(), "general", "dpo", ties="flag"))
    assert [r["outcome"] for r in flagged] == ["preference", "tie", "split", "preference"]
    tie = flagged[1]
    assert tie["votes"] == {"chosen": 0, "rejected": 0, "tie": 2, "both_bad": 0}
    assert tie["agreement"] == 1.0
    assert flagged[2]["votes"] == {"chosen": 1, "rejected": 1, "tie": 0, "both_bad": 0}
    # OpenAI's format has no place for a tie: preferences only, whatever is asked.
    openai = jsonl(download(app.test_client(), "general", "openai-dpo", ties="flag"))
    assert len(openai) == 2


def test_openai_rows_have_exactly_openais_preference_shape(app, example):
    rows = jsonl(download(app.test_client(), "general", "openai-dpo"))
    dpo = jsonl(download(app.test_client(), "general", "dpo"))
    assert len(rows) == len(dpo) == 2
    for row, pair in zip(rows, dpo, strict=True):
        assert set(row) == {"input", "preferred_output", "non_preferred_output"}
        assert row["input"] == {"messages": [{"role": "user", "content": pair["prompt"]}]}
        assert row["preferred_output"] == [{"role": "assistant", "content": pair["chosen"]}]
        assert row["non_preferred_output"] == [{"role": "assistant", "content": pair["rejected"]}]


def test_battles_are_fastchats_cleaned_records_of_every_included_vote(any_app, any_example):
    app, example = any_app, any_example
    rows = jsonl(download(app.test_client(), "general", "battles"))
    assert len(rows) == len(EXAMPLE)
    assert all(set(row) >= BATTLE_KEYS for row in rows)
    assert [row["winner"] for row in rows[:5]] == ["model_a", "model_b", "model_b", "tie", "tie"]
    assert rows[-1]["winner"] == "tie (bothbad)"
    first = rows[0]
    assert first["conversation_a"] == [
        {"role": "user", "content": "Question 0 for general: explain `recursion`."},
        {"role": "assistant", "content": texts_of(app, example, 0, 0)},
    ]
    assert (first["turn"], first["anony"], first["language"]) == (1, True, "unknown")
    assert first["tstamp"] == START.timestamp()
    judges = [row["judge"] for row in rows]
    assert judges[0] == judges[1] != judges[2]  # one pseudonym per voter
    assert all(judge.startswith("judge_") for judge in judges)


def texts_of(app, example, prompt, model):
    with app.app_context():
        return db.session.scalar(
            select(Response.text).where(
                Response.prompt_id == example["prompts"][prompt],
                Response.model_id == example["models"][model],
            )
        )


def test_csv_has_one_row_per_vote_with_its_question_answer(app, example):
    reply = download(app.test_client(), "general", "csv")
    assert reply.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))
    assert len(rows) == len(EXAMPLE)
    assert [r["question_answer"] for r in rows[:4]] == ["yes", "", "no", ""]
    assert rows[0]["question"] == QUESTION and rows[1]["question"] == ""
    assert {r["community"] for r in rows} == {"general"}
    assert {r["origin"] for r in rows} == {"live"}
    assert rows[0]["voted_at"] == START.isoformat() and rows[0]["served_at"] == ""
    assert rows[0]["prompt"] == "test:general:0" and rows[0]["licence"] == "Apache-2.0"


def test_left_out_votes_are_in_no_format(any_app, any_example):
    app = any_app
    client = app.test_client()
    battles = jsonl(download(client, "general", "battles"))
    minutes = {round(row["tstamp"] - START.timestamp()) // 60 for row in battles}
    assert minutes == set(range(len(EXAMPLE)))  # none of the votes at 20-24 minutes
    everything = "".join(
        download(client, "general", kind).get_data(as_text=True)
        for kind in ("dpo", "openai-dpo", "battles", "csv", "kto")
    )
    assert "Question 3 for general" not in everything  # removed after a flag
    assert "Question 4 for general" not in everything  # unknown licence
    assert "arena_user_7" not in everything


def test_no_username_or_database_id_reaches_an_export(app, example):
    client = app.test_client()
    everything = "".join(
        download(client, "general", kind, ties="flag").get_data(as_text=True)
        for kind in ("dpo", "openai-dpo", "battles", "csv", "kto")
    )
    everything += client.get("/api/v1/datasets/general").get_data(as_text=True)
    assert not [name for name in VOTERS if name in everything]
    assert str(USER_IDS)[:4] not in everything and str(VOTE_IDS)[:4] not in everything


def test_batches_do_not_change_the_rows(app, example, monkeypatch):
    client = app.test_client()
    kinds = ("dpo", "battles", "csv")
    whole = {kind: download(client, "general", kind, ties="flag").get_data() for kind in kinds}
    monkeypatch.setattr(texts, "BATCH", 1)
    monkeypatch.setattr(texts, "PAGE", 2)
    for kind in kinds:
        reply = download(client, "general", kind, ties="flag")
        assert reply.is_streamed
        assert reply.get_data() == whole[kind]


def test_conversational_rows_when_a_prompt_has_earlier_turns(any_app, any_example):
    app, example = any_app, any_example
    earlier = [
        {"role": "user", "content": "Hello?"},
        {"role": "assistant", "content": "Hi!", "model": "hidden"},
    ]
    with app.app_context(), unit_of_work(db.session):
        db.session.get(Prompt, example["prompts"][1]).context = earlier
    rows = jsonl(download(app.test_client(), "general", "dpo"))
    earlier[1].pop("model")
    assert rows[0]["prompt"] == [{"role": "user", "content": rows[0]["prompt"][0]["content"]}]
    assert rows[1]["prompt"][:2] == earlier
    assert rows[1]["prompt"][2]["role"] == "user"
    assert all(r["chosen"][0]["role"] == r["rejected"][0]["role"] == "assistant" for r in rows)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/v1/datasets/nowhere/dpo", "no community called 'nowhere'"),
        ("/api/v1/datasets/general/parquet", "no data set format called 'parquet'"),
        ("/api/v1/datasets/nowhere", "no community called 'nowhere'"),
    ],
)
def test_unknown_community_or_format_is_404(app, world, url, message):
    reply = app.test_client().get(url)
    assert reply.status_code == 404 and message in reply.get_json()["error"]


def test_the_ties_parameter_is_checked(app, world):
    reply = app.test_client().get("/api/v1/datasets/general/dpo?ties=maybe")
    assert reply.status_code == 400 and "ties" in reply.get_json()["error"]


def test_answers_continuing_different_turns_are_battles_but_no_preference_pair(app, example):
    """A multi-turn custom battle: each answer follows its own model's earlier answer."""
    prompt, (m0, _, m2, _) = example["prompts"][0], example["models"]
    histories = {m0: "Earlier answer of m0.", m2: "Earlier answer of m2."}
    with app.app_context(), unit_of_work(db.session):
        for model, earlier in histories.items():
            answer = db.session.scalar(
                select(Response).where(Response.prompt_id == prompt, Response.model_id == model)
            )
            answer.context = [
                {"role": "user", "content": "First question."},
                {"role": "assistant", "content": earlier},
            ]
    flagged = jsonl(download(app.test_client(), "general", "dpo", ties="flag"))
    # Both of P1's pairs involve m0's answer: neither has one prompt for its two answers.
    assert [r["outcome"] for r in flagged] == ["split", "preference"]
    battles = jsonl(download(app.test_client(), "general", "battles"))
    tie = battles[3]  # m0 (side a) against m2, a tie
    assert [turn["content"] for turn in tie["conversation_a"][:2]] == [
        "First question.",
        "Earlier answer of m0.",
    ]
    assert tie["conversation_b"][1]["content"] == "Earlier answer of m2."
    assert tie["turn"] == 2
    facts = app.test_client().get("/api/v1/datasets/general").get_json()["statement"]
    assert facts["counts"]["pairs_without_shared_prompt"] == 2

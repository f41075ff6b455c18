"""The data statement on the hand-computed example, the CLI and the API giving the same rows,
the page, and data sets from shared chats: only accepted, still shared, unremoved content, with
its licence and attribution; thumbs as KTO rows."""

import csv
import io
import json

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from arena.auditing import decisions
from arena.chats import sharing
from arena.core.db import unit_of_work
from arena.datasets import statement
from arena.extensions import db
from arena.models import Community, LanguageModel, Prompt, User, utcnow
from arena.models.chats import SharedChat
from tests.chat_exports import answer, export, openwebui_chat, two_model_chat
from tests.conftest import api_client_for
from tests.factories import accept_shared_chats, make_voter
from tests.test_battle_io import arena
from tests.test_datasets import (  # noqa: F401 - fixtures
    EXAMPLE,
    QUESTION,
    START,
    add_vote,
    any_example,
    download,
    example,
    flag_removed,
    jsonl,
)

QUESTIONS = {"ada": "alpha", "bea": "beta", "cyd": "gamma"}
FORMATS = ("dpo", "openai-dpo", "kto", "battles", "csv")


def test_the_statement_gives_the_hand_computed_numbers(any_app, any_example):  # noqa: F811
    facts = any_app.test_client().get("/api/v1/datasets/general").get_json()["statement"]
    assert facts["counts"] == {
        "votes": 10,
        "prompts": 2,
        "models": 4,
        "preference_pairs": 2,
        "unresolved_pairs": 2,
        "pairs_without_shared_prompt": 0,
        "rated_answers": 0,
    }
    assert facts["voters"] == {
        "people": 4,
        "live_votes": 10,
        "imported_votes": 0,
        "imported_judges": {},
        "top_10_percent_share": 0.4,  # the most active voter: 4 of 10 votes
        "gini": 0.25,  # votes 1, 2, 3, 4: 2 * (1 + 4 + 9 + 16) / (4 * 10) - 5 / 4
    }
    assert {reason: entry["votes"] for reason, entry in facts["excluded_votes"].items()} == {
        "removed_by_flag": 1,
        "unknown_licence": 2,
        "voter_not_counted": 1,
    }
    assert facts["time_range"]["first_vote"] == START.isoformat()
    assert facts["time_range"]["last_vote"] == START.replace(minute=9).isoformat()
    assert [(e["licence"], e["votes"]) for e in facts["licences"]] == [("Apache-2.0", 10)]
    assert "Apache License 2.0" in facts["licences"][0]["terms"]
    assert (facts["curation"]["decide_at"], facts["curation"]["dispute_at"]) == (3, 5)
    assert facts["community"]["question"] == QUESTION
    assert "unknown" in facts["languages"] and facts["known_gaps"]
    assert "/communities/general" in facts["report_a_problem"]


@pytest.mark.parametrize(
    ("counts", "share", "gini"),
    [([1, 2, 3, 4], 0.4, 0.25), ([5, 5, 5, 5], 0.25, 0.0), ([7], 1.0, 0.0), ([], None, None)],
)
def test_concentration_on_hand_computed_counts(counts, share, gini):
    assert statement.top_share(counts) == share
    if gini is None:
        assert statement.gini(counts) is None
    else:
        assert statement.gini(counts) == pytest.approx(gini)


def test_the_index_links_every_format_with_its_row_count(app, example):  # noqa: F811
    index = app.test_client().get("/api/v1/datasets/general").get_json()
    rows = {f["format"]: f["rows"] for f in index["formats"]}
    assert rows == {"dpo": 2, "openai-dpo": 2, "kto": 0, "battles": 10, "csv": 10}
    for entry in index["formats"]:
        reply = app.test_client().get(entry["url"])
        assert reply.status_code == 200
        assert reply.headers["Link"] == '</api/v1/datasets/general>; rel="describedby"'
        lines = reply.get_data(as_text=True).splitlines()
        assert len(lines) - (entry["format"] == "csv") == entry["rows"]


def test_the_index_answers_as_documented(app, example):  # noqa: F811
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    index = document["paths"]["/api/v1/datasets/{community}"]["get"]["responses"]["200"]
    schema = index["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    reply = app.test_client().get("/api/v1/datasets/general").get_json()
    assert [error.message for error in validator.iter_errors(reply)] == []
    assert reply["statement"]["excluded_votes"]  # the check covered a filled statement
    export = document["paths"]["/api/v1/datasets/{community}/{format}"]["get"]
    assert [p["name"] for p in export["parameters"]] == ["community", "format", "ties"]
    assert {"200", "400", "404"} <= set(export["responses"])


@pytest.mark.parametrize("kind", FORMATS)
def test_the_cli_writes_the_same_rows_as_the_api_and_a_statement(app, example, tmp_path, kind):  # noqa: F811
    output = tmp_path / f"general.{kind}"
    result = arena(app, "export", "--community", "general", "--format", kind, "--output", output)
    assert result.exit_code == 0, result.output
    api_bytes = download(app.test_client(), "general", kind).get_data()
    assert output.read_bytes() == api_bytes
    statement_file = tmp_path / f"general.{kind}.statement.md"
    text = statement_file.read_text()
    assert text.startswith("# Crowd Arena: General preference data")
    assert "Gini coefficient of votes per voter 0.25" in text and "## Known gaps" in text


def test_cli_ties_statement_path_and_refusals(app, example, tmp_path):  # noqa: F811
    output, card = tmp_path / "dpo.jsonl", tmp_path / "card.md"
    result = arena(
        app, "export", "--community", "general", "--format", "dpo", "--ties", "flag",
        "--output", output, "--statement", card,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        output.read_bytes() == download(app.test_client(), "general", "dpo", ties="flag").get_data()
    )
    assert card.exists() and not (tmp_path / "dpo.jsonl.statement.md").exists()
    refused = arena(app, "export", "--format", "dpo")
    assert refused.exit_code != 0 and "needs --community" in refused.output
    refused = arena(app, "export", "--community", "general", "--format", "csv", "--source", "live")
    assert refused.exit_code != 0 and "--source" in refused.output
    unknown = arena(app, "export", "--community", "nowhere", "--format", "csv")
    assert unknown.exit_code != 0 and "no community called 'nowhere'" in unknown.output


def test_the_page_lists_formats_counts_links_and_the_statement(app, example):  # noqa: F811
    page = app.test_client().get("/communities/general/datasets")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for kind in FORMATS:
        assert f'href="/api/v1/datasets/general/{kind}"' in html
    assert 'href="/api/v1/datasets/general/dpo?ties=flag"' in html
    assert "Gini coefficient of votes per voter 0.25" in html
    assert "4 people cast 10 votes here" in html
    assert "Apache-2.0" in html and "How consensus was reached" in html
    assert app.test_client().get("/communities/nowhere/datasets").status_code == 404


def test_the_page_escapes_what_people_wrote(app, world):
    with app.app_context(), unit_of_work(db.session):
        general = db.session.scalar(select(Community).where(Community.slug == "general"))
        general.question = "<b>Better</b> than `before`?"
        general.guidelines = "<script>alert(1)</script>"
    html = app.test_client().get("/communities/general/datasets").get_data(as_text=True)
    assert "<b>Better" not in html and "&lt;b&gt;Better&lt;/b&gt;" in html
    assert "<script>alert" not in html
    assert 'href="/api/v1/datasets/general/csv" download translate="no">general-csv.csv</a>' in html


# -- shared chats ------------------------------------------------------------------------------


def share(client, chat, licence="CC-BY-4.0") -> int:
    body = {"community": "general", "licence": licence, "chats": json.loads(export(chat))}
    reply = client.post("/api/v1/chats", json=body)
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()["chats"][0]["id"]


def vote_on_chat(app, chat_id, minute) -> None:
    """One counted vote on the pair mined from the chat: the first model's answer wins."""
    with app.app_context(), unit_of_work(db.session):
        prompt = db.session.scalar(select(Prompt).where(Prompt.shared_chat_id == chat_id))
        models = sorted(db.session.scalars(select(LanguageModel.id).where(
            LanguageModel.slug.in_(["llama3.1:8b", "qwen2.5:7b"]))))  # fmt: skip
        voter = make_voter(db.session, f"chatvoter{chat_id}")[0]
        add_vote(db.session, prompt.id, models[0], models[1], "a", voter.id, minute)


def set_public_name(app, username, display_name=None, anonymous=False) -> None:
    with app.app_context(), unit_of_work(db.session):
        user = db.session.scalar(select(User).where(User.username == username))
        user.display_name, user.anonymous_on_boards = display_name, anonymous


@pytest.fixture
def chats(app, world):
    """Three chats of three contributors: CC BY with a display name, CC0, CC BY anonymous."""
    ids = {}
    for name, licence in (("ada", "CC-BY-4.0"), ("bea", "CC0-1.0"), ("cyd", "CC-BY-4.0")):
        client = api_client_for(app, f"{name}_contributor")
        question = f"Why does the {QUESTIONS[name]} build fail?"
        ids[name] = share(client, two_model_chat(question=question), licence)
    set_public_name(app, "ada_contributor", "Ada L.")
    set_public_name(app, "cyd_contributor", "Cyd", anonymous=True)
    for minute, chat_id in enumerate(ids.values()):
        vote_on_chat(app, chat_id, minute)
    return ids


def rows_of(app, kind, **params):
    return jsonl(download(app.test_client(), "general", kind, **params))


def test_chats_count_only_once_accepted(app, chats):
    assert rows_of(app, "battles") == rows_of(app, "kto") == []
    facts = app.test_client().get("/api/v1/datasets/general").get_json()["statement"]
    assert facts["excluded_votes"]["awaiting_review"]["votes"] == 3
    with app.app_context():
        accept_shared_chats(db.session)
    battles = rows_of(app, "battles")
    assert [(r["licence"], r["attribution"], r["audit_status"]) for r in battles] == [
        ("CC-BY-4.0", "Ada L. (shared on Crowd Arena)", "accepted"),
        ("CC0-1.0", None, "accepted"),
        ("CC-BY-4.0", "Anonymous (shared on Crowd Arena)", "accepted"),
    ]
    everything = "".join(
        download(app.test_client(), "general", kind).get_data(as_text=True) for kind in FORMATS
    )
    assert "_contributor" not in everything and "chatvoter" not in everything


def test_names_people_chose_cannot_run_as_spreadsheet_formulas(app, chats):
    set_public_name(app, "ada_contributor", "=HYPERLINK(1)")
    with app.app_context():
        accept_shared_chats(db.session)
    reply = download(app.test_client(), "general", "csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(reply)))
    assert rows[0]["attribution"] == "'=HYPERLINK(1) (shared on Crowd Arena)"
    assert rows_of(app, "battles")[0]["attribution"] == "=HYPERLINK(1) (shared on Crowd Arena)"


def test_kto_rows_are_the_thumbs_of_accepted_chats(app, chats):
    with app.app_context():
        accept_shared_chats(db.session)
    rows = rows_of(app, "kto")
    assert [(r["model"], r["label"]) for r in rows] == [
        ("llama3.1:8b", True),
        ("qwen2.5:7b", False),
    ] * 3
    first = rows[0]
    assert first["prompt"] == "Why does the alpha build fail?"
    assert first["completion"] == "Check shared state between tests."
    assert (first["licence"], first["attribution"]) == (
        "CC-BY-4.0",
        "Ada L. (shared on Crowd Arena)",
    )
    assert len({r["id"] for r in rows}) == 6 and all(r["id"].startswith("answer_") for r in rows)


def test_rejected_withdrawn_and_removed_content_leaves_every_format(app, chats):
    with app.app_context():
        accept_shared_chats(db.session)
        with unit_of_work(db.session):
            decisions.reject(db.session, db.session.get(SharedChat, chats["bea"]), "spam", utcnow())
            owner = db.session.get(SharedChat, chats["cyd"]).contributor_id
            sharing.withdraw(db.session, owner, chats["cyd"])
            prompt = db.session.scalar(
                select(Prompt.id).where(Prompt.shared_chat_id == chats["ada"])
            )
            llama = db.session.scalar(
                select(LanguageModel.id).where(LanguageModel.slug == "llama3.1:8b")
            )
            flag_removed(db.session, prompt, "a", model_id=llama)
    assert rows_of(app, "battles") == []
    assert [(r["model"], r["label"]) for r in rows_of(app, "kto")] == [("qwen2.5:7b", False)]
    facts = app.test_client().get("/api/v1/datasets/general").get_json()["statement"]
    assert {reason: entry["votes"] for reason, entry in facts["excluded_votes"].items()} == {
        "withdrawn": 1,
        "rejected": 1,
        "removed_by_flag": 1,
    }
    assert facts["counts"]["rated_answers"] == 1


def test_kto_rows_are_conversational_when_an_answer_follows_earlier_turns(app, world):
    client = api_client_for(app, "dee_contributor")
    chat = openwebui_chat(
        "Two turns",
        [
            ("What is a monad?", [answer("llama3.1:8b", "A burrito.")]),
            (
                "Seriously?",
                [
                    answer("llama3.1:8b", "A monoid in the category of endofunctors.", rating=1),
                    answer("qwen2.5:7b", "Yes.", rating=-1),
                ],
            ),
        ],
    )
    share(client, chat)
    with app.app_context():
        accept_shared_chats(db.session)
    rows = rows_of(app, "kto")
    assert [r["label"] for r in rows] == [True, False]
    assert rows[0]["prompt"] == [
        {"role": "user", "content": "What is a monad?"},
        {"role": "assistant", "content": "A burrito."},
        {"role": "user", "content": "Seriously?"},
    ]
    assert rows[1]["completion"] == [{"role": "assistant", "content": "Yes."}]


def test_pandas_reads_the_battles_as_chatbot_arena_tooling_does(app, example, tmp_path):  # noqa: F811
    pandas = pytest.importorskip("pandas")
    output = tmp_path / "battles.jsonl"
    result = arena(
        app, "export", "--community", "general", "--format", "battles", "--output", output
    )
    assert result.exit_code == 0, result.output
    battles = pandas.read_json(output, lines=True)
    assert len(battles) == len(EXAMPLE)
    # What FastChat's elo_analysis.report_elo_analysis_results does with the columns.
    battles = battles.sort_values(ascending=True, by=["tstamp"])
    assert battles["language"].str.contains("unknown").all()
    battles = battles[battles["anony"]].reset_index(drop=True)
    no_ties = battles[~battles["winner"].str.contains("tie")]
    assert len(no_ties) == 7
    wins = no_ties.apply(
        lambda row: row["model_a"] if row["winner"] == "model_a" else row["model_b"], axis=1
    )
    assert wins.value_counts().to_dict() == {"Zephyrine 2": 3, "Zephyrine 0": 2, "Zephyrine 1": 2}
    assert battles["judge"].nunique() == 4

"""The language of every prompt and vote (issue #14): the detector, where prompts get one
(seeding, shared chats, custom battles), votes (cast and imported), `arena detect-languages`,
boards per language (API, page, CLI) and the languages in exports."""

import csv
import io
import json

import pytest
from sqlalchemy import func, select, update

from arena.core.db import unit_of_work
from arena.core.language import code_for_name, detect_language, name_for_code
from arena.extensions import db
from arena.models import Prompt, Vote
from tests.chat_exports import answer, export, openwebui_chat
from tests.conftest import build_app
from tests.factories import cast, make_voter, serve
from tests.test_datasets import build_example, download, jsonl


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("how do I reverse a linked list in python", "en"),
        ("python 怎么读取文件", "zh"),
        ("как приготовить борщ", "ru"),
        ("pythonでファイルを読み込む方法", "ja"),
        ("¿por qué el cielo es azul?", "es"),
        ("Fix this, it fails: ```python\nprint(x[0])\n``` what is wrong?", "en"),
        ("Übersetzungen", None),  # one word: too short to call, however sure the model is
        ('print("hello world")', None),
        ("x = np.array([1, 2, 3])", None),
        ("12345 * 678", None),
        ("https://example.com/api/v1/items?page=2", None),
        ("", None),
    ],
)
def test_the_detector_calls_clear_cases_and_abstains_without_prose(text, code):
    assert detect_language(text) == code


def test_fastchat_language_names_map_to_codes_and_back():
    assert [code_for_name(n) for n in ("English", "Chinese", "unknown", "", None)] == [
        "en",
        "zh",
        None,
        None,
        None,
    ]
    assert code_for_name("zh") == "zh" and code_for_name("Klingon") is None
    assert (name_for_code("zh"), name_for_code(None)) == ("Chinese", "unknown")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("languages"), BOARD_ROUNDS=10)
    assert app.test_cli_runner().invoke(args=["arena", "seed"]).exit_code == 0
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def language_counts(app, entity) -> dict:
    with app.app_context():
        query = select(entity.language, func.count()).group_by(entity.language)
        return dict(db.session.execute(query).tuples().all())


def test_seeding_labels_the_seed_prompts_and_their_votes_english(seeded):
    prompts = language_counts(seeded, Prompt)
    # bench/language_detection.py: 651 of the 655 are called English, 4 have too little prose.
    assert prompts["en"] >= 645 and set(prompts) <= {"en", None}
    votes = language_counts(seeded, Vote)
    assert votes["en"] >= 6800 and set(votes) <= {"en", None}


def test_detect_languages_fills_what_is_missing_and_a_rerun_changes_nothing(seeded):
    before = language_counts(seeded, Prompt), language_counts(seeded, Vote)
    with seeded.app_context(), unit_of_work(db.session):
        db.session.execute(update(Prompt).values(language=None))
        db.session.execute(update(Vote).values(language=None))
    run = seeded.test_cli_runner().invoke(args=["arena", "detect-languages", "--batch-size", "97"])
    assert run.exit_code == 0, run.output
    assert (language_counts(seeded, Prompt), language_counts(seeded, Vote)) == before
    assert f"{before[0]['en']} prompts and {before[1]['en']} votes" in run.output
    again = seeded.test_cli_runner().invoke(args=["arena", "detect-languages"])
    assert "0 prompts and 0 votes" in again.output


def test_detect_languages_labels_a_follow_up_by_its_earlier_turns_as_storing_does(app, world):
    earlier = [
        {"role": "user", "content": "How do I reverse a list in Python quickly?"},
        {"role": "assistant", "content": "Use reversed()."},
    ]
    with app.app_context(), unit_of_work(db.session):
        community_id = db.session.scalar(select(Prompt.community_id))
        follow_up = Prompt(
            community_id=community_id, origin="shared_chat", text="and in Go?", context=earlier
        )
        db.session.add(follow_up)
        db.session.flush()
        prompt_id = follow_up.id
    run = app.test_cli_runner().invoke(args=["arena", "detect-languages"])
    assert run.exit_code == 0, run.output
    with app.app_context():
        assert db.session.get(Prompt, prompt_id).language == "en"


def test_a_shared_chat_in_chinese_gives_chinese_prompts(app, world):
    with app.app_context():
        _, token = make_voter(db.session, "sharer")
    first = [answer("alpha-7b", "用 open()。"), answer("beta-7b", "用 pathlib。")]
    follow_up = [answer("alpha-7b", "用 write()。"), answer("beta-7b", "用 write_text()。")]
    chat = openwebui_chat(
        "读取文件", [("python 怎么读取一个文本文件？", first), ("ok?", follow_up)]
    )
    body = {"community": "general", "licence": "CC0-1.0", "chats": json.loads(export(chat))}
    reply = app.test_client().post(
        "/api/v1/chats", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 201, reply.get_json()
    with app.app_context():
        mined = db.session.execute(
            select(Prompt.text, Prompt.language).where(Prompt.origin == "shared_chat")
        ).all()
    # The short follow-up takes the language of the conversation.
    assert sorted(mined) == [("ok?", "zh"), ("python 怎么读取一个文本文件？", "zh")]


def test_a_vote_takes_its_prompts_language(app, world):
    with app.app_context():
        with unit_of_work(db.session):
            db.session.execute(update(Prompt).values(language="zh"))
        voter = make_voter(db.session)[0].id
        battle = serve(db.session, voter, "general")
        cast(db.session, voter, battle.token, "a")
        assert db.session.scalar(select(Vote.language)) == "zh"


# -- boards per language --------------------------------------------------------------------------

# Hand-checkable: in Chinese, Qwen beats Llama 8 times of 10; in English, Llama beats Qwen 8 of 10.
BOARD_VOTES = [("Chinese", "model_a")] * 8 + [("Chinese", "model_b")] * 2
BOARD_VOTES += [("English", "model_b")] * 8 + [("English", "model_a")] * 2 + [("unknown", "tie")]


@pytest.fixture
def language_boards(tmp_path, any_app, any_world):
    records = [
        {"model_a": "Qwen", "model_b": "Llama", "winner": winner, "language": language}
        for language, winner in BOARD_VOTES
    ]
    path = tmp_path / "battles.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    run = any_app.test_cli_runner().invoke(
        args=["arena", "import-battles", str(path), "--source", "langs"]
    )
    assert run.exit_code == 0, run.output
    return any_app


def board(client, **query) -> list[tuple[str, int]]:
    reply = client.get("/api/v1/leaderboard", query_string=query)
    assert reply.status_code == 200, reply.get_json()
    return [(row["model"], row["votes"]) for row in reply.get_json()["models"]]


def test_imported_votes_keep_their_files_language_and_export_it(language_boards):
    assert language_counts(language_boards, Vote) == {"zh": 10, "en": 10, None: 1}
    out = language_boards.test_cli_runner().invoke(args=["arena", "export", "--format", "battles"])
    names = [json.loads(line)["language"] for line in out.output.splitlines()]
    assert names == [language for language, _ in BOARD_VOTES]


def test_a_language_board_fits_only_that_languages_votes(language_boards):
    client = language_boards.test_client()
    assert board(client, language="zh") == [("Qwen", 10), ("Llama", 10)]
    assert board(client, language="en") == [("Llama", 10), ("Qwen", 10)]
    assert board(client, language="en", method="bt") == [("Llama", 10), ("Qwen", 10)]
    # Over all languages each wins 10 of 21 (and the tie): even.
    assert sorted(board(client, method="bt")) == [("Llama", 21), ("Qwen", 21)]
    assert board(client, language="fr") == []  # a valid code without votes: an empty board
    reply = client.get("/api/v1/leaderboard?language=zh").get_json()
    assert (reply["method"], reply["language"]) == ("bt", "zh")


def test_the_page_shows_a_language_board_and_lists_the_languages_with_votes(language_boards):
    client = language_boards.test_client()
    chinese = client.get("/leaderboard?language=zh").get_data(as_text=True)
    english = client.get("/leaderboard?language=en").get_data(as_text=True)
    assert chinese.index(">Qwen<") < chinese.index(">Llama<")
    assert english.index(">Llama<") < english.index(">Qwen<")
    assert '<option value="zh" selected>中文 (10)</option>' in chinese
    assert '<option value="en" >English (10)</option>' in chinese
    assert 'data-language="zh"' in chinese


def test_the_cli_prints_a_language_board(language_boards):
    run = language_boards.test_cli_runner().invoke(
        args=["arena", "leaderboard", "--language", "en", "--json"]
    )
    assert run.exit_code == 0, run.output
    assert [row["model"] for row in json.loads(run.output)["models"]] == ["Llama", "Qwen"]
    refused = language_boards.test_cli_runner().invoke(
        args=["arena", "leaderboard", "--language", "en", "--method", "trueskill"]
    )
    assert refused.exit_code != 0 and "TrueSkill" in refused.output


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("language=EN", "language"),
        ("language=english", "language"),
        ("language=z1", "language"),
        ("language=qq", "language"),  # the right form, but no language the arena detects
        ("language=zh&method=trueskill", "TrueSkill ratings are kept per community only"),
        ("voter_cap=on&method=trueskill", "TrueSkill"),
        ("voter_cap=yes", "voter_cap"),
    ],
)
def test_malformed_or_contradictory_board_queries_are_400(app, world, query, message):
    reply = app.test_client().get(f"/api/v1/leaderboard?{query}")
    assert reply.status_code == 400 and message in reply.get_json()["error"]


def test_the_page_refuses_a_malformed_language(app, world):
    assert app.test_client().get("/leaderboard?language=ZH").status_code == 400


def test_a_language_the_arena_does_not_detect_is_refused_everywhere(app, world):
    """Only detected languages can have votes: any other code is a 400, never one more empty
    board in the process's cache."""
    client = app.test_client()
    assert client.get("/leaderboard?language=qq").status_code == 400
    assert client.get("/leaderboard?language=zh").status_code == 200
    refused = app.test_cli_runner().invoke(args=["arena", "leaderboard", "--language", "qq"])
    assert refused.exit_code != 0 and "language must be one of" in refused.output


# -- exports ---------------------------------------------------------------------------------------


@pytest.fixture
def example_in_two_languages(app, world):
    example = build_example(app, world, distinct_ids=True)
    with app.app_context(), unit_of_work(db.session):
        first, second = example["prompts"][:2]
        db.session.execute(update(Prompt).where(Prompt.id == first).values(language="zh"))
        db.session.execute(update(Prompt).where(Prompt.id == second).values(language="en"))
    return example


def test_exports_carry_each_rows_language(app, example_in_two_languages):
    client = app.test_client()
    battles = jsonl(download(client, "general", "battles"))
    # The example's first five votes are on the first prompt, the next five on the second.
    assert [row["language"] for row in battles] == ["Chinese"] * 5 + ["English"] * 5
    assert [row["language"] for row in jsonl(download(client, "general", "dpo"))] == ["zh", "en"]
    table = list(csv.reader(io.StringIO(download(client, "general", "csv").get_data(as_text=True))))
    assert table[0][-1] == "language" and [row[-1] for row in table[1:]] == ["zh"] * 5 + ["en"] * 5


def test_the_data_statement_counts_votes_per_language(app, example_in_two_languages):
    facts = app.test_client().get("/api/v1/datasets/general").get_json()["statement"]
    assert facts["language_votes"] == {"zh": 5, "en": 5}
    assert "Chinese (`zh`): 5" in facts["languages"] and "English (`en`): 5" in facts["languages"]

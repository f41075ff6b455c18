"""Battles in and out through the CLI (FastChat's format), the BT leaderboard command, and the
position-bias count of live votes."""

import json
import random
import re
import time

import pytest
from sqlalchemy import func, select

from arena.core.clock import as_utc
from arena.extensions import db
from arena.models import (
    Battle,
    LanguageModel,
    PointEvent,
    PointTotal,
    Response,
    Vote,
    VoteVerdict,
)
from arena.voting import boards, bradley_terry
from arena.voting.bradley_terry import PairCounts
from arena.voting.leaderboard import model_leaderboard
from tests.conftest import build_app
from tests.factories import cast, make_voter, make_world, serve

# Strongest first; "Zephyrine 0" is a model of the test world, the others are new to it.
MODELS = ["GPT-4", "Claude v1", "Zephyrine 0", "Vicuna-13B"]
BT_ROW_KEYS = {"model", "score", "ci_lower", "ci_upper", "rank", "votes", "preliminary"}
START = 1_690_000_000.25  # a tstamp in 2023, with a fraction of a second


def make_battles(count: int, seed: int = 0, models=MODELS) -> list[dict]:
    """Battles where the model listed earlier in `models` tends to win; 20 % ties."""
    rng = random.Random(seed)
    battles = []
    for number in range(count):
        a, b = rng.sample(models, 2)
        edge = 0.5 + 0.15 * (models.index(b) - models.index(a))
        if rng.random() < 0.2:
            winner = rng.choice(["tie", "tie (bothbad)"])
        else:
            winner = "model_a" if rng.random() < edge else "model_b"
        battles.append(
            {
                "question_id": f"q{number}",
                "model_a": a,
                "model_b": b,
                "winner": winner,
                "judge": f"arena_user_{rng.randrange(9)}",
                "tstamp": START + 3600 * number,
                "anony": True,
                "language": "English",
                "turn": 1,
                "conversation_a": [{"role": "user", "content": "Hi"}],
            }
        )
    return battles


def encode(record) -> str:
    """A record as one line of JSON; strings are taken as already encoded (bad JSON too)."""
    return record if isinstance(record, str) else json.dumps(record)


def write(path, records, kind: str = "jsonl"):
    if kind == "jsonl":
        path.write_text("".join(encode(r) + "\n" for r in records), encoding="utf-8")
    else:
        path.write_text("[\n" + ",\n".join(map(encode, records)) + "\n]\n", encoding="utf-8")
    return path


def arena(app, *args):
    return app.test_cli_runner().invoke(args=["arena", *map(str, args)])


def import_battles(app, path, source, *options):
    return arena(app, "import-battles", path, "--source", source, *options)


def bt_board(app, *options) -> dict:
    result = arena(app, "leaderboard", "--method", "bt", "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def imported_votes(app, source: str) -> list[tuple]:
    """(record number, model a, model b, choice, judge, UTC time) of one source, in order."""
    with app.app_context():
        names = dict(db.session.execute(select(LanguageModel.id, LanguageModel.name)).all())
        votes = db.session.scalars(select(Vote).where(Vote.origin == f"import:{source}")).all()
        rows = [
            (
                int(v.external_id.removeprefix(f"{source}:")),
                names[v.model_a_id],
                names[v.model_b_id],
                v.choice,
                v.judge,
                as_utc(v.created_at).timestamp(),
            )
            for v in votes
        ]
    return sorted(rows)


def expected_votes(battles: list[dict]) -> list[tuple]:
    choice = {"model_a": "a", "model_b": "b", "tie": "tie", "tie (bothbad)": "both_bad"}
    return [
        (n, b["model_a"], b["model_b"], choice[b["winner"]], b["judge"], b["tstamp"])
        for n, b in enumerate(battles, start=1)
    ]


def table_counts(app) -> dict:
    tables = (Vote, LanguageModel, PointEvent, PointTotal, VoteVerdict)
    with app.app_context():
        return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in tables}


@pytest.fixture
def second_app(tmp_path):
    """Another freshly migrated app with the test world, on SQLite."""
    folder = tmp_path / "second"
    folder.mkdir()
    app = build_app(folder)
    with app.app_context():
        make_world(db.session)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("kind", ["jsonl", "array"])
def test_every_battle_is_imported_with_its_fields(any_app, any_world, tmp_path, kind):
    battles = make_battles(40)
    result = import_battles(any_app, write(tmp_path / f"b.{kind}", battles, kind), "lmsys")
    assert result.exit_code == 0, result.output
    assert "Read 40 records: 40 battles added, 0 already there, 0 bad; 3 new models." in (
        result.output
    )
    assert imported_votes(any_app, "lmsys") == expected_votes(battles)


def test_json_lines_and_a_json_array_give_the_same_votes(any_app, any_world, tmp_path):
    battles = make_battles(30, seed=5)
    for kind in ("jsonl", "array"):
        result = import_battles(any_app, write(tmp_path / f"b.{kind}", battles, kind), kind)
        assert result.exit_code == 0, result.output
    lines, array = imported_votes(any_app, "jsonl"), imported_votes(any_app, "array")
    assert len(lines) == 30 and lines == array


GOOD = {"model_a": "GPT-4", "model_b": "Claude v1", "winner": "model_a", "judge": "j"}
DEEP = "[" * 100_000 + "]" * 100_000


def good_with(field: str, raw_json: str) -> str:
    """GOOD plus a field written as raw JSON text (which json.dumps could not write)."""
    return encode(GOOD)[:-1] + f', "{field}": {raw_json}}}'


NAME = "must be a model name"
PRINTABLE = "must be printable and at most 120 characters"
NOT_A_TIME, OUT_OF_RANGE = "tstamp must be a Unix time", "tstamp is outside 2000-2100"
TOO_DEEP = "not JSON: maximum recursion depth|nested deeper than 64 levels"
# (the record, whether a JSON array can hold it at all, the problem reported)
BAD_RECORDS = {
    "not JSON": ('{"model_a": "GPT-4", "model_b": ', False, "not JSON"),
    "no winner": ({"model_a": "GPT-4", "model_b": "Claude v1"}, True, "winner must be one of"),
    "unknown winner": ({**GOOD, "winner": "model_c"}, True, "winner must be one of"),
    "same model twice": ({**GOOD, "model_b": "GPT-4"}, True, "are the same model"),
    "same but for spaces": ({**GOOD, "model_b": " GPT-4 "}, True, "are the same model"),
    "a number as name": ({**GOOD, "model_a": 4}, True, "model_a " + NAME),
    "no name": ({**GOOD, "model_a": None}, True, "model_a " + NAME),
    "an empty name": ({**GOOD, "model_b": "  "}, True, "model_b " + NAME),
    "a NUL byte in a name": ({**GOOD, "model_a": "GPT\x004"}, True, "model_a " + PRINTABLE),
    "a name of 121 characters": ({**GOOD, "model_b": "x" * 121}, True, "model_b " + PRINTABLE),
    "a judge that is not text": ({**GOOD, "judge": ["j"]}, True, "judge must be printable"),
    "a tstamp far in the future": ({**GOOD, "tstamp": 1e300}, True, OUT_OF_RANGE),
    "an infinite tstamp": (good_with("tstamp", "1e999"), False, NOT_A_TIME),
    "a huge integer tstamp": (good_with("tstamp", "1" + "0" * 400), False, OUT_OF_RANGE),
    "a NaN tstamp": (good_with("tstamp", "NaN"), False, "not JSON: NaN is not a JSON value"),
    "a negative tstamp": ({**GOOD, "tstamp": -1}, True, OUT_OF_RANGE),
    "a tstamp as text": ({**GOOD, "tstamp": "2023-07-01"}, True, NOT_A_TIME),
    "deeply nested JSON": (DEEP, True, TOO_DEEP),
    "a deeply nested field": (good_with("turns", DEEP), True, TOO_DEEP),
    "not an object": ("[1, 2]", True, "a battle must be a JSON object"),
}


def test_all_the_bad_records_fit_in_the_report():
    assert len(BAD_RECORDS) <= 20  # the command lists the first 20


@pytest.mark.parametrize("kind", ["jsonl", "array"])
def test_bad_records_are_reported_by_number_and_skipped(app, world, tmp_path, kind):
    bad = [
        (record, problem)
        for record, in_array, problem in BAD_RECORDS.values()
        if kind == "jsonl" or in_array
    ]
    good = make_battles(len(bad) + 1, seed=3)
    records, problems = [], {}
    for (record, problem), battle in zip(bad, good, strict=False):
        records += [battle, record]
        problems[len(records)] = problem
    records.append(good[-1])
    result = import_battles(app, write(tmp_path / f"mixed.{kind}", records, kind), "mixed")
    assert result.exit_code == 0, result.output
    assert f"{len(good)} battles added, 0 already there, {len(bad)} bad" in result.output
    reported = dict(
        re.fullmatch(r"record (\d+): (.*)", line.strip()).groups()
        for line in result.output.splitlines()
        if line.strip().startswith("record ")
    )
    assert sorted(map(int, reported)) == sorted(problems)
    for number, problem in problems.items():
        assert re.search(problem, reported[str(number)]), (number, reported[str(number)])
    assert [vote[0] for vote in imported_votes(app, "mixed")] == [
        n for n in range(1, len(records) + 1) if n not in problems
    ]


@pytest.mark.parametrize("kind", ["jsonl", "array"])
@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({**GOOD, "winner": "model_c"}, "winner must be one of"),
        ('{"model_a": "GPT-4", "model_b": ]', "not JSON"),
    ],
    ids=["unknown winner", "not JSON"],
)
def test_strict_import_of_a_file_with_one_bad_record_imports_nothing(
    app, world, tmp_path, kind, bad, problem
):
    records = make_battles(12, seed=4)
    records[7] = bad
    before = table_counts(app)
    result = import_battles(app, write(tmp_path / f"b.{kind}", records, kind), "s", "--strict")
    assert result.exit_code != 0
    assert f"record 8: {problem}" in result.output
    assert "nothing was imported" in result.output
    assert table_counts(app) == before


@pytest.mark.parametrize(
    "broken",
    [
        good_with("tstamp", "NaN"),
        good_with("tstamp", "1e999"),
        good_with("tstamp", "1" + "0" * 400),
        '{"model_a": "GPT-4", "model_b": ]',
    ],
    ids=["NaN", "infinity", "huge integer", "broken object"],
)
def test_a_syntax_error_in_an_array_is_reported_and_ends_the_import(app, world, tmp_path, broken):
    records = make_battles(6, seed=5)
    records[3] = broken
    result = import_battles(app, write(tmp_path / "b.json", records, "array"), "broken")
    assert result.exit_code == 0, result.output
    assert "record 4: not JSON" in result.output
    assert "the rest of the file was not read" in result.output
    assert [vote[0] for vote in imported_votes(app, "broken")] == [1, 2, 3]


def test_a_truncated_array_keeps_its_complete_records(app, world, tmp_path):
    text = write(tmp_path / "b.json", make_battles(5, seed=6), "array").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.rindex('"model_b"')])  # inside the fifth record
    result = import_battles(app, cut, "cut")
    assert "record 5: not JSON" in result.output
    assert [vote[0] for vote in imported_votes(app, "cut")] == [1, 2, 3, 4]


def test_a_strict_import_of_good_records_imports_them_all(app, world, tmp_path):
    result = import_battles(app, write(tmp_path / "b.jsonl", make_battles(12)), "s", "--strict")
    assert result.exit_code == 0, result.output
    assert len(imported_votes(app, "s")) == 12


def test_importing_again_adds_nothing_and_an_interrupted_import_resumes(
    any_app, any_world, tmp_path
):
    battles = make_battles(40, seed=6)
    whole = write(tmp_path / "whole.jsonl", battles)
    assert import_battles(any_app, whole, "lmsys").exit_code == 0
    before = table_counts(any_app)
    again = import_battles(any_app, whole, "lmsys")
    assert "Read 40 records: 0 battles added, 40 already there, 0 bad; 0 new models." in (
        again.output
    )
    assert table_counts(any_app) == before
    # An import stopped after its first half: the second run adds the second half only.
    half = import_battles(any_app, write(tmp_path / "half.jsonl", battles[:20]), "resumed")
    assert "20 battles added" in half.output
    rest = import_battles(any_app, whole, "resumed")
    assert "Read 40 records: 20 battles added, 20 already there, 0 bad" in rest.output
    assert imported_votes(any_app, "resumed") == imported_votes(any_app, "lmsys")
    assert len(imported_votes(any_app, "resumed")) == 40


def test_imported_votes_keep_origin_and_judge_create_models_and_never_earn_points(
    app, world, tmp_path
):
    battles = make_battles(60, seed=7)
    before = table_counts(app)
    result = import_battles(app, write(tmp_path / "b.jsonl", battles), "lmsys")
    assert result.exit_code == 0, result.output
    with app.app_context():
        votes = db.session.scalars(select(Vote)).all()
        assert {v.origin for v in votes} == {"import:lmsys"}
        assert {v.judge for v in votes} == {b["judge"] for b in battles}
        assert all(v.voter_id is None and v.battle_id is None for v in votes)
        names = list(db.session.scalars(select(LanguageModel.name)))
        assert sorted(n for n in names if n in MODELS) == sorted(MODELS)  # no duplicate
        slugs = list(db.session.scalars(select(LanguageModel.slug)))
        assert len(set(slugs)) == len(slugs)
    after = table_counts(app)
    assert after["LanguageModel"] == before["LanguageModel"] + 3
    assert after["Vote"] == 60
    replayed = arena(app, "rebuild-points", "--replay-votes")
    assert "Replayed 0 votes" in replayed.output  # only live votes earn points
    for counted in (after, table_counts(app)):
        for table in ("PointEvent", "PointTotal", "VoteVerdict"):
            assert counted[table] == before[table] == 0
    board = bt_board(app)
    votes = {model: sum(model in (b["model_a"], b["model_b"]) for b in battles) for model in MODELS}
    assert {row["model"]: row["votes"] for row in board["models"]} == votes
    assert board["models"][0]["model"] == "GPT-4"


def test_the_bt_leaderboard_json(app, world, tmp_path):
    import_battles(app, write(tmp_path / "b.jsonl", make_battles(80, seed=8)), "lmsys")
    board = bt_board(app, "--rounds", 20)
    assert set(board) == {"method", "models"} and board["method"] == "bt"
    assert [set(row) for row in board["models"]] == [BT_ROW_KEYS] * 4
    scores = [row["score"] for row in board["models"]]
    assert scores == sorted(scores, reverse=True)
    assert sum(scores) / len(scores) == pytest.approx(1000, abs=0.01)
    for row in board["models"]:
        assert row["ci_lower"] <= row["score"] <= row["ci_upper"]
        assert row["preliminary"] == (row["votes"] < app.config["BOARD_MIN_VOTES"])
    assert bt_board(app, "--rounds", 20) == board  # seeded
    for row in bt_board(app, "--rounds", 0)["models"]:  # no bootstrap: no interval
        assert row["ci_lower"] == row["score"] == row["ci_upper"]


def tally(battles: list[dict]) -> PairCounts:
    """The battles' wins, losses and ties per pair, counted here from the records."""
    models = sorted({b[side] for b in battles for side in ("model_a", "model_b")})
    cells: dict[tuple[int, int], list[int]] = {}
    for b in battles:
        first, second = models.index(b["model_a"]), models.index(b["model_b"])
        cell = cells.setdefault((first, second), [0, 0, 0])
        cell[{"model_a": 0, "model_b": 1}.get(b["winner"], 2)] += 1
    return PairCounts.from_rows(models, [(*pair, *cell) for pair, cell in cells.items()])


def test_the_bt_board_is_the_fit_of_each_communitys_imported_battles(app, world, tmp_path):
    general, coding = make_battles(50, seed=14), make_battles(30, seed=15)
    import_battles(app, write(tmp_path / "g.jsonl", general), "g")
    import_battles(app, write(tmp_path / "c.jsonl", coding), "c", "--community", "coding")
    for options, battles in (([], general + coding), (["--community", "coding"], coding)):
        counts = tally(battles)
        expected = dict(zip(counts.models, bradley_terry.fit(counts), strict=True))
        board = bt_board(app, "--rounds", 0, *options)["models"]
        assert {row["model"]: row["score"] for row in board} == pytest.approx(expected, abs=0.01)
        assert {row["model"]: row["votes"] for row in board} == dict(
            zip(counts.models, counts.votes_per_model(), strict=True)
        )


def test_an_anchor_pins_its_model_and_shifts_the_rest(app, world, tmp_path):
    import_battles(app, write(tmp_path / "b.jsonl", make_battles(60, seed=9)), "lmsys")
    free = bt_board(app, "--rounds", 10)["models"]
    pinned = bt_board(app, "--rounds", 10, "--anchor", "GPT-4=1100")["models"]
    shift = 1100 - next(row["score"] for row in free if row["model"] == "GPT-4")
    assert next(row["score"] for row in pinned if row["model"] == "GPT-4") == 1100
    for before, after in zip(free, pinned, strict=True):
        assert before["model"] == after["model"] and before["rank"] == after["rank"]
        for key in ("score", "ci_lower", "ci_upper"):
            assert after[key] == pytest.approx(before[key] + shift, abs=0.02)


@pytest.mark.parametrize("name", ["org=model:v2", "a:b=c", "ratio 1:2"])
def test_a_model_name_holding_the_separators_can_be_the_anchor(app, world, tmp_path, name):
    battles = make_battles(30, seed=10, models=["GPT-4", name, "Claude v1"])
    import_battles(app, write(tmp_path / "b.jsonl", battles), "lmsys")
    board = bt_board(app, "--rounds", 0, "--anchor", f"{name}=1234.5")
    assert next(row["score"] for row in board["models"] if row["model"] == name) == 1234.5


@pytest.mark.parametrize(
    ("anchor", "message"),
    [
        ("Nobody=1100", "There is no model called 'Nobody' on this board."),
        ("GPT-4", "anchor must be MODEL=SCORE"),
        ("GPT-4=high", "anchor must be MODEL=SCORE"),
        ("GPT-4=nan", "anchor must be MODEL=SCORE"),
        ("=1100", "anchor must be MODEL=SCORE"),
    ],
)
def test_a_bad_anchor_fails_with_a_clear_message(app, world, tmp_path, anchor, message):
    import_battles(app, write(tmp_path / "b.jsonl", make_battles(20)), "lmsys")
    result = arena(app, "leaderboard", "--method", "bt", "--json", "--anchor", anchor)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_without_a_method_the_leaderboard_is_the_trueskill_board(app, world, tmp_path):
    import_battles(app, write(tmp_path / "b.jsonl", make_battles(40, seed=11)), "lmsys")
    for options in ([], ["--community", "general"]):
        result = arena(app, "leaderboard", "--json", *options)
        assert result.exit_code == 0, result.output
        with app.app_context():
            expected = model_leaderboard(db.session, "general" if options else None)
        assert json.loads(result.stdout) == expected
        assert expected["method"] == "trueskill" and len(expected["models"]) == 4


@pytest.fixture
def clock_away_from_utc(monkeypatch):
    """The server's local time zone is not UTC (SQLite hands back naive times)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_export_writes_the_battles_back_and_reimports_to_the_same_board(
    app, world, second_app, tmp_path, clock_away_from_utc
):
    battles = make_battles(50, seed=12)
    import_battles(app, write(tmp_path / "b.jsonl", battles), "lmsys")
    exported = tmp_path / "export.jsonl"
    result = arena(app, "export", "--format", "battles", "--output", exported)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    fields = ("model_a", "model_b", "winner", "judge", "tstamp")
    assert [{k: r[k] for k in fields} for r in lines] == [
        {k: b[k] for k in fields} for b in battles
    ]
    assert {r["source"] for r in lines} == {"import:lmsys"}
    assert arena(app, "export", "--format", "battles", "--source", "live").stdout == ""

    assert import_battles(second_app, exported, "round-trip").exit_code == 0
    assert bt_board(second_app) == bt_board(app)
    assert [v[1:] for v in imported_votes(second_app, "round-trip")] == [
        v[1:] for v in imported_votes(app, "lmsys")
    ]


def test_position_bias_counts_left_wins_of_live_votes_only(app, world, tmp_path):
    choices = {"alice": ["a", "a", "b", "tie"], "bob": ["both_bad", "a", "a", "b"]}
    with app.app_context():
        for name, picks in choices.items():
            voter, _ = make_voter(db.session, name)
            for choice in picks:
                battle = serve(db.session, voter.id, "general")
                token, left = battle.token, battle.response_a_id
                cast(db.session, voter.id, token, choice)
                vote = db.session.scalar(
                    select(Vote)
                    .join(Battle, Battle.id == Vote.battle_id)
                    .where(Battle.token == token)
                )
                assert vote.model_a_id == db.session.get(Response, left).model_id
    # Imported votes, all won by their model_a, are no evidence of a side.
    imported = [{**b, "winner": "model_a"} for b in make_battles(20, seed=13)]
    import_battles(app, write(tmp_path / "b.jsonl", imported), "lmsys")
    with app.app_context():
        assert boards.position_bias(db.session) == {
            "decisive_votes": 6,
            "left_wins": 4,
            "left_win_rate": 0.6667,
        }
        assert boards.position_bias(db.session, "general")["left_wins"] == 4
        assert boards.position_bias(db.session, "coding") == {
            "decisive_votes": 0,
            "left_wins": 0,
            "left_win_rate": None,
        }

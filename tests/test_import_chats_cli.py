"""`arena import-chats`: chat exports of any size streamed in batches, resumed by running the
same command again, bad chats skipped only when asked, consent asked before anything is stored,
and CSV feedback exports refused by name."""

import copy
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arena.chats import sharing
from arena.chats.formats import parse_chat_file, shortened, stream
from arena.chats.scrub import scrub_chats
from arena.core.errors import InvalidInput
from arena.extensions import db
from arena.models import Prompt, Response
from arena.models.chats import SharedChat, SharedMessage
from tests.factories import make_voter, make_world

OWUI = Path(__file__).parent / "data" / "chats" / "openwebui-0.12.4"
EXPORT_ALL = OWUI / "chat-export-all.json"  # "Export All Chats": 9 chats as one JSON list
CHATS_ALL = OWUI / "chats-all.ndjson"  # the same 9 chats as GET /api/v1/chats/all sends them
FEEDBACK = OWUI / "feedback-history-export.json"
OWNER_ID = "ad7bf48b-6501-42d8-ad6d-4b9b63f498b8"  # the Open WebUI user who wrote them
SKY = "98f3cab5-fd67-4411-afe2-7e6a01e46310"  # asked of two models side by side: one blind pair
OPENWEBUI_CSV_HEADER = (
    "id,user_id,chat_id,model_id,sibling_model_ids,rating,reason,comment,created_at,updated_at"
)


@pytest.fixture
def owner(app):
    with app.app_context():
        make_world(db.session, models=2, prompts=1)
        make_voter(db.session, "owner")
        db.session.remove()
    return app


@pytest.fixture
def any_owner(any_app):
    with any_app.app_context():
        make_world(db.session, models=2, prompts=1)
        make_voter(db.session, "owner")
        db.session.remove()
    return any_app


def import_chats(app, path, *options):
    args = ["arena", "import-chats", str(path), "--user", "owner", "--community", "general"]
    return app.test_cli_runner().invoke(args=[*args, *map(str, options)])


def stored(app) -> dict[str, int]:
    """Shared chats, their messages, and the blind pairs' prompts and answers."""
    shared = select(Prompt.id).where(Prompt.origin == "shared_chat")
    queries = {
        "chats": select(func.count(SharedChat.id)),
        "messages": select(func.count(SharedMessage.id)),
        "prompts": select(func.count()).select_from(shared.subquery()),
        "answers": select(func.count(Response.id)).where(Response.prompt_id.in_(shared)),
    }
    with app.app_context():
        counts = {name: db.session.scalar(query) for name, query in queries.items()}
        db.session.remove()
    return counts


def rows(path: Path) -> list[dict]:
    return json.loads(path.read_text())


def write_lines(path: Path, items) -> Path:
    path.write_text("".join((i if isinstance(i, str) else json.dumps(i)) + "\n" for i in items))
    return path


def copies_of_the_sky_chat(count: int) -> list[dict]:
    """The real side-by-side chat, again and again: fresh ids, and a question of its own each."""
    [sky] = [row for row in rows(EXPORT_ALL) if row["id"] == SKY]
    made = []
    for number in range(count):
        row = copy.deepcopy(sky)
        row["id"] = row["chat"]["id"] = str(uuid.uuid4())
        for message in row["chat"]["history"]["messages"].values():
            if message["role"] == "user":
                message["content"] += f" Variant {number}."
        made.append(row)
    return made


# --- files of any size, in batches ------------------------------------------------------------


def test_more_than_a_thousand_chats_are_imported_in_batches(owner, tmp_path):
    path = tmp_path / "chats-all.ndjson"
    write_lines(path, copies_of_the_sky_chat(1500))
    result = import_chats(owner, path, "--batch-size", 400)
    assert result.exit_code == 0, result.output
    assert "Published 1500 chats (1500 blind pairs) in 4 batch(es): 1500 new" in result.output
    assert stored(owner) == {"chats": 1500, "messages": 6000, "prompts": 1500, "answers": 3000}


LAYOUTS = {
    "array": lambda items: json.dumps(items),
    "pretty array": lambda items: json.dumps(items, indent=2),
    "JSON Lines": lambda items: "".join(json.dumps(item) + "\n" for item in items),
    "JSON Lines with a BOM and CRLF": lambda items: (
        "\ufeff" + "".join(json.dumps(item) + "\r\n" for item in items)
    ),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_of_an_export_is_streamed(owner, tmp_path, monkeypatch, layout):
    monkeypatch.setattr(stream, "MAX_FILE_BYTES", 1000)  # too small a file to read whole
    path = tmp_path / "export"
    path.write_text(LAYOUTS[layout](rows(EXPORT_ALL)), encoding="utf-8")
    result = import_chats(owner, path, "--batch-size", 2)
    assert result.exit_code == 0, result.output
    assert "Published 9 chats (3 blind pairs) in 5 batch(es)" in result.output
    assert stored(owner)["chats"] == 9


def test_a_single_chat_written_over_several_lines_is_read_whole(owner, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(rows(EXPORT_ALL)[0], indent=2))
    result = import_chats(owner, path)
    assert result.exit_code == 0, result.output
    assert "Published 1 chats (1 blind pairs)" in result.output


def test_the_ndjson_of_chats_imported_already_adds_nothing_and_reports_no_redaction(
    owner, tmp_path
):
    first = import_chats(owner, EXPORT_ALL)
    assert first.exit_code == 0, first.output
    assert "9 new" in first.output and "EMAIL" in first.output  # a chat gives an address
    before = stored(owner)
    again = import_chats(owner, CHATS_ALL)
    assert again.exit_code == 0, again.output
    assert "Published 0 chats (0 blind pairs)" in again.output
    assert "9 unchanged" in again.output
    assert "Redacted: nothing." in again.output  # nothing was stored, so nothing was redacted
    assert stored(owner) == before


def test_a_chat_grown_since_it_was_shared_is_reported_updated(owner, tmp_path):
    grown = [row for row in rows(EXPORT_ALL) if row["id"] == SKY]
    earlier = copy.deepcopy(grown)
    messages = earlier[0]["chat"]["history"]["messages"]
    last = [key for key, m in messages.items() if not m["childrenIds"]][-1]
    messages[messages[last]["parentId"]]["childrenIds"].remove(last)
    del messages[last]
    assert import_chats(owner, write_lines(tmp_path / "earlier", earlier)).exit_code == 0
    result = import_chats(owner, write_lines(tmp_path / "grown", grown))
    assert result.exit_code == 0, result.output
    assert "Published 1 chats" in result.output
    assert "0 new, 1 updated (1 new messages, 0 new ratings); 0 unchanged" in result.output
    assert stored(owner)["chats"] == 1 and stored(owner)["messages"] == 4


# --- resuming ---------------------------------------------------------------------------------


def test_an_interrupted_import_goes_on_where_it_stopped(any_owner, tmp_path, monkeypatch):
    path = write_lines(tmp_path / "chats.ndjson", copies_of_the_sky_chat(30))
    real_publish, calls = sharing.publish, []

    def failing_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(sharing, "publish", failing_second_batch)
    stopped = import_chats(any_owner, path, "--batch-size", 10)
    assert stopped.exit_code != 0
    assert "Stopped after 1 stored batch(es): 10 chats published" in stopped.output
    assert "Run the same command again" in stopped.output
    assert stored(any_owner)["chats"] == 10  # the first batch, whole; the failed one, not at all

    monkeypatch.setattr(sharing, "publish", real_publish)
    resumed = import_chats(any_owner, path, "--batch-size", 10)
    assert resumed.exit_code == 0, resumed.output
    assert "Published 20 chats (20 blind pairs)" in resumed.output
    assert "20 new, 0 updated (0 new messages, 0 new ratings); 10 unchanged" in resumed.output
    assert stored(any_owner) == {"chats": 30, "messages": 120, "prompts": 30, "answers": 60}


def test_chats_without_ids_are_recognised_by_their_text_when_imported_again(owner, tmp_path):
    conversations = [
        {
            "conversations": [
                {"from": "human", "value": f"How do I reverse list number {n} in Python?"},
                {"from": "gpt", "value": f"Use reversed() on list {n}.", "model": "llama3.1:8b"},
                {"from": "gpt", "value": f"Call .reverse() on list {n}.", "model": "qwen2.5:7b"},
            ]
        }
        for n in range(20)
    ]
    assert import_chats(owner, write_lines(tmp_path / "half", conversations[:10])).exit_code == 0
    whole = import_chats(owner, write_lines(tmp_path / "whole", conversations), "--batch-size", 7)
    assert whole.exit_code == 0, whole.output
    assert "10 new, 0 updated (0 new messages, 0 new ratings); 10 unchanged" in whole.output
    assert stored(owner) == {"chats": 20, "messages": 60, "prompts": 20, "answers": 40}


def test_the_help_tells_how_to_resume(owner):
    result = owner.test_cli_runner().invoke(args=["arena", "import-chats", "--help"])
    assert "Run the same command again" in result.output
    assert "--batch-size" in result.output and "--skip-invalid" in result.output


# --- bad chats --------------------------------------------------------------------------------


def file_with_bad_chats(tmp_path) -> Path:
    lines = CHATS_ALL.read_text().splitlines()
    no_history = json.loads(lines[5])
    del no_history["chat"]["history"]
    return write_lines(
        tmp_path / "mixed.ndjson",
        [*lines[:2], lines[2][:500], *lines[3:5], no_history, *lines[6:]],
    )


def test_a_bad_chat_stops_the_import_before_anything_is_stored(owner, tmp_path):
    result = import_chats(owner, file_with_bad_chats(tmp_path))
    assert result.exit_code != 0
    assert "line 3: not JSON" in result.output
    assert "Nothing was imported: --skip-invalid imports the other chats" in result.output
    assert stored(owner)["chats"] == 0


def test_skip_invalid_names_each_bad_chat_and_imports_the_rest(owner, tmp_path):
    result = import_chats(owner, file_with_bad_chats(tmp_path), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "Published 7 chats" in result.output
    assert "Rejected 2 chats:" in result.output
    assert "  line 3: not JSON" in result.output
    title = json.loads(CHATS_ALL.read_text().splitlines()[5])["title"]
    assert f'  line 6 ("{title}") has no history of messages' in result.output
    assert stored(owner)["chats"] == 7


def test_a_bad_item_of_an_array_is_named_by_its_number_and_title(owner, tmp_path):
    items = rows(EXPORT_ALL)
    message = next(iter(items[3]["chat"]["history"]["messages"].values()))
    del message["role"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(items))
    result = import_chats(owner, path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    title = shortened(items[3]["title"])  # long titles are cut, as ids are
    assert f'  chat 4 ("{title}"): message {message["id"]} has no role' in result.output
    assert "Published 8 chats" in result.output


# --- consent ----------------------------------------------------------------------------------


def test_other_peoples_chats_need_consent_before_anything_is_stored(owner, tmp_path):
    items = rows(EXPORT_ALL)
    for row in items[6:]:  # in the last batch: the first ones would be stored without a survey
        row["user_id"] = "someone-else"
    path = tmp_path / "admin-export.json"
    path.write_text(json.dumps(items))

    refused = import_chats(owner, path, "--batch-size", 2)
    assert refused.exit_code != 0
    assert f"{OWNER_ID} (" in refused.output and "someone-else (" in refused.output
    assert "Nothing was imported" in refused.output and "--consent-everyone" in refused.output
    assert stored(owner)["chats"] == 0

    mine = import_chats(owner, path, "--batch-size", 2, "--only-user", OWNER_ID)
    assert mine.exit_code == 0, mine.output
    assert "Leaving out 3 chats of other Open WebUI users" in mine.output
    assert stored(owner)["chats"] == 6
    everyone = import_chats(owner, path, "--consent-everyone")
    assert everyone.exit_code == 0, everyone.output
    assert "3 new" in everyone.output and stored(owner)["chats"] == 9


def test_a_feedback_export_needs_consent(owner):
    refused = import_chats(owner, FEEDBACK)
    assert refused.exit_code != 0
    assert "an Open WebUI feedback export" in refused.output and OWNER_ID in refused.output
    assert stored(owner)["chats"] == 0


def test_a_feedback_export_in_batches_stores_what_the_whole_file_holds(owner, tmp_path):
    """Open WebUI writes the newest rows first. A chat whose answer was rated again after
    another answer was rated has that other row, whose snapshot shows the old rating, later in
    the file: the newest rating must win, as when the file is read whole."""
    feedback = rows(FEEDBACK)
    older, newer = feedback[1], copy.deepcopy(feedback[0])  # two rows of the sky chat
    newer["updated_at"] = older["updated_at"] + 60
    newer["data"]["rating"] = 1  # its answer, rated -1 before, now rated +1
    newer["snapshot"] = copy.deepcopy(older["snapshot"])
    rated = newer["snapshot"]["chat"]["chat"]["history"]["messages"][newer["meta"]["message_id"]]
    rated["annotation"]["rating"] = 1
    path = tmp_path / "feedback.json"
    path.write_text(json.dumps([newer, *feedback[2:], older]))

    result = import_chats(owner, path, "--consent-everyone", "--batch-size", 1)
    assert result.exit_code == 0, result.output
    whole = scrub_chats(parse_chat_file(path.read_bytes()), b"any key")
    assert "Published 8 chats" in result.output and len(whole) == 8
    with owner.app_context():
        kept = db.session.execute(
            select(SharedMessage.model_name, SharedMessage.content, SharedMessage.rating)
        ).all()
    expected = [(m.model, m.content, m.rating) for s in whole for m in s.chat.messages]
    assert sorted(kept, key=str) == sorted(expected, key=str)


# --- CSV --------------------------------------------------------------------------------------


def test_a_csv_feedback_export_is_refused_by_name(owner, tmp_path):
    path = tmp_path / "feedback-history-export-1796016622000.csv"
    path.write_text(f"{OPENWEBUI_CSV_HEADER}\nf1,{OWNER_ID},{SKY},smollm2-a,smollm2-b,-1,,,1,1\n")
    result = import_chats(owner, path)
    assert result.exit_code != 0
    assert "This looks like a CSV file (Open WebUI's CSV feedback export)" in result.output
    assert "export the feedback as JSON instead" in result.output
    assert stored(owner)["chats"] == 0


@pytest.mark.parametrize(
    "raw, guess",
    [
        (f"{OPENWEBUI_CSV_HEADER}\n".encode(), "Open WebUI's CSV feedback export)"),
        (
            f"\ufeff{OPENWEBUI_CSV_HEADER}\r\nf1,u,c,m,,1,,,1,2\r\n".encode(),
            "Open WebUI's CSV feedback export)",
        ),
        (b'"title","question","answer"\n"a","b","c"\n', "Open WebUI's CSV feedback export?)"),
    ],
)
def test_uploads_of_csv_are_refused_with_what_to_export_instead(raw, guess):
    with pytest.raises(InvalidInput) as refused:
        parse_chat_file(raw)
    assert refused.value.message.startswith(f"This looks like a CSV file ({guess}")
    assert "It holds no chat text to share: export the feedback as JSON" in refused.value.message


def test_json_lines_are_not_taken_for_csv():
    assert len(parse_chat_file(CHATS_ALL.read_bytes())) == 9

"""Reading shared chat files: every format, the normalised tree, and every way a file can be bad."""

import copy
import json
from pathlib import Path

import pytest

from arena.chats import formats as chat_formats
from arena.chats.formats import fields as chat_fields
from arena.chats.formats import parse_chat_file, read_usage
from arena.core.errors import InvalidInput

CHATS = Path(__file__).parent / "data" / "chats"


def fixture(name: str) -> bytes:
    return (CHATS / name).read_bytes()


def owui_message(id, role, content, parent=None, children=(), **extra) -> dict:
    return {
        "id": id,
        "parentId": parent,
        "childrenIds": list(children),
        "role": role,
        "content": content,
        "timestamp": 1732000000,
        **extra,
    }


def owui_file(messages: list[dict], **row) -> bytes:
    """An Open WebUI "Export chat (.json)" file holding one chat with these messages."""
    chat = {"title": "t", "history": {"messages": {m["id"]: m for m in messages}}}
    return json.dumps([{"id": "chat-1", "title": "t", "chat": chat, **row}]).encode()


def two_turns() -> list[dict]:
    return [
        owui_message("u1", "user", "Hi", children=["a1"]),
        owui_message("a1", "assistant", "Hello!", parent="u1", model="m"),
    ]


def rejected(raw: bytes, **kwargs) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_chat_file(raw, **kwargs)
    return caught.value.message


# --- Open WebUI chat exports ----------------------------------------------------------------


def test_single_open_webui_export_becomes_one_tree_in_depth_first_order():
    [chat] = parse_chat_file(fixture("openwebui-chat-export-single.json"))

    assert chat.source_format == "openwebui_chat"
    assert chat.external_id == "6f1c2b7e-3d4a-4b8e-9c21-5e7f0a9d3b12"
    assert chat.title == "🍞 Sourdough starter troubleshooting"
    assert [(m.id[:8], m.role, (m.parent_id or "")[:8]) for m in chat.messages] == [
        ("d3b0a1f2", "user", ""),
        ("9a7e4c2b", "assistant", "d3b0a1f2"),
        ("4c8e2a6b", "assistant", "d3b0a1f2"),
        ("e5f7a9b1", "user", "4c8e2a6b"),
        ("7b9d1f3a", "assistant", "e5f7a9b1"),
    ]
    user, first, second, follow_up, last = chat.messages
    assert user.model is None and user.rating is None and user.timestamp == 1732000000.0
    assert (first.model, first.rating) == ("llama3.1:8b", -1)
    assert first.feedback_note == "A hungry starter is not contaminated."
    assert first.reason == "inaccurate_information"  # older versions stored the label
    assert (second.rating, second.reason, second.feedback_note) == (1, "accurate_information", "")
    # Ollama usage: eval_count tokens in eval_duration nanoseconds.
    assert (first.completion_tokens, first.generation_seconds) == (212, 5.3)
    assert (second.completion_tokens, second.generation_seconds) == (300, 6.0)
    assert (last.completion_tokens, last.generation_seconds, last.rating) == (150, 3.0, None)
    assert follow_up.content == "How often should I feed it at room temperature, about 24°C?"


def test_export_of_all_chats_keeps_each_chat_and_several_first_messages():
    crdt, who = parse_chat_file(fixture("openwebui-chat-export-all.json"))

    assert (crdt.title, who.title) == ("CRDTs for backend developers", "Who are you?")
    # childrenIds order decides sibling order; the subtree of a-crdt-1 comes before a-crdt-2.
    assert [m.id for m in crdt.messages] == [
        "u-crdt-1", "a-crdt-1", "u-crdt-2", "a-crdt-3", "a-crdt-4", "a-crdt-5", "a-crdt-2"
    ]  # fmt: skip
    by_id = {m.id: m for m in crdt.messages}
    assert (by_id["a-crdt-1"].completion_tokens, by_id["a-crdt-1"].generation_seconds) == (
        180,
        None,
    )
    assert by_id["a-crdt-3"].generation_seconds == 3.0  # 210 tokens at "response_token/s" 70
    # An edited first question is a second first message (parentId null).
    assert [m.id for m in who.messages if m.parent_id is None] == ["u-who-1", "u-who-2"]


def test_reasoning_traces_are_removed_from_answers():
    _, who = parse_chat_file(fixture("openwebui-chat-export-all.json"))
    answer = next(m for m in who.messages if m.id == "a-who-3")
    assert answer.content.startswith("Hallo! Ich bin ein KI-Assistent.")
    assert "<details" not in answer.content and "DeepSeek" not in answer.content
    assert answer.content.endswith("frag einfach! 😊")


def test_a_bare_chat_object_without_the_export_row_is_accepted():
    row = json.loads(fixture("openwebui-chat-export-single.json"))[0]
    [chat] = parse_chat_file(json.dumps(row["chat"]).encode())
    assert chat.source_format == "openwebui_chat" and len(chat.messages) == 5
    assert chat.external_id is None  # a bare chat's own id is ""
    assert (
        chat.fingerprint
        == parse_chat_file(fixture("openwebui-chat-export-single.json"))[0].fingerprint
    )


def test_arena_answers_name_the_model_that_was_picked_not_the_arena():
    [chat] = parse_chat_file(
        owui_file(
            [
                owui_message("u1", "user", "Hi", children=["a1"]),
                owui_message(
                    "a1",
                    "assistant",
                    "Hey",
                    parent="u1",
                    model="arena-model",
                    selectedModelId="gemma2:9b",
                    arena=True,
                ),
            ]  # fmt: skip
        )
    )
    assert chat.messages[1].model == "gemma2:9b"


# --- Open WebUI feedback exports ------------------------------------------------------------


def test_feedback_export_groups_rows_by_chat_and_takes_ratings_from_the_rows():
    haiku, postcode = parse_chat_file(fixture("feedback-history-export-1732400000000.json"))

    assert {haiku.source_format, postcode.source_format} == {"openwebui_feedback"}
    assert (haiku.external_id, haiku.title) == ("c-haiku", "Autumn haiku")
    assert haiku.messages[1].model == "gemma2:9b"  # arena: selectedModelId, not "arena-model"
    assert (haiku.messages[1].rating, haiku.messages[1].feedback_note) == (1, "Lovely imagery")
    assert haiku.messages[1].reason == "creative"
    # Two rows rate two answers of one chat; neither snapshot holds the second rating.
    assert postcode.external_id == "c-postcode"
    ratings = {m.id: (m.rating, m.reason, m.feedback_note) for m in postcode.messages}
    assert ratings == {
        "u-post-1": (None, None, ""),
        "a-post-1": (1, "accurate_information", ""),
        "a-post-2": (-1, "inaccurate_information", "Rejects valid postcodes like EC1A 1BB."),
    }
    assert (postcode.messages[2].completion_tokens, postcode.messages[2].generation_seconds) == (
        25,
        0.5,
    )


def test_feedback_rows_without_snapshots_are_skipped_but_one_is_needed():
    rows = json.loads(fixture("feedback-history-export-1732400000000.json"))
    without = copy.deepcopy(rows[0])
    without["snapshot"] = None
    chats = parse_chat_file(json.dumps([without, rows[1]]).encode())
    assert [c.external_id for c in chats] == ["c-postcode"]
    assert "no feedback row carries a chat snapshot" in rejected(json.dumps([without]).encode())


def test_feedback_row_must_rate_a_message_of_its_snapshot():
    rows = json.loads(fixture("feedback-history-export-1732400000000.json"))
    rows[1]["meta"]["message_id"] = "gone"
    assert rejected(json.dumps(rows).encode()) == (
        "feedback 2: the rated message gone is not in its chat snapshot"
    )


# --- OpenAI-style and ShareGPT --------------------------------------------------------------


def test_openai_messages_with_answers_in_a_row_make_siblings():
    hike, picture = parse_chat_file(fixture("openai-messages.json"))

    assert (hike.source_format, hike.external_id) == ("openai", "conv-2024-11-21-001")
    assert hike.title == "Packing list for a rainy weekend hike"
    assert [(m.id, m.role, m.parent_id, m.model) for m in hike.messages] == [
        ("1", "system", None, None),
        ("2", "user", "1", None),
        ("3", "assistant", "2", "gpt-4o-mini"),
        ("4", "user", "3", None),
        ("5", "assistant", "4", "claude-3-5-sonnet-20241022"),
        ("6", "assistant", "4", "gpt-4o-mini"),  # a second answer to message 4
    ]
    # Text parts are kept, image parts left out; the file-level title is absent here.
    assert picture.messages[0].content == "What is in this picture?"
    assert picture.title == "" and picture.messages[1].model == "gpt-4o"


def test_openai_bare_message_list_and_single_object_with_default_model():
    bare = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]
    [chat] = parse_chat_file(json.dumps(bare).encode())
    assert chat.source_format == "openai" and chat.messages[1].model is None

    first, second = parse_chat_file(json.dumps([bare, bare[:1]]).encode())
    assert (len(first.messages), len(second.messages)) == (2, 1)

    single = {"model": "gpt-4o", "messages": bare + [{"role": "developer", "content": "Be brief"}]}
    [chat] = parse_chat_file(json.dumps(single).encode())
    assert [m.role for m in chat.messages] == ["user", "assistant", "system"]
    assert chat.messages[1].model == "gpt-4o"


def test_sharegpt_as_json_lines_and_as_one_object():
    first, second = parse_chat_file(fixture("sharegpt.jsonl"))
    assert first.source_format == "sharegpt" and first.external_id == "sg-0001"
    assert first.messages[1].content == (
        "Japanese: おはようございます (ohayō gozaimasu)\nGerman: Guten Morgen"
    )
    assert first.messages[1].model == "vicuna-13b"  # the conversation's model
    assert [(m.role, m.model) for m in second.messages] == [
        ("system", None),
        ("user", None),
        ("assistant", "mistral-7b-instruct"),
        ("user", None),
        ("assistant", "mistral-7b-instruct"),
    ]
    one = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey"}]}
    [chat] = parse_chat_file(json.dumps(one).encode())
    assert [m.role for m in chat.messages] == ["user", "assistant"]


# --- fingerprints -----------------------------------------------------------------------------


def test_fingerprint_ignores_ids_ratings_titles_and_line_endings_but_not_text():
    base = parse_chat_file(owui_file(two_turns()))[0].fingerprint
    renamed = [
        owui_message("x", "user", "Hi\r\n", children=["y"]),
        owui_message("y", "assistant", "Hello!", parent="x", model="m", annotation={"rating": 1}),
    ]
    assert parse_chat_file(owui_file(renamed, title="other"))[0].fingerprint == base
    changed = two_turns()
    changed[1]["content"] = "Hello there!"
    assert parse_chat_file(owui_file(changed))[0].fingerprint != base
    other_model = two_turns()
    other_model[1]["model"] = "n"
    assert parse_chat_file(owui_file(other_model))[0].fingerprint != base
    assert len(base) == 64


def test_same_chat_in_an_export_and_a_feedback_snapshot_has_one_fingerprint():
    rows = json.loads(fixture("feedback-history-export-1732400000000.json"))
    exported = parse_chat_file(json.dumps([rows[1]["snapshot"]["chat"]]).encode())[0]
    from_feedback = parse_chat_file(json.dumps(rows).encode())[1]
    assert exported.fingerprint == from_feedback.fingerprint


# --- usage ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"eval_count": 100, "eval_duration": 2_500_000_000, "total_duration": 9e9}, (100, 2.5)),
        ({"prompt_tokens": 10, "completion_tokens": 80, "total_tokens": 90}, (80, None)),
        ({"completion_tokens": 80, "response_token/s": 40.0}, (80, 2.0)),
        ({"eval_count": 50, "response_token/s": "N/A"}, (50, None)),
        ({"eval_count": 0, "eval_duration": 0}, (None, None)),
        ({"completion_tokens": True}, (None, None)),
        ("not a usage block", (None, None)),
        (None, (None, None)),
    ],
)
def test_usage_fields_give_tokens_and_generation_seconds(usage, expected):
    assert read_usage(usage) == expected


# --- malformed files --------------------------------------------------------------------------


def with_message(message: dict) -> bytes:
    messages = two_turns()
    messages[0]["childrenIds"].append(message["id"])
    return owui_file([*messages, message])


def cycle() -> bytes:
    messages = two_turns() + [
        owui_message("b1", "user", "loop", parent="b2", children=["b2"]),
        owui_message("b2", "assistant", "loop", parent="b1", children=["b1"]),
    ]
    return owui_file(messages)


def mismatched_id() -> bytes:
    document = json.loads(owui_file(two_turns()))
    document[0]["chat"]["history"]["messages"]["a1"]["id"] = "other"
    return json.dumps(document).encode()


def broken(messages_change) -> bytes:
    messages = two_turns()
    messages_change(messages)
    return owui_file(messages)


def as_json(document) -> bytes:
    return json.dumps(document).encode()


MALFORMED = [
    (b"", "the file is empty"),
    (b"  \n\t ", "the file is empty"),
    (fixture("openwebui-chat-export-single.json")[:700], "the file is not valid JSON: "),
    (b'[{"role": "user", "content": "hi"}', "the file is not valid JSON: Expecting"),
    (b"\xff\xfe[]", "the file is not UTF-8 text (bad byte at offset 0)"),
    (b'"just a string"', "the file holds a JSON string; expected chats"),
    (b"42", "the file holds a JSON number; expected chats"),
    (b"[]", "the file holds an empty list, so there is no chat in it"),
    (b"[1, 2]", "item 1 is a number, not a chat object"),
    (b'{"foo": 1}', "unknown format: expected an Open WebUI chat or feedback export"),
    (b'[{"role": "user", "content": NaN}]', "the file contains NaN, which is not a JSON value"),
    (b"[" * 100_000 + b"]" * 100_000, "the file nests JSON too deeply"),
    (b'{"a": 1}\n{"a": ', "line 2 is not valid JSON: Expecting value at line 1, column 7"),
    (broken(lambda m: m[1].pop("role")), "chat 1: message a1 has no role"),
    (
        broken(lambda m: m[1].update(role="tool")),
        "chat 1: message a1 has role 'tool'; expected one of: user, assistant, system",
    ),
    (broken(lambda m: m[1].update(role=["x"])), "chat 1: message a1 has role ['x']"),
    (broken(lambda m: m[0].update(content=42)), "chat 1: message u1 has content of type number"),
    (broken(lambda m: m[0].pop("content")), "chat 1: message u1 has no content"),
    (
        broken(lambda m: m[0].update(childrenIds=["a1", "zz"])),
        "chat 1: message u1 lists child zz, which is not in the chat",
    ),
    (
        broken(lambda m: m[0].update(childrenIds="a1")),
        "chat 1: message u1 has childrenIds that are not a list of message ids",
    ),
    (
        broken(lambda m: m[1].update(parentId="zz")),
        "chat 1: message a1 has parentId zz, which is not in the chat",
    ),
    (broken(lambda m: m[1].update(parentId=7)), "message a1 has a parentId of type number"),
    (mismatched_id(), "chat 1: message a1 is stored under another id ('other')"),
    (
        broken(lambda m: m[1].update(annotation={"rating": 5})),
        "chat 1: message a1 has rating 5; expected 1 or -1",
    ),
    (broken(lambda m: m[1].update(annotation=["x"])), "message a1 has an annotation of type list"),
    (broken(lambda m: m[1].update(model=3)), "chat 1: message a1 has a model of type number"),
    (broken(lambda m: m[1].update(timestamp="now")), "chat 1: message a1 timestamp is a string"),
    (
        with_message(owui_message("u2", "user", "x", parent="a1")),
        "chat 1: message u1 lists child u2, whose parentId is a1",
    ),
    (cycle(), "chat 1: messages b1, b2 form a cycle (no path to a first message)"),
    (
        with_message(owui_message("u2", "user", "x")),
        "chat 1: message u1 lists child u2, whose parentId is None",
    ),
    (
        broken(lambda m: m[1].update(parentId="p" * 500)),
        "chat 1: message a1 has parentId " + "p" * 59 + "…, which is not in the chat",
    ),
    (as_json([{"chat": {"history": {"messages": {}}}}]), "chat 1 has no messages"),
    (as_json([{"chat": {"title": "x"}}]), "chat 1 has no history of messages"),
    (as_json([{"id": "c", "chat": "nope"}]), "unknown format"),
    (as_json([{"chat": {"history": {"messages": []}}}]), "chat 1: history has no messages object"),
    (
        as_json({"conversations": [{"from": "bot", "value": "x"}]}),
        "chat 1: turn 1 has 'from' 'bot'; expected one of: human, user, gpt, assistant",
    ),
    (as_json({"conversations": [{"value": "x"}]}), "chat 1: turn 1 has no 'from'"),
    (as_json({"conversations": "x"}), "chat 1 has no conversations list"),
    (as_json({"messages": []}), "chat 1 has no messages"),
    (as_json({"messages": "hello"}), "chat 1 has no messages list"),
    (
        as_json([{"messages": [{"role": "user", "content": "a"}]}, "x"]),
        "chat 2 is a string, expected an object",
    ),
]


@pytest.mark.parametrize(("raw", "message"), MALFORMED)
def test_malformed_files_are_rejected_saying_what_and_where(raw, message):
    assert message in rejected(raw)


def test_the_third_chat_is_named_when_it_is_the_broken_one():
    good = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    bad = {"messages": [{"role": "user", "content": "a"}, {"content": "b"}]}
    raw = json.dumps([good, good, bad]).encode()
    assert rejected(raw) == "chat 3: message 2 has no role"


def test_a_file_over_the_size_limit_is_rejected_before_it_is_read():
    raw = fixture("openwebui-chat-export-single.json")
    assert rejected(raw, max_bytes=1024) == (
        f"the file is {len(raw) / 2**20:.1f} MB; the limit is 0.0 MB"
    )
    assert "the limit is 16.0 MB" in rejected(b" " * (16 * 1024 * 1024 + 1))


def test_limits_on_chats_messages_and_message_length(monkeypatch):
    monkeypatch.setattr(chat_fields, "MAX_CHATS_PER_FILE", 1)
    assert rejected(fixture("openwebui-chat-export-all.json")) == (
        "the file holds 2 chats; the limit is 1"
    )
    monkeypatch.setattr(chat_fields, "MAX_MESSAGES_PER_CHAT", 4)
    assert rejected(fixture("openwebui-chat-export-single.json")) == (
        "chat 1 has 5 messages; the limit is 4"
    )
    monkeypatch.setattr(chat_fields, "MAX_MESSAGE_CHARS", 10)
    assert rejected(owui_file(two_turns()[:1] + [two_turns()[1] | {"content": "x" * 11}])) == (
        "chat 1: message a1 is 11 characters long; the limit is 10"
    )


# --- text edge cases ---------------------------------------------------------------------------


def test_very_long_unicode_messages_up_to_the_limit_are_kept_whole():
    text = ("日本語のテキスト 🧪 Ünïcödé " * 20_000)[: chat_formats.MAX_MESSAGE_CHARS]
    messages = two_turns()
    messages[1]["content"] = text
    [chat] = parse_chat_file(owui_file(messages))
    assert chat.messages[1].content == text and len(text) == chat_formats.MAX_MESSAGE_CHARS


def test_nul_characters_and_lone_surrogates_are_made_storable():
    raw = b'[{"role": "user", "content": "a\\u0000b \\ud83d c \\ud83d\\ude00"}]'
    [chat] = parse_chat_file(raw)
    assert chat.messages[0].content == "ab \ufffd c 😀"
    chat.messages[0].content.encode("utf-8")


def test_byte_order_mark_and_messy_titles():
    raw = "\ufeff" + json.dumps({"title": "  Lots \n of\tspace  " + "x" * 300, "messages": [
        {"role": "user", "content": "hi"}
    ]})  # fmt: skip
    [chat] = parse_chat_file(raw.encode("utf-8"))
    assert chat.title.startswith("Lots of space x") and len(chat.title) == 200


def test_a_deep_conversation_is_walked_without_recursion():
    count = chat_formats.MAX_MESSAGES_PER_CHAT
    messages = [
        owui_message(
            f"m{n}",
            "user" if n % 2 == 0 else "assistant",
            f"turn {n}",
            parent=f"m{n - 1}" if n else None,
            children=[f"m{n + 1}"] if n + 1 < count else [],
        )
        for n in range(count)
    ]
    [chat] = parse_chat_file(owui_file(messages))
    assert [m.id for m in chat.messages] == [f"m{n}" for n in range(count)]


def test_line_endings_are_lf_from_parsing_on_as_a_browser_reads_them():
    """The preview's hand-marked offsets are counted by the browser, which reads CR LF and a
    lone CR as one LF: the stored text must have the same characters."""
    raw = owui_file(
        [
            owui_message("u1", "user", "one\r\ntwo\rthree\n", children=["a1"]),
            owui_message(
                "a1",
                "assistant",
                "x\r\ny",
                parent="u1",
                model="m",
                annotation={"comment": "a\r\nb"},
            ),
        ]
    )
    [chat] = parse_chat_file(raw)
    assert [message.content for message in chat.messages] == ["one\ntwo\nthree\n", "x\ny"]
    assert chat.messages[1].feedback_note == "a\nb"


@pytest.mark.parametrize(
    "usage",
    [
        {"eval_count": 2**31, "eval_duration": 9},  # more tokens than the column holds
        {"eval_count": 1e300, "eval_duration": 9},
        {"completion_tokens": 1e300, "response_token/s": 1e-300},
    ],
)
def test_usage_no_real_answer_has_is_left_out(usage):
    tokens, seconds = read_usage(usage)
    assert tokens is None or tokens < 2**31
    assert seconds is None or 1e-3 <= seconds <= 1e6


def test_a_generation_time_too_short_to_be_real_is_left_out():
    assert read_usage({"eval_count": 9, "eval_duration": 1e-300}) == (9, None)
    assert read_usage({"eval_count": 9, "eval_duration": 3e9}) == (9, 3.0)

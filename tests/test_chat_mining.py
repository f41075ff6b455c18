"""Blind pairs and feedback statistics mined from shared chats, checked against hand counts."""

import math
from pathlib import Path

import pytest

from arena.chats.formats import ChatMessage, ParsedChat, parse_chat_file
from arena.chats.mining import (
    FeedbackEvent,
    ModelFeedback,
    candidate_pairs,
    feedback_events,
    mine_prompts,
    preference_pairs,
    summarise_feedback,
)

CHATS = Path(__file__).parent / "data" / "chats"


def chats(name: str) -> list[ParsedChat]:
    return parse_chat_file((CHATS / name).read_bytes())


def chat_of(*messages: ChatMessage) -> ParsedChat:
    return ParsedChat("openai", None, "", list(messages), fingerprint="f")


def wilson(ups: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval written out, to check the library's numbers."""
    p = ups / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


# --- prompts and pairs -------------------------------------------------------------------------


def test_regenerations_by_one_model_give_prompts_but_no_pairs():
    [chat] = chats("openwebui-chat-export-single.json")
    first, follow_up = mine_prompts(chat)

    assert first.context == [] and first.text.startswith("My sourdough starter smells")
    assert [(a.model, a.rating) for a in first.answers] == [("llama3.1:8b", -1), ("llama3.1:8b", 1)]
    assert candidate_pairs(first) == []
    # The follow-up continues from the answer the user went on from: the rated-up regeneration.
    assert follow_up.context == [
        {"role": "user", "content": first.text},
        {"role": "assistant", "content": first.answers[1].text},
    ]
    assert [a.message_id[:8] for a in follow_up.answers] == ["7b9d1f3a"]
    assert (follow_up.answers[0].completion_tokens, follow_up.answers[0].generation_seconds) == (
        150,
        3.0,
    )


def test_multi_model_answers_pair_up_once_per_model():
    crdt, _ = chats("openwebui-chat-export-all.json")
    explain, example = mine_prompts(crdt)

    [(left, right)] = candidate_pairs(explain)
    assert (left.message_id, left.model, right.message_id, right.model) == (
        "a-crdt-1", "gpt-4o", "a-crdt-2", "llama3.1:8b",
    )  # fmt: skip
    # The context runs through a-crdt-1, the answer the follow-up hangs under, not a-crdt-2.
    assert [turn["content"][:12] for turn in example.context] == ["Explain CRDT", "A CRDT (conf"]
    # llama answered twice and neither is rated: its latest answer (a-crdt-5) is the one.
    assert [(a.message_id, b.message_id) for a, b in candidate_pairs(example)] == [
        ("a-crdt-3", "a-crdt-5")
    ]


def test_a_models_rated_up_answer_is_preferred_over_its_latest():
    chat = chat_of(
        ChatMessage("u", "user", "Name a prime.", None),
        ChatMessage("a1", "assistant", "7", "u", model="x", rating=1),
        ChatMessage("a2", "assistant", "9", "u", model="x"),
        ChatMessage("b1", "assistant", "11", "u", model="y", rating=-1),
        ChatMessage("b2", "assistant", "13", "u", model="y", rating=-1),
        ChatMessage("c1", "assistant", "2", "u", model=None),
        ChatMessage("d1", "assistant", "   ", "u", model="z"),
    )
    [prompt] = mine_prompts(chat)
    assert [a.message_id for a in prompt.answers] == ["a1", "a2", "b1", "b2", "c1"]  # d1 is blank
    assert [(a.message_id, b.message_id) for a, b in candidate_pairs(prompt)] == [("a1", "b2")]


def test_self_identifying_answers_take_no_part_in_pairs():
    _, who = chats("openwebui-chat-export-all.json")
    first, second = mine_prompts(who)
    assert [a.self_identifies for a in first.answers] == [True]
    assert [(a.model, a.self_identifies) for a in second.answers] == [
        ("qwen2.5:7b", True),
        ("deepseek-r1:8b", False),
    ]
    assert candidate_pairs(second) == []


def test_a_model_with_a_blind_answer_besides_a_self_identifying_one_still_pairs():
    chat = chat_of(
        ChatMessage("u", "user", "Hi", None),
        ChatMessage(
            "a1", "assistant", "Hello, I'm Claude, here to help.", "u", model="claude", rating=1
        ),
        ChatMessage("a2", "assistant", "Hello! How can I help?", "u", model="claude"),
        ChatMessage("b1", "assistant", "Hi! What do you need?", "u", model="gpt"),
    )
    [prompt] = mine_prompts(chat)
    assert [(a.message_id, b.message_id) for a, b in candidate_pairs(prompt)] == [("a2", "b1")]


def test_context_leaves_out_system_messages_and_flags_a_giveaway_in_it():
    chat = chat_of(
        ChatMessage("s", "system", "You are ChatGPT.", None),
        ChatMessage("u1", "user", "Who are you?", "s"),
        ChatMessage("a1", "assistant", "I am ChatGPT, a model by OpenAI.", "u1", model="gpt"),
        ChatMessage("u2", "user", "Write a limerick.", "a1"),
        ChatMessage("a2", "assistant", "There once was...", "u2", model="gpt"),
        ChatMessage("b2", "assistant", "A coder from...", "u2", model="llama"),
        ChatMessage("u3", "user", "   ", "a2"),
        ChatMessage("a3", "assistant", "?", "u3", model="gpt"),
    )
    first, second = mine_prompts(chat)  # u3 is blank: no prompt
    assert first.context == [] and not first.context_self_identifies
    assert second.message_id == "u2"
    assert [turn["role"] for turn in second.context] == ["user", "assistant"]
    assert second.context_self_identifies
    assert len(candidate_pairs(second)) == 1


def test_linear_formats_pair_answers_given_in_a_row():
    hike, _ = chats("openai-messages.json")
    _, sleeping_bag = mine_prompts(hike)
    assert [turn["role"] for turn in sleeping_bag.context] == ["user", "assistant"]
    [(left, right)] = candidate_pairs(sleeping_bag)
    assert (left.model, right.model) == ("claude-3-5-sonnet-20241022", "gpt-4o-mini")


def test_prompts_from_feedback_exports_carry_the_ratings_of_the_rows():
    _, postcode = chats("feedback-history-export-1732400000000.json")
    [prompt] = mine_prompts(postcode)
    assert [(a.model, a.rating) for a in prompt.answers] == [("gpt-4o-mini", 1), ("gemma2:9b", -1)]
    assert len(candidate_pairs(prompt)) == 1


# --- feedback statistics ----------------------------------------------------------------------


def test_feedback_events_mark_regenerations_per_model_not_side_by_side_answers():
    crdt, _ = chats("openwebui-chat-export-all.json")
    events = feedback_events(crdt)
    assert [(e.message_id, e.model, e.rating, e.regenerated, e.prompt_id) for e in events] == [
        ("a-crdt-1", "gpt-4o", 1, False, "u-crdt-1"),
        ("a-crdt-3", "gpt-4o", None, False, "u-crdt-2"),
        ("a-crdt-4", "llama3.1:8b", None, True, "u-crdt-2"),  # a-crdt-5 asked llama again
        ("a-crdt-5", "llama3.1:8b", None, False, "u-crdt-2"),
        ("a-crdt-2", "llama3.1:8b", -1, False, "u-crdt-1"),
    ]
    assert {e.chat_fingerprint for e in events} == {crdt.fingerprint}


def test_summary_over_two_exports_matches_hand_counts():
    events = [e for c in chats("openwebui-chat-export-single.json") for e in feedback_events(c)]
    events += [e for c in chats("openwebui-chat-export-all.json") for e in feedback_events(c)]
    summary = summarise_feedback(events)

    assert list(summary) == ["deepseek-r1:8b", "gpt-4o", "llama3.1:8b", "qwen2.5:7b"]
    llama = summary["llama3.1:8b"]
    # sourdough: 1 down, 1 up, 1 unrated; CRDT: 1 down, 2 unrated.
    assert (llama.answers, llama.ups, llama.downs) == (6, 1, 2)
    # Regenerated: the first sourdough answer and a-crdt-4.
    assert (llama.regenerated, llama.regeneration_rate) == (2, pytest.approx(2 / 6))
    assert llama.satisfaction == pytest.approx(1 / 3)
    assert llama.satisfaction_interval == pytest.approx(wilson(1, 3))
    # tokens/s: 212/5.3, 300/6, 150/3, 240/8, 320/8, 280/7 = 40, 50, 50, 30, 40, 40.
    assert (llama.tokens_per_second, llama.speed_count) == (pytest.approx(250 / 6), 6)
    assert (llama.wins, llama.losses) == ({}, {"gpt-4o": 1})

    gpt = summary["gpt-4o"]
    assert (gpt.answers, gpt.ups, gpt.downs, gpt.regenerated) == (2, 1, 0, 0)
    assert gpt.satisfaction == 1.0 and gpt.satisfaction_interval == pytest.approx(wilson(1, 1))
    # Only a-crdt-3 has a time (210 tokens at 70 tokens/s); a-crdt-1 has tokens only.
    assert (gpt.tokens_per_second, gpt.speed_count) == (pytest.approx(70.0), 1)
    assert gpt.wins == {"llama3.1:8b": 1}

    qwen = summary["qwen2.5:7b"]  # both answers name their model and still count here
    assert (qwen.answers, qwen.satisfaction, qwen.satisfaction_interval) == (2, None, None)
    assert (qwen.tokens_per_second, qwen.speed_count, qwen.regeneration_rate) == (None, 0, 0.0)
    assert summary["deepseek-r1:8b"].tokens_per_second == pytest.approx(40.0)  # 96 / 2.4


def test_wilson_interval_for_even_thumbs():
    model = ModelFeedback("m", answers=2, ups=1, downs=1)
    low, high = model.satisfaction_interval
    assert (round(low, 4), round(high, 4)) == (0.0945, 0.9055)
    assert (low, high) == pytest.approx(wilson(1, 2))


def test_preference_pairs_need_different_models_and_count_once_per_message():
    def event(prompt, model, rating, message):
        return FeedbackEvent("f", prompt, message, model, rating, False, None, None, False)

    events = [
        event("u1", "a", 1, "m1"),
        event("u1", "a", 1, "m2"),  # a second up for a: still one (a, b) pair for u1
        event("u1", "b", -1, "m3"),
        event("u1", "c", -1, "m4"),
        event("u2", "a", 1, "m5"),
        event("u2", "a", -1, "m6"),  # same model up and down: no pair
        event("u3", "b", 1, "m7"),
        event("u3", "a", -1, "m8"),
    ]
    assert preference_pairs(events) == [("a", "b"), ("a", "c"), ("b", "a")]
    summary = summarise_feedback(events)
    assert summary["a"].wins == {"b": 1, "c": 1} and summary["a"].losses == {"b": 1}
    assert summary["b"].wins == {"a": 1} and summary["c"].losses == {"a": 1}


def test_feedback_export_gives_an_implicit_preference():
    events = [
        e for c in chats("feedback-history-export-1732400000000.json") for e in feedback_events(c)
    ]
    assert preference_pairs(events) == [("gpt-4o-mini", "gemma2:9b")]
    summary = summarise_feedback(events)
    assert (summary["gemma2:9b"].ups, summary["gemma2:9b"].downs) == (1, 1)
    assert summary["gemma2:9b"].tokens_per_second == pytest.approx(50.0)  # 25 tokens in 0.5 s


def test_mining_is_deterministic():
    def mined():
        found = []
        for chat in chats("openwebui-chat-export-all.json"):
            for prompt in mine_prompts(chat):
                found.append((prompt, candidate_pairs(prompt)))
            found.append(summarise_feedback(feedback_events(chat)))
        return found

    assert mined() == mined()

"""Answers that say which model wrote them are caught; answers that only mention a model are not."""

import pytest

from arena.chats.identity import identifying_phrase, self_identifies

SELF_IDENTIFYING = [
    ("As ChatGPT, I can't browse the internet.", "As ChatGPT,"),
    ("I am Claude, an AI assistant made by Anthropic.", "I am Claude"),
    ("I'm an AI developed by OpenAI, so I have no opinions.", "I'm an AI developed by OpenAI"),
    (
        "As a large language model trained by Google, I don't have feelings.",
        "As a large language model trained by Google",
    ),
    ("I am Llama, created by Meta.", "I am Llama"),
    ("Hi there! My name is Gemini. How can I help?", "My name is Gemini"),
    ("Hello, I’m ChatGPT — ask me anything.", "I’m ChatGPT"),
    ("I was trained by Anthropic to be helpful and harmless.", "I was trained by Anthropic"),
    ("I'm a Gemini model from Google.", "I'm a Gemini model"),
    ("I am a fine-tuned version of Llama 3.", "I am a fine-tuned version of Llama"),
    ("OpenAI, the company that created me, says so.", "OpenAI, the company that created me"),
    ("My developers at Mistral AI released me in 2024.", "My developers at Mistral AI"),
    ("I'm OpenAI's assistant.", "I'm OpenAI's"),
    ("I am an Anthropic AI assistant.", "I am an Anthropic AI"),
    ("Sure! **As Claude 3 Opus, I** think the first option is better.", "As Claude 3 Opus,"),
    ("I am Gemini Advanced.", "I am Gemini"),
    ("You're talking to Claude.", "You're talking to Claude"),
    ("I am DeepSeek-V3, an AI assistant by DeepSeek.", "I am DeepSeek"),
    ("I'm Qwen2.5, a model by Alibaba Cloud.", "I'm Qwen"),
    ("Hallo! Ich bin Qwen, entwickelt von Alibaba Cloud.", "Ich bin Qwen"),
    ("Good question.\nAs an AI developed by OpenAI, I don't vote.", "As an AI developed by OpenAI"),
]
MENTIONS = [
    "ChatGPT is popular among students.",
    "Let's compare Claude Monet's paintings with Renoir's.",
    "I recommend trying Claude or ChatGPT for a first draft.",
    "As ChatGPT becomes more popular, I think schools will adapt.",
    "I am a llama farmer in Peru.",
    "I'm a Gemini, so I love talking.",
    "I am sure the Pixel was made by Google.",
    "I am Claude Monet's biggest fan.",
    "I'm a big fan of Mistral models.",
    "Bard was developed by Google.",
    "I think ChatGPT was created by OpenAI.",
    "I am using Llama 3 on my laptop.",
    "I'm not sure Gemini is better.",
    "Google made me realize how much data they hold.",
    "As an AI language model, I cannot browse the web.",
    "I am a software engineer at Google.",
    "This is ChatGPT's answer, not mine.",
    "Claude Shannon founded information theory; I admire him.",
    "The mistral is a cold wind; I felt it in Marseille.",
    "",
]


@pytest.mark.parametrize(("text", "phrase"), SELF_IDENTIFYING)
def test_self_identification_is_caught_and_the_phrase_shown(text, phrase):
    assert self_identifies(text)
    assert identifying_phrase(text) == phrase


@pytest.mark.parametrize("text", MENTIONS)
def test_mentions_of_models_are_not_self_identification(text):
    assert not self_identifies(text)
    assert identifying_phrase(text) is None


def test_the_earliest_giveaway_in_a_long_answer_is_reported():
    text = (
        "Here is the plan. " * 5_000 + "I'm Claude, by the way. My developers at Anthropic agree."
    )
    assert identifying_phrase(text) == "I'm Claude"

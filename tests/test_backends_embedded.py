"""The embedded backend: real text from the bundled SmolLM2 model, run in process by llama.cpp."""

import dataclasses
import threading
import time
from pathlib import Path

import pytest

from arena.custom.backends import (
    BackendError,
    available_models,
    embedded,
    generate,
    load_catalogue,
    parse_catalogue,
    stream_answer,
    unavailable_models,
    warm_up,
)
from tests.backends_support import SMOLLM2, assert_streamed, embedded_catalogue, require_packages

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "backends.json"
QUESTION = [{"role": "user", "content": "Write a short poem about the sea."}]


@pytest.fixture(scope="session")
def smol():
    """The test model, loaded once for the whole session."""
    require_packages("llama_cpp")
    model = embedded_catalogue().model("smol-test")
    warm_up(model)
    return model


def model_with(**params):
    return embedded_catalogue(**params).model("smol-test")


def test_seed_catalogue_offers_two_embedded_contestants(smol, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    catalogue = load_catalogue(SEEDS)
    ready = [model for model in available_models(catalogue) if model.backend == "embedded"]
    assert len(ready) >= 2
    assert len({(model.system_prompt, str(model.params)) for model in ready}) == len(ready)
    assert "OPENAI_API_KEY" in unavailable_models(catalogue)["gpt-4o-mini"]
    assert {model.slug for model in available_models(catalogue, "coding")} >= {
        model.slug for model in ready
    }


def test_streams_real_text_with_stats(smol):
    assert_streamed(stream_answer(smol, QUESTION, seed=1), "embedded")


def test_system_prompt_comes_first(smol):
    generation = stream_answer(smol, QUESTION)
    assert generation.messages[0] == {"role": "system", "content": "You are a helpful assistant."}
    assert generation.messages[1:] == QUESTION


def test_max_tokens_is_respected(smol):
    essay = [{"role": "user", "content": "Write a long essay on the history of Europe."}]
    text, stats = generate(model_with(max_tokens=6), essay, seed=3)
    assert stats.finish_reason == "length"
    assert 0 < stats.completion_tokens <= 6
    assert len(text.split()) <= 6


def test_same_seed_gives_same_text(smol):
    first, _ = generate(smol, QUESTION, seed=42)
    second, _ = generate(smol, QUESTION, seed=42)
    others = {generate(smol, QUESTION, seed=seed)[0] for seed in (1, 2, 3)}
    assert first == second
    assert len(others | {first}) > 1, "different seeds should sample different answers"


def test_concurrent_generations_take_turns(smol):
    results = []

    def answer():
        results.append(generate(smol, QUESTION, seed=5)[0])

    threads = [threading.Thread(target=answer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2
    assert results[0] == results[1]


def test_deadline_stops_the_stream(smol):
    long = model_with(max_tokens=200)
    text, stats = generate(long, QUESTION, seed=1, deadline_seconds=0.01)
    assert stats.finish_reason == "deadline"
    assert text
    assert stats.completion_tokens < 200


def test_busy_model_is_reported_not_waited_for_forever(smol):
    model = embedded.load_model(embedded.weights_path(SMOLLM2), smol.backend_config, smol.slug)
    with model.lock, pytest.raises(BackendError, match="busy"):
        generate(smol, QUESTION, deadline_seconds=0.2)


def test_stopping_early_releases_the_model(smol):
    generation = stream_answer(smol, QUESTION, seed=1)
    chunks = generation.chunks()
    next(chunks)
    chunks.close()
    assert generation.stats.finish_reason == "cancelled"
    model = embedded.load_model(embedded.weights_path(SMOLLM2), smol.backend_config, smol.slug)
    assert not model.lock.locked()
    assert generate(smol, QUESTION, seed=1)[0]


def test_each_contestant_is_loaded_once(smol):
    path = embedded.weights_path(SMOLLM2)
    first = embedded.load_model(path, smol.backend_config, "one")
    assert embedded.load_model(path, smol.backend_config, "one") is first
    assert embedded.load_model(path, smol.backend_config, "other") is not first


def test_two_contestants_on_the_same_weights_answer_at_the_same_time(smol):
    """The sides of a custom battle stream concurrently: their first tokens overlap in time."""
    other = dataclasses.replace(smol, slug="smol-other")
    firsts, lasts = {}, {}

    def answer(config):
        for _ in stream_answer(config, QUESTION, seed=3):
            firsts.setdefault(config.slug, time.monotonic())
            lasts[config.slug] = time.monotonic()

    threads = [threading.Thread(target=answer, args=(c,)) for c in (smol, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert max(firsts.values()) < min(lasts.values())


def test_too_long_a_conversation_is_a_backend_error(smol):
    huge = [{"role": "user", "content": "word " * 5000}]
    with pytest.raises(BackendError, match="too long"):
        generate(smol, huge)


def test_empty_conversation_is_a_backend_error(smol):
    with pytest.raises(BackendError, match="empty"):
        stream_answer(smol, [])


def test_missing_weights_make_a_model_unavailable(tmp_path):
    catalogue = parse_catalogue(
        {
            "backends": [
                {
                    "name": "embedded",
                    "kind": "embedded",
                    "weights": {"ghost": {"path": str(tmp_path / "ghost.gguf")}},
                }
            ],
            "models": [
                {
                    "slug": "ghost",
                    "name": "Ghost",
                    "organization": "Nobody",
                    "backend": "embedded",
                    "backend_model": "ghost",
                }
            ],
        }
    )
    assert "not installed" in unavailable_models(catalogue)["ghost"]
    assert available_models(catalogue) == []
    with pytest.raises(BackendError, match="not installed"):
        generate(catalogue.model("ghost"), QUESTION)

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


def run_threads(*targets, seconds=180) -> None:
    """Run the targets in threads to their end; a thread left running would hold a model."""
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds)
    assert not any(thread.is_alive() for thread in threads), "a generation never finished"


def test_two_answers_of_one_contestant_take_turns(smol):
    """One contestant has one llama.cpp instance, so its answers take turns on its lock.

    The first answer pauses after its first chunk (holding the contestant) until the second
    answer has produced a chunk, or for 3 s. Taking turns, the second cannot: every chunk of the
    second comes after the last chunk of the first in the shared log, whatever the load. (Were
    they not serialised, the second would stream during the pause and interleave.)
    """
    short = model_with(max_tokens=8)  # the same contestant (slug), so the same instance
    log, second_streams, second_asked = [], threading.Event(), threading.Event()
    texts = {}

    def first():
        generation = stream_answer(short, QUESTION, seed=5)
        for number, chunk in enumerate(generation):
            log.append(("first", chunk))
            if number == 0:
                second_asked.set()
                second_streams.wait(timeout=3)
        texts["first"] = generation.text

    def second():
        second_asked.wait(timeout=120)  # ask only once the first holds the contestant
        generation = stream_answer(short, QUESTION, seed=5)
        for chunk in generation:
            log.append(("second", chunk))
            second_streams.set()
        texts["second"] = generation.text

    run_threads(first, second)
    order = [side for side, _ in log]
    assert order == sorted(order), f"the answers interleaved: {order}"  # "first" < "second"
    assert len(set(order)) == 2
    # Same seed, same text: llama.reset() leaves nothing of one answer in the next.
    assert texts["first"] == texts["second"] and texts["first"].strip()


class JumpingClock:
    """The embedded backend's `time` module, with a monotonic clock the test can move on."""

    def __init__(self):
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def __getattr__(self, name):
        return getattr(time, name)


def test_deadline_stops_the_stream(smol, monkeypatch):
    """An hour passes, for the backend, right after the first chunk: the stream stops there.
    No real deadline races the machine's load."""
    clock = JumpingClock()
    monkeypatch.setattr(embedded, "time", clock)
    generation = stream_answer(model_with(max_tokens=200), QUESTION, seed=1, deadline_seconds=30)
    chunks = generation.chunks()
    first = next(chunks)
    clock.offset = 3600.0
    assert list(chunks) == []
    assert generation.stats.finish_reason == "deadline"
    assert generation.text == first and first
    assert 0 < generation.stats.completion_tokens < 200


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
    """The sides of a custom battle stream concurrently: each contestant has its own instance.

    Each side, holding its first chunk (and its contestant's lock), waits until the other side
    has one too. Concurrent sides both get there, however slowly; serialised sides never can,
    and the barrier breaks after 60 s. No clock is compared.
    """
    other = dataclasses.replace(smol, slug="smol-other")
    both_streaming = threading.Barrier(2, timeout=60)
    texts, errors = {}, []

    def answer(config):
        def run():
            try:
                generation = stream_answer(config, QUESTION, seed=3)
                chunks = generation.chunks()
                opening = next(chunks)
                both_streaming.wait()
                texts[config.slug] = opening + "".join(chunks)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        return run

    run_threads(answer(smol), answer(other))
    assert not errors, f"the two sides did not stream at the same time: {errors!r}"
    # Two instances of the same weights, same seed: the same answer.
    assert texts[smol.slug] == texts[other.slug] and texts[smol.slug].strip()


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

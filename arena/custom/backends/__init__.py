"""Model backends for custom prompts: stream an answer from a configured model and time it.

    catalogue = load_catalogue("seeds/backends.json")
    generation = stream_answer(catalogue.model("smollm2-135m-concise"), messages)
    for chunk in generation:
        ...
    generation.stats  # GenerationStats, once the chunks are exhausted

A model is data (`ModelConfig`): a backend, the backend's model name, a system prompt and
sampling parameters. Failures raise `BackendError`, whose message is safe to show a user.
"""

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

from arena.custom.backends import embedded, openai_compatible
from arena.custom.backends.common import BackendError, Progress, chat_messages
from arena.custom.backends.config import (
    EMBEDDED,
    OPENAI_COMPATIBLE,
    BackendConfig,
    Catalogue,
    CatalogueError,
    ModelConfig,
    load_catalogue,
    parse_catalogue,
)

__all__ = [
    "BackendConfig",
    "BackendError",
    "Catalogue",
    "CatalogueError",
    "Generation",
    "GenerationStats",
    "ModelConfig",
    "available_models",
    "generate",
    "load_catalogue",
    "parse_catalogue",
    "stream_answer",
    "unavailable_models",
    "unavailable_reason",
    "warm_up",
]

_BACKENDS = {EMBEDDED: embedded, OPENAI_COMPATIBLE: openai_compatible}


@dataclass(frozen=True)
class GenerationStats:
    latency_seconds: float
    time_to_first_token_seconds: float | None
    completion_tokens: int
    # Decoding speed: tokens after the first over the time between the first and last chunk.
    tokens_per_second: float | None
    backend: str
    backend_model: str
    # "stop", "length", "deadline" (wall time ran out), "cancelled" or "error".
    finish_reason: str = "stop"


class Generation:
    """One answer. Iterate it once for text chunks; `stats` is set when the iteration ends."""

    def __init__(
        self,
        config: ModelConfig,
        messages: list[dict],
        *,
        seed: int | None = None,
        deadline_seconds: float | None = None,
    ):
        self.config = config
        self.messages = chat_messages(config, messages)
        # An explicit seed even when none is asked for: backends may otherwise replay one.
        self.seed = seed if seed is not None else secrets.randbelow(2**31)
        limit = config.backend_config.max_seconds
        self.deadline_seconds = min(deadline_seconds or limit, limit)
        self.stats: GenerationStats | None = None
        self._parts: list[str] = []
        self._started = False

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def __iter__(self) -> Iterator[str]:
        return self.chunks()

    def chunks(self) -> Iterator[str]:
        if self._started:
            raise RuntimeError("A generation can be read only once.")
        self._started = True
        return self._run()

    def _run(self) -> Iterator[str]:
        started = time.monotonic()
        progress = Progress()
        backend_stream = _BACKENDS[self.config.backend_config.kind].stream(
            self.config,
            self.messages,
            seed=self.seed,
            deadline=started + self.deadline_seconds,
            progress=progress,
        )
        first = last = None
        outcome = "error"
        try:
            for piece in backend_stream:
                last = time.monotonic()
                first = first if first is not None else last
                self._parts.append(piece)
                yield piece
            outcome = progress.finish_reason or "stop"
        except GeneratorExit:
            outcome = "cancelled"
            raise
        finally:
            backend_stream.close()
            self.stats = self._stats(started, first, last, progress, outcome)

    def _stats(self, started, first, last, progress: Progress, outcome: str) -> GenerationStats:
        tokens = progress.completion_tokens or 0
        if progress.completion_tokens is None and self._parts:
            tokens = len(self._parts)
        speed = None
        if tokens > 1 and first is not None and last > first:
            speed = (tokens - 1) / (last - first)
        return GenerationStats(
            latency_seconds=time.monotonic() - started,
            time_to_first_token_seconds=None if first is None else first - started,
            completion_tokens=tokens,
            tokens_per_second=speed,
            backend=self.config.backend,
            backend_model=self.config.backend_model,
            finish_reason=outcome,
        )


def stream_answer(
    config: ModelConfig,
    messages: list[dict],
    *,
    seed: int | None = None,
    deadline_seconds: float | None = None,
) -> Generation:
    """Start an answer; nothing is sent to the backend until the first chunk is asked for."""
    return Generation(config, messages, seed=seed, deadline_seconds=deadline_seconds)


def generate(
    config: ModelConfig,
    messages: list[dict],
    seed: int | None = None,
    deadline_seconds: float | None = None,
) -> tuple[str, GenerationStats]:
    """The whole answer at once, with its stats."""
    generation = stream_answer(config, messages, seed=seed, deadline_seconds=deadline_seconds)
    for _ in generation:
        pass
    return generation.text, generation.stats


def warm_up(config: ModelConfig) -> None:
    """Load an embedded model now rather than on its first answer (call it after forking)."""
    if config.backend_config.kind == EMBEDDED and unavailable_reason(config) is None:
        weights = config.backend_config.weights[config.backend_model]
        embedded.load_model(
            embedded.weights_path(weights), config.backend_config, contestant=config.slug
        )


def unavailable_reason(config: ModelConfig) -> str | None:
    """Why this model cannot answer here (a missing package, weights or API key), or None."""
    return _BACKENDS[config.backend_config.kind].unavailable_reason(config)


def unavailable_models(catalogue: Catalogue) -> dict[str, str]:
    reasons = {slug: unavailable_reason(model) for slug, model in catalogue.models.items()}
    return {slug: reason for slug, reason in reasons.items() if reason}


EVERY_COMMUNITY = "*"  # in a model's communities: it answers in every community, new ones too


def serves(model: ModelConfig, community: str) -> bool:
    return community in model.communities or EVERY_COMMUNITY in model.communities


def available_models(catalogue: Catalogue, community: str | None = None) -> list[ModelConfig]:
    return [
        model
        for model in catalogue.models.values()
        if unavailable_reason(model) is None and (community is None or serves(model, community))
    ]

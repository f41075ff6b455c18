"""Small models run in process with llama.cpp, from GGUF files that installed packages ship.

Nothing is downloaded at run time, so custom prompts work on a fresh machine with no network and
no configuration. Each GGUF file is loaded once per process and used by one generation at a time.
"""

import atexit
import importlib.metadata
import importlib.util
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from arena.custom.backends.common import BackendError, Progress, chat_messages
from arena.custom.backends.config import BackendConfig, ModelConfig, Weights

_SAMPLING_KEYS = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
)


@dataclass
class LoadedModel:
    llama: object
    lock: threading.Lock = field(default_factory=threading.Lock)


_loaded: dict[tuple[str, str], LoadedModel] = {}
_loading = threading.Lock()


def llama_cpp_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def weights_path(weights: Weights) -> Path | None:
    """The GGUF file on disk, found through the distribution's file list without importing it."""
    if weights.path:
        path = Path(weights.path).expanduser()
        return path if path.is_file() else None
    try:
        distribution = importlib.metadata.distribution(weights.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    for packaged in distribution.files or ():
        if packaged.as_posix() == weights.file:
            path = Path(distribution.locate_file(packaged))
            return path if path.is_file() else None
    return None


def unavailable_reason(config: ModelConfig) -> str | None:
    if not llama_cpp_installed():
        return "The embedded backend needs llama-cpp-python, which is not installed."
    weights = config.backend_config.weights[config.backend_model]
    if weights_path(weights) is None:
        source = f"package {weights.distribution}" if weights.distribution else weights.path
        return f"The weights for '{config.backend_model}' are not installed ({source})."
    return None


def load_model(
    path: Path, backend: BackendConfig, contestant: str = "", logits_all: bool = False
) -> LoadedModel:
    """Load a GGUF file once per process and contestant; later calls reuse it.

    Each contestant (model configuration) gets its own instance, so the two sides of a custom
    battle stream at the same time even when they share weights; calls for one contestant take
    turns on its lock. Settings of the first load win. `logits_all` keeps every position's
    logits, which scoring a given text needs.
    """
    key = (str(path.resolve()), contestant)
    with _loading:
        if key not in _loaded:
            from llama_cpp import Llama

            llama = Llama(
                model_path=key[0],
                n_ctx=backend.n_ctx,
                n_threads=backend.n_threads,
                n_threads_batch=backend.n_threads,
                logits_all=logits_all,
                verbose=False,
            )
            _loaded[key] = LoadedModel(llama=llama)
        return _loaded[key]


@atexit.register
def close_models() -> None:
    """Free the models while llama.cpp is still importable; at interpreter teardown it is not."""
    with _loading:
        for model in _loaded.values():
            model.llama.close()
        _loaded.clear()
    _close_llama_cpp_devnull()


def _close_llama_cpp_devnull() -> None:
    """llama_cpp opens /dev/null twice on import and never closes it: two ResourceWarnings at
    every exit. Its models are freed above, so nothing writes to them any more."""
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        devnull = getattr(utils, name, None)
        if devnull is not None:
            devnull.close()


def stream(
    config: ModelConfig, messages: list[dict], *, seed: int, deadline: float, progress: Progress
) -> Iterator[str]:
    """Yield the answer's text as it is sampled; stop at max_tokens, a stop or the deadline."""
    reason = unavailable_reason(config)
    if reason:
        raise BackendError(reason)
    weights = config.backend_config.weights[config.backend_model]
    model = load_model(weights_path(weights), config.backend_config, contestant=config.slug)
    if not model.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise BackendError("The model is busy with another answer; try again in a moment.")
    try:
        yield from _stream_locked(model.llama, config, messages, seed, deadline, progress)
    finally:
        model.lock.release()


def _stream_locked(llama, config, messages, seed, deadline, progress) -> Iterator[str]:
    # Forget the previous conversation's cache, so the same seed always gives the same text.
    llama.reset()
    sampling = {key: config.params[key] for key in _SAMPLING_KEYS if key in config.params}
    parts, chunks = [], None
    try:
        chunks = llama.create_chat_completion(
            messages=messages, stream=True, seed=seed, max_tokens=config.max_tokens, **sampling
        )
        for chunk in chunks:
            choice = chunk["choices"][0]
            piece = choice["delta"].get("content")
            if choice.get("finish_reason"):
                progress.finish_reason = choice["finish_reason"]
            if not piece:
                continue
            parts.append(piece)
            yield piece
            if not progress.finish_reason and time.monotonic() >= deadline:
                progress.finish_reason = "deadline"
                break
    except ValueError as error:
        # llama-cpp-python's only ValueError here: the prompt does not fit the context window.
        raise BackendError("The conversation is too long for this model.", str(error)) from error
    finally:
        if chunks is not None:
            chunks.close()
    text = "".join(parts)
    # Counted by the model's own tokenizer: the stream's chunks may merge held-back tokens.
    progress.completion_tokens = len(llama.tokenize(text.encode(), add_bos=False)) if text else 0


def answer_logprob(config: ModelConfig, messages: list[dict], answer: str) -> float:
    """The mean log-probability per token of `answer` as this model's reply to `messages`
    (its system prompt and chat template included): how likely the model is to have written
    it. Answers longer than the context are scored on their beginning."""
    import numpy as np
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    reason = unavailable_reason(config)
    if reason:
        raise BackendError(reason)
    weights = config.backend_config.weights[config.backend_model]
    model = load_model(weights_path(weights), config.backend_config, "scoring", logits_all=True)
    with model.lock:
        llama = model.llama
        formatter = Jinja2ChatFormatter(
            template=llama.metadata["tokenizer.chat_template"],
            eos_token=llama._model.token_get_text(llama.token_eos()),
            bos_token=llama._model.token_get_text(llama.token_bos()),
        )
        prompt = formatter(messages=chat_messages(config, messages)).prompt
        context = llama.tokenize(prompt.encode(), add_bos=False, special=True)
        tokens = llama.tokenize(answer.encode(), add_bos=False, special=False)
        tokens = tokens[: max(0, llama.n_ctx() - len(context))]
        if not tokens or len(context) < 1:
            raise BackendError("The conversation is too long to score against this model.")
        llama.reset()
        llama.eval(context + tokens)
        rows = np.asarray(llama.scores[len(context) - 1 : len(context) + len(tokens) - 1])
        peak = rows.max(axis=1, keepdims=True)
        log_norm = peak[:, 0] + np.log(np.exp(rows - peak).sum(axis=1))
        return float((rows[np.arange(len(tokens)), tokens] - log_norm).mean())

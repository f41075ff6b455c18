"""The Procfile's processes, run the way a Procfile runner runs them (`sh -c`, project root).

Several gunicorn workers without a shared SECRET_KEY would each generate their own
instance/secret_key and reject each other's sessions: the web process must refuse to start
then, and start once SECRET_KEY is set. The worker count gunicorn runs and the count the app
checks come from one place (gunicorn.conf.py), whichever way the count is given.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import NO_PROXY, PROJECT, free_port

ARENA_SETTINGS = (
    "SECRET_KEY",
    "REDIS_URL",
    "DATABASE_URL",
    "WEB_CONCURRENCY",
    "PORT",
    "ARENA_INSTANCE_DIR",
    "GUNICORN_CMD_ARGS",
)
REFUSAL = "SECRET_KEY must be set"


def procfile_command(process: str) -> str:
    for line in (PROJECT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise AssertionError(f"the Procfile has no {process} process")


def procfile_environment(instance_dir: Path, **settings: str) -> dict:
    """This environment without arena settings, this venv's commands first, a private instance."""
    env = {k: v for k, v in os.environ.items() if k not in ARENA_SETTINGS}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ARENA_INSTANCE_DIR"] = str(instance_dir)
    env.update(settings)
    return env


def run_release(env: dict) -> None:
    result = subprocess.run(
        ["sh", "-c", procfile_command("release")],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@contextlib.contextmanager
def web_process(env: dict, log_path: Path):
    """The Procfile's web process on a free port; yields (process, url, log file)."""
    port = free_port()
    with open(log_path, "w+") as log:
        process = subprocess.Popen(
            ["sh", "-c", procfile_command("web")],
            cwd=PROJECT,
            env={**env, "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process, f"http://127.0.0.1:{port}", log
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def read_log(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def wait_for_home_page(process, url: str, log, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with NO_PROXY.open(url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"The web process did not serve /:\n{read_log(log)[-3000:]}")
        time.sleep(0.3)


def wait_for_refusal(process, url: str, log, timeout: float = 120) -> str:
    """The process must exit on its own, non-zero, without ever serving a page."""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        with contextlib.suppress(OSError), NO_PROXY.open(url + "/", timeout=2) as response:
            pytest.fail(f"The web process served / (status {response.status}) instead of refusing")
        if time.monotonic() > deadline:
            pytest.fail(f"The web process neither served nor exited:\n{read_log(log)[-3000:]}")
        time.sleep(0.3)
    output = read_log(log)
    assert process.returncode != 0, output[-3000:]
    return output


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """An instance directory with its SQLite database migrated and seeded by the release step."""
    instance = tmp_path_factory.mktemp("released") / "instance"
    run_release(procfile_environment(instance, SECRET_KEY="release-only"))
    assert (instance / "arena.sqlite3").exists()
    return instance


def test_web_refuses_default_workers_without_secret_key(tmp_path):
    instance = tmp_path / "instance"
    env = procfile_environment(instance)
    with web_process(env, tmp_path / "web.log") as (process, url, log):
        output = wait_for_refusal(process, url, log)
    assert REFUSAL in output
    assert not (instance / "secret_key").exists(), "a worker generated its own key"


def test_web_refuses_workers_given_on_the_command_line_without_secret_key(tmp_path):
    """WEB_CONCURRENCY says 1 but gunicorn is told to run 2: the app sees the 2 it runs."""
    instance = tmp_path / "instance"
    env = procfile_environment(instance, WEB_CONCURRENCY="1", GUNICORN_CMD_ARGS="--workers 2")
    with web_process(env, tmp_path / "web.log") as (process, url, log):
        output = wait_for_refusal(process, url, log)
    assert REFUSAL in output


def test_web_starts_default_workers_with_secret_key(released, tmp_path):
    env = procfile_environment(released, SECRET_KEY="run-modes-" + os.urandom(8).hex())
    with web_process(env, tmp_path / "web.log") as (process, url, log):
        wait_for_home_page(process, url, log)
        output = read_log(log)
    assert output.count("Booting worker with pid") == 2, output[-3000:]
    assert not (released / "secret_key").exists()


def test_web_starts_one_worker_without_secret_key(released, tmp_path):
    """One worker may keep its key in instance/secret_key (generated once, then reused)."""
    instance = shutil.copytree(released, tmp_path / "instance")
    env = procfile_environment(instance, WEB_CONCURRENCY="1")
    with web_process(env, tmp_path / "web.log") as (process, url, log):
        wait_for_home_page(process, url, log)
    assert (instance / "secret_key").exists()

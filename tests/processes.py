"""Processes a test owns outright: a Redis it can stop and start again, a web server it can kill.

tests/servers.py runs servers for the length of a block; these are for tests about what happens
when a process goes away in the middle of things.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.servers import NO_PROXY, PROJECT, free_port


class RedisProcess:
    """A redis-server of the test's own on a free port, without persistence: stopping it loses
    everything, as an outage of a cache-only Redis does. Never the shared one on 6379."""

    def __init__(self, log_dir: Path):
        if not shutil.which("redis-server"):
            pytest.skip("redis-server is not installed: tests that stop Redis skipped")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--logfile", str(self.log_path)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                client.close()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start: {self.log_path.read_text()[-2000:]}")
                time.sleep(0.1)

    def start_if_stopped(self) -> None:
        if self.process is None:
            self.start()

    def stop(self) -> None:
        """Kill it outright (no goodbye to its clients) and wait until the port is free."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def own_redis(log_dir: Path):
    server = RedisProcess(log_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class WebProcess:
    """A server command (with "{port}" in it) in its own process group, so that killing it
    kills its workers too."""

    def __init__(self, command: list[str], env: dict, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [part.replace("{port}", str(self.port)) for part in command]
        self.env, self.log_path = env, log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> "WebProcess":
        log = open(self.log_path, "a")  # noqa: SIM115 - the child writes to it until it ends
        try:
            self.process = subprocess.Popen(
                self.command,
                cwd=PROJECT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        self._wait_until_up(timeout)
        return self

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError), NO_PROXY.open(self.url + "/", timeout=2) as page:
                if page.status == 200:
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"The server did not start:\n{self.log()[-3000:]}")
            time.sleep(0.3)

    def kill(self, how: int = signal.SIGKILL) -> None:
        """Send `how` to the whole group (SIGKILL: no handler, no cleanup) and reap it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, how)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def web_process(command: list[str], env: dict, log_path: Path):
    server = WebProcess(command, env, log_path).start()
    try:
        yield server
    finally:
        server.kill(signal.SIGTERM)

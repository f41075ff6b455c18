"""Behind reverse proxies each client keeps its own rate-limit bucket; without a trusted proxy,
a client's own X-Forwarded-For header changes nothing.

The log-in form allows 10 POSTs a minute per address. Each attempt uses a new unknown name, so
no account's own backoff answers first.
"""

import itertools
import re
import uuid

import pytest
import redis as redis_client
import requests

from arena.config import load_config
from tests.conftest import build_app, csrf_token
from tests.processes import own_redis
from tests.test_run_modes import procfile_environment, run_release, wait_for_home_page, web_process

LOGINS_A_MINUTE = 10
PROXY = "10.0.0.7"  # the address every request arrives from behind a proxy
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
names = (f"nobody{n}" for n in itertools.count())


def log_in(client, forwarded_for: str | None) -> int:
    """One failed log-in sent by `client` through the proxy."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    reply = client.post(
        "/login",
        data={"username": next(names), "password": "wrong", "csrf_token": csrf_token(client)},
        headers=headers,
        environ_base={"REMOTE_ADDR": PROXY},
    )
    return reply.status_code


def limited_app(tmp_path, hops: int):
    return build_app(
        tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", TRUSTED_PROXIES=hops
    )


def test_behind_one_proxy_each_client_has_its_own_bucket(tmp_path):
    app = limited_app(tmp_path, hops=1)
    alice, bob = app.test_client(), app.test_client()
    assert [log_in(alice, "203.0.113.1") for _ in range(LOGINS_A_MINUTE)] == [400] * 10
    assert log_in(alice, "203.0.113.1") == 429
    assert log_in(bob, "203.0.113.2") == 400
    # What a client writes before the proxy's own entry is not believed: still alice's bucket.
    assert log_in(alice, "198.51.100.9, 203.0.113.1") == 429


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(tmp_path):
    app = limited_app(tmp_path, hops=0)
    alice, mallory = app.test_client(), app.test_client()
    assert [log_in(alice, None) for _ in range(LOGINS_A_MINUTE)] == [400] * 10
    assert log_in(mallory, "203.0.113.66") == 429  # same address, whatever it claims


def test_trusted_proxies_come_from_the_environment(monkeypatch, tmp_path):
    settings = {"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x", "REDIS_URL": None}
    monkeypatch.delenv("ARENA_TRUSTED_PROXIES", raising=False)
    assert load_config(settings)["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("ARENA_TRUSTED_PROXIES", "2")
    assert load_config(settings)["TRUSTED_PROXIES"] == 2
    monkeypatch.setenv("ARENA_TRUSTED_PROXIES", "yes")
    with pytest.raises(RuntimeError, match="ARENA_TRUSTED_PROXIES"):
        load_config(settings)


def test_the_procfile_trusts_one_proxy_and_workers_share_buckets_through_redis(tmp_path):
    """The Procfile's web process, 2 workers, limits in Redis: one client's attempts count
    together whichever worker answers, and another client behind the same router is free."""
    instance = tmp_path / "instance"
    run_release(procfile_environment(instance, SECRET_KEY="release-only"))
    with own_redis(tmp_path) as redis:
        secret = "proxy-" + uuid.uuid4().hex
        env = procfile_environment(
            instance, SECRET_KEY=secret, REDIS_URL=redis.url, WEB_CONCURRENCY="2"
        )
        with web_process(env, tmp_path / "web.log") as (process, url, log):
            wait_for_home_page(process, url, log)
            statuses = [http_log_in(url, "203.0.113.1") for _ in range(LOGINS_A_MINUTE + 1)]
            other = http_log_in(url, "203.0.113.2")
            log.seek(0)
            workers = log.read().count("Booting worker with pid")
        with redis_client.Redis.from_url(redis.url) as store:
            counters = store.keys("*203.0.113.1*")
    assert workers == 2
    assert statuses == [400] * LOGINS_A_MINUTE + [429]
    assert other == 400
    assert counters, "the counts are not kept in Redis, where every worker reads them"


def http_log_in(url: str, forwarded_for: str) -> int:
    browser = requests.Session()
    csrf = CSRF.search(browser.get(f"{url}/login").text).group(1)
    reply = browser.post(
        f"{url}/login",
        data={"username": next(names), "password": "wrong", "csrf_token": csrf},
        headers={"X-Forwarded-For": forwarded_for, "Connection": "close"},
        allow_redirects=False,
    )
    return reply.status_code

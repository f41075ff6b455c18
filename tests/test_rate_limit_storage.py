"""The embedded rate-limit storage: the same counting as limits' memory storage, without a
thread started per request."""

import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from arena import rate_limit_storage
from arena.config import load_config


def test_counts_refuse_and_expire_without_starting_threads(monkeypatch):
    storage = storage_from_string("arena-memory://")
    assert isinstance(storage, rate_limit_storage.SweptMemoryStorage)
    limiter, limit = FixedWindowRateLimiter(storage), parse("3/second")
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread))
    assert [limiter.hit(limit, "someone") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(limit, "someone else")
    assert started == []
    time.sleep(1.05)
    assert limiter.hit(limit, "someone")  # the window passed: counted afresh


def test_expired_counters_are_swept_now_and_then(monkeypatch):
    storage = storage_from_string("arena-memory://")
    storage.incr("old", expiry=0.01)
    time.sleep(0.02)
    monkeypatch.setattr(rate_limit_storage, "SWEEP_SECONDS", 0.0)
    storage.incr("new", expiry=60)
    assert "old" not in storage.storage and storage.get("new") == 1


def test_the_embedded_arena_uses_it(tmp_path):
    config = load_config({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x", "REDIS_URL": None})
    assert config["RATELIMIT_STORAGE_URI"] == "arena-memory://"

"""limits' in-process storage without a thread per request.

`limits.storage.MemoryStorage` starts a timer thread that sweeps expired counters 10 ms after
most requests; under load that is a thread start per request (half of Flask-Limiter's 11 % of
the server's CPU in the SQLite vote-cycle benchmark, BENCHMARKS.md). Its fixed-window
counters already expire when read, so sweeping is only housekeeping: this storage does it
inline, at most every SWEEP_SECONDS.
Registered as `arena-memory://`, the embedded default (`RATELIMIT_STORAGE_URI`).
"""

import threading
import time

from limits.storage import MemoryStorage

SWEEP_SECONDS = 10.0


class SweptMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["arena-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._swept_at = time.monotonic()
        self._sweep_lock = threading.Lock()

    # MemoryStorage calls this (a private, name-mangled method) before every change.
    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802
        now = time.monotonic()
        if now - self._swept_at < SWEEP_SECONDS or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._swept_at = now
            self._MemoryStorage__expire_events()
        finally:
            self._sweep_lock.release()

"""After votes and skips: start the integrity scan in the background, debounced.

Each process looks at most once a minute; the scan itself is claimed on the database's
`integrity_clock` row, so across all workers it runs at most once per
`INTEGRITY_SCAN_MINUTES`, never inside a vote's transaction and never delaying a reply.
"""

import logging
import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from arena.core.db import unit_of_work
from arena.extensions import db
from arena.integrity import scan
from arena.models import utcnow

logger = logging.getLogger(__name__)
LOOK_EVERY_SECONDS = 60.0
_state = {"looked_at": float("-inf")}
_lock = threading.Lock()


def nudge() -> None:
    """Called after a vote or skip has committed."""
    minutes = current_app.config["INTEGRITY_SCAN_MINUTES"]
    if not minutes:
        return
    with _lock:
        if time.monotonic() - _state["looked_at"] < LOOK_EVERY_SECONDS:
            return
        _state["looked_at"] = time.monotonic()
    engine = db.engine
    threading.Thread(
        target=_scan_if_due, args=(engine, timedelta(minutes=minutes)), daemon=True
    ).start()


def _scan_if_due(engine, every: timedelta) -> None:
    with Session(engine) as session:
        try:
            with unit_of_work(session):
                if not scan.claim(session, utcnow(), every):
                    return
            with unit_of_work(session):
                found = scan.run(session, utcnow())
            logger.info("Integrity scan: %d flags", found.flags)
        except Exception:  # noqa: BLE001 - a failed scan leaves the previous weights in place
            logger.exception("The integrity scan failed")

"""Configuration read from the environment, with defaults that run embedded."""

import contextlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _normalise_database_url(url: str) -> str:
    """Accept the postgres:// URLs hosting platforms hand out and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _local_secret_key(instance_dir: Path) -> str:
    """A key generated once and kept in instance/, so sessions survive restarts locally."""
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        draft = instance_dir / f"secret_key.{secrets.token_hex(8)}"
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        # A link appears whole and never replaces: of two processes starting at once, the
        # first key wins for both.
        try:
            with contextlib.suppress(FileExistsError):
                os.link(draft, key_file)
        finally:
            draft.unlink()
    return key_file.read_text().strip()


def _trusted_proxies(value: str) -> int:
    if not value.isdigit():
        raise RuntimeError(
            f"ARENA_TRUSTED_PROXIES must be a number of proxies (0 or more): {value!r}"
        )
    return int(value)


def load_config(overrides: dict | None = None) -> dict:
    """Build the app configuration: environment first, then explicit overrides."""
    overrides = overrides or {}
    instance_dir = Path(
        overrides.get("INSTANCE_DIR") or os.environ.get("ARENA_INSTANCE_DIR") or INSTANCE_DIR
    )
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL")
    config = {
        "INSTANCE_DIR": str(instance_dir),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(
            database_url or _sqlite_url(instance_dir / "arena.sqlite3")
        ),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # One process unless told otherwise; under gunicorn, gunicorn.conf.py exports the number
        # of workers it really runs, so the SECRET_KEY check below sees it.
        "WEB_CONCURRENCY": int(os.environ.get("WEB_CONCURRENCY", "1")),
        # Embedded default: migrate and seed on start so one command gives a working arena.
        "AUTO_SETUP": os.environ.get("ARENA_AUTO_SETUP", "1") == "1",
        "SEEDS_DIR": str(PROJECT_ROOT / "seeds"),
        # Model backends and the moderation hook of custom prompts (data; keys come from env).
        "BACKENDS_FILE": os.environ.get(
            "ARENA_BACKENDS_FILE", str(PROJECT_ROOT / "seeds/backends.json")
        ),
        "MODERATION_FILE": str(PROJECT_ROOT / "seeds" / "moderation.json"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (ProxyFix).
        # 0 embedded: a client could name any address in those headers and dodge rate limits.
        "TRUSTED_PROXIES": _trusted_proxies(os.environ.get("ARENA_TRUSTED_PROXIES", "0").strip()),
        "SESSION_COOKIE_HTTPONLY": True,
        # Scale mode is served over HTTPS; the embedded default runs on plain http://127.0.0.1.
        "SESSION_COOKIE_SECURE": os.environ.get("ARENA_SECURE_COOKIES", "") == "1",
        "REMEMBER_COOKIE_SECURE": os.environ.get("ARENA_SECURE_COOKIES", "") == "1",
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # "Remember me" lasts a month, not Flask-Login's year; logout revokes it anyway.
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_HEADERS_ENABLED": True,
        # With Redis unreachable, limits count in this process's memory until it answers again
        # (Flask-Limiter checks back now and then), so votes and logins keep working.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # A served battle left unvoted this long is recorded as skipped (and a new one served).
        "BATTLE_EXPIRY_MINUTES": int(os.environ.get("ARENA_BATTLE_EXPIRY_MINUTES", "30")),
        # The published Bradley–Terry boards: bootstrap rounds and seed, and the vote count
        # under which a model is listed apart as preliminary.
        "BOARD_ROUNDS": int(os.environ.get("ARENA_BOARD_ROUNDS", "100")),
        "BOARD_SEED": int(os.environ.get("ARENA_BOARD_SEED", "0")),
        "BOARD_MIN_VOTES": int(os.environ.get("ARENA_BOARD_MIN_VOTES", "50")),
        # After new votes a board whose last fit took at most this long is refitted in the
        # request; a slower one is served as it was while a background thread refits it.
        "BOARD_INLINE_SECONDS": float(os.environ.get("ARENA_BOARD_INLINE_SECONDS", "0.25")),
        # Votes start an integrity scan (integrity/scan.py) in the background at most this
        # often across all workers; 0 leaves it to `arena integrity-scan` (e.g. from cron).
        "INTEGRITY_SCAN_MINUTES": float(os.environ.get("ARENA_INTEGRITY_SCAN_MINUTES", "10")),
        # A visitor may try this many battles as a guest before signing up (never more than
        # probation lasts: voting/guests.py), and an address may start this many guests an hour.
        "GUEST_VOTES": int(os.environ.get("ARENA_GUEST_VOTES", "5")),
        "GUESTS_PER_HOUR": int(os.environ.get("ARENA_GUESTS_PER_HOUR", "20")),
    }
    config.update(overrides)
    config["RATELIMIT_STORAGE_URI"] = config.get("RATELIMIT_STORAGE_URI") or (
        config["REDIS_URL"] or "arena-memory://"
    )
    if config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        # redis-py waits 5 s by default: a request must not wait that long for a limit.
        config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
        )
    if not config["SECRET_KEY"]:
        if config["WEB_CONCURRENCY"] > 1 or config["REDIS_URL"]:
            raise RuntimeError(
                "SECRET_KEY must be set when several workers share sessions "
                "(WEB_CONCURRENCY > 1 or REDIS_URL set)."
            )
        config["SECRET_KEY"] = _local_secret_key(instance_dir)
    return config

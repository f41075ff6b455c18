"""Fixtures: an app on SQLite (and on PostgreSQL when TEST_DATABASE_URL is set), clients, voters.

Without TEST_DATABASE_URL / TEST_REDIS_URL the tests needing them skip with a reason; when the
variable is set but the service does not answer, they fail (CI sets both).
"""

import atexit
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
import redis
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from arena import MIGRATIONS_DIR, create_app
from arena.extensions import db
from tests.factories import make_voter, make_world

# Tests of other features see every vote count: no probation, checks or caps (and servers the
# tests start inherit it). tests/test_vote_integrity.py loads seeds/integrity.json itself.
INTEGRITY_OPEN = Path(__file__).parent / "data" / "integrity_open.json"
os.environ.setdefault("ARENA_INTEGRITY_FILE", str(INTEGRITY_OPEN))

SHARED_POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
CSRF_PATTERN = re.compile(r'name="csrf-token" content="([^"]+)"')


def private_postgres_url() -> str:
    """A database of this test run's own beside TEST_DATABASE_URL's, so that two runs on one
    server (two developers, or CI and a developer) never drop each other's tables."""
    global _private_postgres
    if _private_postgres is None:
        shared = make_url(SHARED_POSTGRES_URL)
        name = f"{shared.database}_run{os.getpid()}"
        _run_on_server(shared, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        atexit.register(_run_on_server, shared, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _private_postgres = shared.set(database=name).render_as_string(hide_password=False)
    return _private_postgres


_private_postgres: str | None = None


def _run_on_server(url, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}")
    finally:
        engine.dispose()


def reset_postgres(url: str) -> None:
    """Drop every table (also alembic's), so each test starts from an empty database."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}")
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url():
    if not SHARED_POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    url = private_postgres_url()
    reset_postgres(url)
    return url


def require_redis() -> None:
    """Skip without TEST_REDIS_URL; fail when it is set but Redis does not answer."""
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests skipped")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        pytest.fail(f"TEST_REDIS_URL is set but Redis is unreachable: {error}")


@pytest.fixture
def redis_url():
    require_redis()
    return REDIS_URL


def app_config(tmp_path, database_url: str, **overrides) -> dict:
    return {
        "TESTING": True,
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "INTEGRITY_SCAN_MINUTES": 0,  # scans run where a test asks for them
        # Boards always follow a change at once, however slow a loaded machine makes a fit
        # (test_boards_web.py tests the background refit with a cache of its own).
        "BOARD_INLINE_SECONDS": 3600.0,
        **overrides,
    }


def migrate(app) -> None:
    """The schema tests run on is the one the migrations build, as in production."""
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        db.session.remove()
        db.engine.dispose()


_sqlite_template: Path | None = None


def migrated_sqlite_file() -> Path:
    """An empty SQLite database migrated once per test run; each test gets a copy."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="arena-template-"))
        path = folder / "template.sqlite3"
        migrate(create_app(app_config(folder, f"sqlite:///{path}")))
        _sqlite_template = path
    return _sqlite_template


def build_app(tmp_path, database_url: str | None = None, **overrides):
    if database_url is None or database_url.startswith("sqlite"):
        target = tmp_path / "arena.sqlite3"
        if database_url:
            target = Path(database_url.removeprefix("sqlite:///"))
        shutil.copyfile(migrated_sqlite_file(), target)
        return create_app(app_config(tmp_path, f"sqlite:///{target}", **overrides))
    app = create_app(app_config(tmp_path, database_url, **overrides))
    migrate(app)
    return app


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Run a test on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'arena.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def close_app(app) -> None:
    """Let background board refits finish (a connection they hold outlives `dispose`, and its
    garbage collection would warn in a later test), then close every pooled connection."""
    for thread in threading.enumerate():
        if thread.name == "board-refit":
            thread.join(timeout=30)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path):
    app = build_app(tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def any_app(tmp_path, database_url):
    """The app on SQLite and again on PostgreSQL."""
    app = build_app(tmp_path, database_url)
    yield app
    close_app(app)


@pytest.fixture
def world(app):
    with app.app_context():
        return _ids(make_world(db.session))


@pytest.fixture
def any_world(any_app):
    with any_app.app_context():
        return _ids(make_world(db.session))


def _ids(world: dict) -> dict:
    """Plain values, so tests never touch rows of a closed session."""
    return {
        "communities": list(world["communities"]),
        "models": [(m.id, m.slug, m.name) for m in world["models"]],
        "prompts": [p.id for p in world["prompts"]],
    }


class ApiClient:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, **kwargs):
        return self.client.get(url, headers=self.headers, **kwargs)

    def post(self, url, json=None, **kwargs):
        return self.client.post(url, json=json, headers=self.headers, **kwargs)

    def battle(self, community=None):
        body = {"community": community} if community else None
        response = self.post("/api/v1/battles", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def vote(self, token, choice="a"):
        return self.post(f"/api/v1/battles/{token}/vote", json={"choice": choice})


def api_client_for(app, username="voter") -> ApiClient:
    with app.app_context():
        _, token = make_voter(db.session, username)
    return ApiClient(app.test_client(), token)


@pytest.fixture
def api(app, world):
    return api_client_for(app)


@pytest.fixture
def any_api(any_app, any_world):
    return api_client_for(any_app)


def csrf_token(client, url="/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return CSRF_PATTERN.search(page).group(1)


def sign_up(client, username="alice", password="correct horse"):
    token = csrf_token(client, "/signup")
    return client.post(
        "/signup",
        data={"username": username, "password": password, "confirm": password, "csrf_token": token},
    )


@pytest.fixture
def browser_client(app, world):
    """A logged-in browser-like client (session cookie + CSRF tokens)."""
    client = app.test_client()
    assert sign_up(client).status_code == 302
    return client

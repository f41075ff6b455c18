"""The real seeds, the CLI commands, and migrations that match the models on both databases."""

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import func, select

from arena import MIGRATIONS_DIR, create_app
from arena.extensions import db
from arena.models import Base, Community, LanguageModel, Prompt, Rating, Response, Vote
from tests.conftest import build_app

TABLES = (Community, LanguageModel, Prompt, Response, Vote, Rating)


def counts() -> dict:
    return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):
    """The real seeds, loaded once through the CLI for this module."""
    app = build_app(tmp_path_factory.mktemp("seeded"))
    result = app.test_cli_runner().invoke(args=["arena", "seed"])
    assert result.exit_code == 0, result.output
    return app


def test_seed_loads_real_content_and_is_idempotent(seeded_app):
    with seeded_app.app_context():
        first = counts()
        assert first["Community"] == 4 and first["LanguageModel"] >= 30
        assert first["Prompt"] > 600 and first["Response"] > 4000 and first["Vote"] > 6800
        slugs = set(db.session.scalars(select(Community.slug)))
        assert {"general", "coding", "medical", "legal"} <= slugs
    again = seeded_app.test_cli_runner().invoke(args=["arena", "seed"])
    assert "0 prompts" in again.output and "0 votes" in again.output
    with seeded_app.app_context():
        assert counts() == first


def test_every_seeded_community_can_serve_a_battle(seeded_app):
    runner = seeded_app.test_cli_runner()
    runner.invoke(args=["arena", "create-user", "sam", "--password", "correct horse"])
    token = runner.invoke(args=["arena", "create-token", "sam"]).output.strip()
    client = seeded_app.test_client()
    for slug in ("general", "coding", "medical", "legal"):
        reply = client.post(
            "/api/v1/battles",
            json={"community": slug},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reply.status_code == 201, (slug, reply.get_json())


def test_seeded_leaderboard_comes_from_real_human_votes(seeded_app):
    result = seeded_app.test_cli_runner().invoke(args=["arena", "leaderboard", "--json"])
    board = json.loads(result.output)
    api_board = seeded_app.test_client().get("/api/v1/leaderboard").get_json()
    assert board == api_board
    assert board["method"] == "trueskill" and len(board["models"]) == 9
    scores = [row["score"] for row in board["models"]]
    assert scores == sorted(scores, reverse=True)
    assert {"GPT-4", "Claude v1"} <= {row["model"] for row in board["models"][:3]}


def test_rebuild_ratings_reproduces_the_table(seeded_app):
    with seeded_app.app_context():
        before = [
            (r.model_id, r.scope, r.mu, r.sigma, r.votes)
            for r in db.session.scalars(select(Rating).order_by(Rating.model_id, Rating.scope))
        ]
    result = seeded_app.test_cli_runner().invoke(args=["arena", "rebuild-ratings"])
    assert result.exit_code == 0 and "Replayed" in result.output
    with seeded_app.app_context():
        after = [
            (r.model_id, r.scope, r.mu, r.sigma, r.votes)
            for r in db.session.scalars(select(Rating).order_by(Rating.model_id, Rating.scope))
        ]
    assert after == before


def test_create_user_and_token_commands(app, world):
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["arena", "create-user", "root", "--password", "correct horse", "--role", "admin"]
    )
    assert made.exit_code == 0 and "admin 'root'" in made.output
    dup = runner.invoke(args=["arena", "create-user", "root", "--password", "correct horse"])
    assert dup.exit_code != 0 and "taken" in dup.output
    short = runner.invoke(args=["arena", "create-user", "kim", "--password", "x"])
    assert short.exit_code != 0 and "at least 10" in short.output
    token = runner.invoke(args=["arena", "create-token", "root"]).output.strip()
    assert token.startswith("ca_")
    reply = app.test_client().post("/api/v1/battles", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 201
    missing = runner.invoke(args=["arena", "create-token", "nobody"])
    assert missing.exit_code != 0 and "No user called 'nobody'" in missing.output


def test_leaderboard_command_rejects_unknown_community(app, world):
    result = app.test_cli_runner().invoke(args=["arena", "leaderboard", "--community", "nope"])
    assert result.exit_code != 0 and "no community called 'nope'" in result.output


def test_migrations_build_the_models_schema(tmp_path, database_url):
    """Upgrading an empty database yields exactly the tables the models declare."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_DIR": str(tmp_path),
            "SECRET_KEY": "x",
        }
    )
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        db.engine.dispose()
    assert diff == []


def test_embedded_default_migrates_and_seeds_on_first_start(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app({"INSTANCE_DIR": str(tmp_path), "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        assert counts()["Prompt"] > 600
        db.engine.dispose()
    assert (tmp_path / "secret_key").exists()

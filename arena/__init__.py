"""Crowd Arena: blind, crowd-sourced evaluation of language models."""

from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from werkzeug.middleware.proxy_fix import ProxyFix

from arena import realtime
from arena.config import PROJECT_ROOT, load_config
from arena.core.db import configure_engine, unit_of_work
from arena.extensions import csrf, db, limiter, login_manager, migrate, socketio

MIGRATIONS_DIR = PROJECT_ROOT / "arena" / "migrations"


def create_app(config: dict | None = None) -> Flask:
    """Build the app; config overrides the environment (tests pass their database here)."""
    settings = load_config(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_DIR"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    _init_extensions(app)
    _register_web(app)
    _trust_proxies(app)
    if app.config["AUTO_SETUP"] and not app.testing and _is_sqlite(app):
        _migrate_and_seed(app)
    return app


def _is_sqlite(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def _init_extensions(app: Flask) -> None:
    if _is_sqlite(app):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    queue = realtime.message_queue(app.config["REDIS_URL"], channel="crowd-arena")
    # Always given, None included: the module-level SocketIO keeps options between apps.
    socketio.init_app(app, async_mode="threading", client_manager=queue)


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, the client is the address the outermost one saw.

    Wraps everything (Socket.IO too), so rate limits and connections see the client's address;
    with 0 hops a client's own X-Forwarded-For header is ignored (it could name anyone)."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _register_web(app: Flask) -> None:
    from arena import cli
    from arena.web import register_blueprints

    register_blueprints(app)
    cli.init_app(app)


def _migrate_and_seed(app: Flask) -> None:
    from arena.voting import seeding

    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        if not seeding.is_seeded(db.session):
            app.logger.info("Seeding the arena on first start (takes a few seconds)...")
            with unit_of_work(db.session):
                report = seeding.seed(
                    db.session, app.config["SEEDS_DIR"], app.config["BACKENDS_FILE"]
                )
            app.logger.info("Seeded: %s", report)

"""`flask --app wsgi arena ...` commands, over the same services as the web."""

import functools
import json
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from arena import realtime
from arena.chats import sharing
from arena.chats.formats import parse_chat_file
from arena.core import accounts
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.core.errors import ArenaError
from arena.core.events import LeaderboardChanged
from arena.extensions import db
from arena.game import awards, points
from arena.game.rules import default_rules
from arena.models import OVERALL, Community, utcnow
from arena.voting import battles, ratings, seeding
from arena.voting.leaderboard import model_leaderboard

arena_cli = AppGroup("arena", help="Crowd Arena administration.")
CLI_MAX_BYTES = 256 * 1024 * 1024  # bulk loads may be larger than web uploads


def _fail_on_domain_error(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ArenaError as error:
            raise click.ClickException(error.message) from None

    return wrapper


@arena_cli.command("seed")
def seed_command():
    """Load seeds/ (idempotent: a second run adds nothing)."""
    with unit_of_work(db.session):
        report = seeding.seed(
            db.session, current_app.config["SEEDS_DIR"], current_app.config["BACKENDS_FILE"]
        )
    click.echo(f"Seeded: {report}.")


@arena_cli.command("rebuild-ratings")
def rebuild_ratings_command():
    """Replay the vote log into the ratings table."""
    with unit_of_work(db.session):
        count = ratings.rebuild_ratings(db.session)
    scopes = [OVERALL, *db.session.scalars(select(Community.slug))]
    realtime.publish([LeaderboardChanged(scopes=scopes)])  # via Redis when configured
    click.echo(f"Replayed {count} votes into the ratings.")


@arena_cli.command("expire-battles")
def expire_battles_command():
    """Record every battle left unvoted past the expiry as skipped."""
    now = utcnow()
    expiry = timedelta(minutes=current_app.config["BATTLE_EXPIRY_MINUTES"])
    with unit_of_work(db.session):
        count = battles.expire_open_battles(db.session, None, now - expiry, now)
    click.echo(f"Recorded {count} unvoted battles as skipped.")


@arena_cli.command("rebuild-points")
@click.option(
    "--replay-votes",
    is_flag=True,
    help="Also re-derive vote points, consensus verdicts, streaks and badges from the votes.",
)
def rebuild_points_command(replay_votes):
    """Recompute point totals from the ledger (optionally re-deriving it from the votes)."""
    with unit_of_work(db.session):
        count = awards.replay_votes(db.session, default_rules()) if replay_votes else None
        totals = points.rebuild_totals(db.session)
    if count is not None:
        click.echo(f"Replayed {count} votes into points, verdicts, streaks and badges.")
    click.echo(f"Rebuilt {totals} point totals from the ledger.")


@arena_cli.command("import-chats")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True, help="The contributor.")
@click.option("--community", required=True, help="Community slug.")
@click.option("--licence", type=click.Choice(list(sharing.LICENCES)), default="CC0-1.0")
@click.option("--tags", default="", help="Comma-separated tags.")
@_fail_on_domain_error
def import_chats_command(file, username, community, licence, tags):
    """Scrub and publish a chat export in bulk (whole file or nothing)."""
    user = accounts.require_user(db.session, username)
    raw = Path(file).read_bytes()
    options = sharing.SharingOptions(community, licence, [t for t in tags.split(",") if t.strip()])
    total = len(parse_chat_file(raw, max_bytes=CLI_MAX_BYTES))
    bar = click.progressbar(length=total, label="Scrubbing and publishing")
    with bar, unit_of_work(db.session):
        result = sharing.publish(
            db.session, user.id, raw, options, progress=bar.update, max_bytes=CLI_MAX_BYTES
        )
    realtime.publish(result.events)
    published = result.published
    click.echo(
        f"Published {len(published)} chats ({sum(c.pairs for c in published)} blind pairs); "
        f"{len(result.chats) - len(published)} duplicates skipped."
    )
    redacted = ", ".join(f"{count} {kind}" for kind, count in sorted(result.redactions().items()))
    click.echo(f"Redacted: {redacted or 'nothing'}.")


@arena_cli.command("leaderboard")
@click.option("--community", default=None, help="Community slug (default: overall).")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@_fail_on_domain_error
def leaderboard_command(community, as_json):
    """Print the model leaderboard."""
    slug = find_community(db.session, community).slug if community else None
    board = model_leaderboard(db.session, slug)
    if as_json:
        click.echo(json.dumps(board, indent=2))
        return
    click.echo(f"{'#':>3}  {'model':<32} {'score':>7} {'mu':>7} {'sigma':>6} {'votes':>6}")
    for rank, row in enumerate(board["models"], start=1):
        click.echo(
            f"{rank:>3}  {row['model']:<32} {row['score']:>7.2f} {row['mu']:>7.2f} "
            f"{row['sigma']:>6.2f} {row['votes']:>6}"
        )


@arena_cli.command("create-user")
@click.argument("name")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--role", type=click.Choice(accounts.ROLES), default="user")
@_fail_on_domain_error
def create_user_command(name, password, role):
    """Create an account."""
    with unit_of_work(db.session):
        user = accounts.create_user(db.session, name, password, role)
    click.echo(f"Created {user.role} '{user.username}'.")


@arena_cli.command("create-token")
@click.argument("name")
@_fail_on_domain_error
def create_token_command(name):
    """Print a new personal API token for a user (only its hash is stored)."""
    with unit_of_work(db.session):
        user = accounts.require_user(db.session, name)
        token = accounts.create_api_token(db.session, user, label="cli")
    click.echo(token)


def init_app(app: Flask) -> None:
    app.cli.add_command(arena_cli)

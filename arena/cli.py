"""`flask --app wsgi arena ...` commands, over the same services as the web."""

import functools
import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from arena import accounts, gamification, points, ratings, realtime, seeding, sharing
from arena.chat_formats import parse_chat_file
from arena.errors import ArenaError
from arena.extensions import db
from arena.leaderboard import model_leaderboard
from arena.models import OVERALL, Community
from arena.rules import default_rules
from arena.voting import find_community

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
    report = seeding.seed(db.session, current_app.config["SEEDS_DIR"])
    click.echo(f"Seeded: {report}.")


@arena_cli.command("rebuild-ratings")
def rebuild_ratings_command():
    """Replay the vote log into the ratings table."""
    count = ratings.rebuild_ratings(db.session)
    scopes = [OVERALL, *db.session.scalars(select(Community.slug))]
    realtime.publish([("leaderboard_changed", {"scopes": scopes})])  # via Redis when configured
    click.echo(f"Replayed {count} votes into the ratings.")


@arena_cli.command("rebuild-points")
@click.option(
    "--replay-votes",
    is_flag=True,
    help="Also re-derive vote points, consensus verdicts, streaks and badges from the votes.",
)
def rebuild_points_command(replay_votes):
    """Recompute point totals from the ledger (optionally re-deriving it from the votes)."""
    if replay_votes:
        count = gamification.replay_votes(db.session, default_rules())
        click.echo(f"Replayed {count} votes into points, verdicts, streaks and badges.")
    totals = points.rebuild_totals(db.session)
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
    with click.progressbar(length=total, label="Scrubbing and publishing") as bar:
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
    user = accounts.create_user(db.session, name, password, role)
    click.echo(f"Created {user.role} '{user.username}'.")


@arena_cli.command("create-token")
@click.argument("name")
@_fail_on_domain_error
def create_token_command(name):
    """Print a new personal API token for a user (only its hash is stored)."""
    user = accounts.require_user(db.session, name)
    click.echo(accounts.create_api_token(db.session, user, label="cli"))


def init_app(app: Flask) -> None:
    app.cli.add_command(arena_cli)

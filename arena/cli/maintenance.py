"""Seeding, rebuilding what is derived from the logs, and expiring unvoted battles."""

from datetime import timedelta

import click
from flask import current_app
from sqlalchemy import select

from arena import realtime
from arena.cli import arena_cli
from arena.core.db import unit_of_work
from arena.core.events import LeaderboardChanged
from arena.extensions import db
from arena.game import awards, points
from arena.game.rules import default_rules
from arena.integrity import scan
from arena.models import OVERALL, Community, utcnow
from arena.voting import languages, open_battles, ratings, seeding


@arena_cli.command("seed")
def seed_command():
    """Load seeds/ (idempotent: a second run adds nothing)."""
    with unit_of_work(db.session):
        report = seeding.seed(
            db.session, current_app.config["SEEDS_DIR"], current_app.config["BACKENDS_FILE"]
        )
    click.echo(f"Seeded: {report}.")


@arena_cli.command("rebuild-ratings")
@click.option(
    "--retune", is_flag=True, help="First set each scope's draw probability to its tie share."
)
def rebuild_ratings_command(retune):
    """Replay the vote log into the ratings table."""
    with unit_of_work(db.session):
        count = ratings.rebuild_ratings(db.session, retune=retune)
    scopes = [OVERALL, *db.session.scalars(select(Community.slug))]
    realtime.publish([LeaderboardChanged(scopes=scopes)])  # via Redis when configured
    click.echo(f"Replayed {count} votes into the ratings.")


@arena_cli.command("expire-battles")
def expire_battles_command():
    """Record every battle left unvoted past the expiry as skipped."""
    now = utcnow()
    expiry = timedelta(minutes=current_app.config["BATTLE_EXPIRY_MINUTES"])
    with unit_of_work(db.session):
        count = open_battles.expire_open_battles(db.session, None, now - expiry, now)
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


@arena_cli.command("integrity-scan")
def integrity_scan_command():
    """Run the integrity tests on every community now; replaces flags and voters' weights."""
    now = utcnow()
    with unit_of_work(db.session):
        scan.claim(db.session, now, timedelta(0))
        found = scan.run(db.session, now)
    weighted = sum(len(by_voter) for by_voter in found.weighted.values())
    click.echo(f"Scanned: {found.flags} flags, {weighted} voters weighted down in a community.")


@arena_cli.command("detect-languages")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=1000, show_default=True)
def detect_languages_command(batch_size):
    """Fill in the language of prompts and votes stored without one (each batch commits;
    running it again only reads what is still missing)."""
    prompts = _in_batches(languages.detect_prompt_batch, batch_size)
    votes = _in_batches(languages.fill_vote_batch, batch_size)
    click.echo(f"Languages: {prompts} prompts and {votes} votes given one.")


def _in_batches(fill, batch_size: int) -> int:
    done, after = 0, 0
    while after is not None:
        with unit_of_work(db.session):
            count, after = fill(db.session, after, batch_size)
        done += count
    return done

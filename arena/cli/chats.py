"""Bulk imports of shared chats, and checks of the models they claim."""

from pathlib import Path

import click
from flask import current_app

from arena import realtime
from arena.chats import drafts, rescrub, sharing
from arena.chats.formats import parse_chat_file
from arena.cli import arena_cli, fail_on_domain_error
from arena.core import accounts
from arena.core.db import unit_of_work
from arena.custom.backends import load_catalogue
from arena.extensions import db
from arena.integrity import attribution
from arena.models import utcnow

CLI_MAX_BYTES = 256 * 1024 * 1024  # bulk loads may be larger than web uploads
CLI_MAX_CHATS = 100_000


@arena_cli.command("import-chats")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True, help="The contributor.")
@click.option("--community", required=True, help="Community slug.")
@click.option("--licence", type=click.Choice(list(sharing.LICENCES)), default="CC0-1.0")
@click.option("--tags", default="", help="Comma-separated tags.")
@fail_on_domain_error
def import_chats_command(file, username, community, licence, tags):
    """Scrub and publish a chat export in bulk (whole file or nothing)."""
    user = accounts.require_user(db.session, username)
    raw = Path(file).read_bytes()
    options = sharing.SharingOptions(community, licence, [t for t in tags.split(",") if t.strip()])
    chats = parse_chat_file(raw, max_bytes=CLI_MAX_BYTES, max_chats=CLI_MAX_CHATS)
    with click.progressbar(length=len(chats), label="Scrubbing") as bar:
        prepared = sharing.prepare_chats(chats, options, user.share_key, progress=bar.update)
    # Only the writes hold the transaction (and SQLite's write lock): scrubbing is done.
    with unit_of_work(db.session):
        result = sharing.publish(db.session, user.id, prepared)
    realtime.publish(result.events)
    published = result.published
    click.echo(
        f"Published {len(published)} chats ({sum(c.pairs for c in published)} blind pairs); "
        f"{len(result.chats) - len(published)} duplicates skipped."
    )
    redacted = ", ".join(f"{count} {kind}" for kind, count in sorted(result.redactions().items()))
    click.echo(f"Redacted: {redacted or 'nothing'}.")


@arena_cli.command("purge-drafts")
def purge_drafts_command():
    """Delete chat uploads left unpublished past their lifetime (run it hourly, e.g. by cron)."""
    with unit_of_work(db.session):
        purged = drafts.purge_expired(db.session, utcnow())
    click.echo(f"Deleted {purged} expired draft(s).")


@arena_cli.command("check-attributions")
@click.option("--limit", default=50, show_default=True, help="Answers to check in this run.")
def check_attributions_command(limit):
    """Score uploaded answers claimed as an in-process contestant under that model; outliers
    are listed for moderators at /moderation."""
    catalogue = load_catalogue(current_app.config["BACKENDS_FILE"])
    with unit_of_work(db.session):
        checks = attribution.check_claims(db.session, catalogue, utcnow(), limit=limit)
    outliers = sum(check.outlier for check in checks)
    click.echo(f"Checked {len(checks)} claimed answers: {outliers} outliers.")


@arena_cli.command("rescrub-chats")
@click.option("--dry-run", is_flag=True, help="Count what would change; write nothing.")
def rescrub_chats_command(dry_run):
    """Apply today's scrubbing to every stored shared chat and what was mined from it: chats
    stored by earlier versions kept model names, message ids, titles, notes and tags as sent."""
    renames = rescrub.plan_models(db.session)
    report = rescrub.RescrubReport()
    if dry_run:
        for row in renames:
            report.count(row)
    else:
        with unit_of_work(db.session):
            report = rescrub.apply_models(db.session, renames)
    for batch in rescrub.plan_chats(db.session):  # detection runs here, outside any write
        report.chats += len(batch.chat_ids)
        if dry_run:
            for row in batch.updates:
                report.count(row)
            continue
        with unit_of_work(db.session):
            written = rescrub.apply(db.session, batch.updates)
        report.changes.update(written.changes)
        report.redactions.update(written.redactions)
    _echo_rescrub(report, dry_run)


def _echo_rescrub(report: rescrub.RescrubReport, dry_run: bool) -> None:
    changed = ", ".join(f"{count} {kind}" for kind, count in sorted(report.changes.items()))
    found = ", ".join(f"{count} {kind}" for kind, count in sorted(report.redactions.items()))
    verb = "Would change" if dry_run else "Changed"
    click.echo(f"Examined {report.chats} chats. {verb}: {changed or 'nothing'}.")
    click.echo(f"Redacted: {found or 'nothing'}.")
    if dry_run:
        click.echo("Dry run: nothing was written.")

"""Bulk imports of shared chats, and checks of the models they claim."""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app

from arena import realtime
from arena.chats import drafts, rescrub, sharing
from arena.chats.consent import Consent, ConsentRequired, consented
from arena.chats.formats import MAX_CHATS_PER_FILE, stream
from arena.cli import arena_cli, fail_on_domain_error
from arena.core import accounts
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.core.errors import InvalidInput
from arena.custom.backends import load_catalogue
from arena.extensions import db
from arena.integrity import attribution
from arena.models import utcnow

# Limits of a whole-file parse of a bulk load (bench/bench_import_votes.py reads files so).
CLI_MAX_BYTES = 256 * 1024 * 1024
CLI_MAX_CHATS = 100_000
# A file the site would take whole (up to 1,000 chats) is stored whole here too.
DEFAULT_BATCH = MAX_CHATS_PER_FILE


@dataclass
class ImportTally:
    """What the batches of one import stored."""

    batches: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0  # stored before with nothing new, or repeated in the file
    new_messages: int = 0
    new_ratings: int = 0
    pairs: int = 0
    redactions: Counter = field(default_factory=Counter)
    option_redactions: dict[str, int] = field(default_factory=dict)

    def add(self, result: sharing.SharingResult) -> None:
        stored = result.published
        updated = [chat for chat in stored if chat.updated]
        self.batches += 1
        self.new += len(stored) - len(updated)
        self.updated += len(updated)
        self.unchanged += len(result.chats) - len(stored)
        self.new_messages += sum(chat.new_messages for chat in updated)
        self.new_ratings += sum(chat.new_ratings for chat in updated)
        self.pairs += sum(chat.pairs for chat in stored)
        if stored:
            # Only stored chats count; the tags are scrubbed with every batch but count once.
            self.redactions.update(result.redactions())
            self.redactions.subtract(result.option_redactions)
            self.option_redactions = result.option_redactions

    @property
    def published(self) -> int:
        return self.new + self.updated

    def redacted(self) -> Counter:
        return +(self.redactions + Counter(self.option_redactions))


@arena_cli.command("import-chats")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="The contributor.")
@click.option("--community", required=True, help="Community slug.")
@click.option("--licence", type=click.Choice(list(sharing.LICENCES)), default="CC0-1.0")
@click.option("--tags", default="", help="Comma-separated tags.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Chats scrubbed and stored per transaction.",
)
@click.option(
    "--consent-everyone",
    is_flag=True,
    help="Everyone whose chats the file holds agreed to share them (asked for a file with "
    "several Open WebUI users' chats, and for feedback exports).",
)
@click.option(
    "--only-user",
    metavar="OWUI_USER_ID",
    help="Import only this Open WebUI user's chats (your own).",
)
@click.option(
    "--skip-invalid", is_flag=True, help="Import the valid chats; name each rejected one and why."
)
@fail_on_domain_error
def import_chats_command(
    file, username, community, licence, tags, batch_size, consent_everyone, only_user, skip_invalid
):
    """Scrub and publish a chat export of any size (a JSON array or JSON Lines, such as Open
    WebUI's "Export All Chats" or its /api/v1/chats/all), streamed in batches.

    The whole file is checked first: nothing is stored unless every chat in it is valid (or
    --skip-invalid is given) and, when it holds other people's chats, consent is given. Then
    each batch of chats is scrubbed and stored in one transaction.

    Interrupted? Run the same command again: it continues. Chats stored already are recognised
    (by their Open WebUI chat id, or by their text), reported as unchanged and not stored twice.
    """
    if consent_everyone and only_user:
        raise click.UsageError("Choose --consent-everyone or --only-user, not both.")
    contributor = _contributor(username, community)
    options = sharing.check_options(
        sharing.SharingOptions(community, licence, [t for t in tags.split(",") if t.strip()])
    )
    consent = Consent(consent_everyone, only_user)
    found = _checked_file(file, skip_invalid)
    total = _consented_count(found, consent)
    if only_user:
        click.echo(f"Leaving out {len(found.chats) - total} chats of other Open WebUI users.")
    tally = _publish_batches(file, found, contributor, options, consent, batch_size, total)
    _echo_report(tally, found.rejected)
    if not total:
        raise click.ClickException("Nothing was imported: no chat of the file could be taken.")


def _contributor(username: str, community: str) -> tuple[int, bytes]:
    """(user id, share key); a wrong user or community stops the import before the file is read."""
    user = accounts.require_user(db.session, username)
    find_community(db.session, community)
    contributor = user.id, user.share_key
    db.session.rollback()  # no read transaction stays open while the file is read and scrubbed
    return contributor


def _checked_file(file: Path, skip_invalid: bool) -> stream.Survey:
    with click.progressbar(length=file.stat().st_size, label="Checking every chat") as bar:
        try:
            return stream.survey(file, skip_invalid, progress=bar.update)
        except stream.InvalidChat as error:
            raise InvalidInput(
                f"{error.message.rstrip('.')}. Nothing was imported: --skip-invalid imports the "
                "other chats and names each rejected one."
            ) from None


def _consented_count(found: stream.Survey, consent: Consent) -> int:
    """How many chats will be imported; stops, before anything is stored, when the file holds
    other people's chats and no choice was made."""
    try:
        return len(consented(found.chats, consent))
    except ConsentRequired as question:
        raise InvalidInput(
            f"{question.message} Nothing was imported. On the command line: --consent-everyone, "
            "or --only-user OWUI_USER_ID."
        ) from None


def _publish_batches(file, found, contributor, options, consent, batch_size, total) -> ImportTally:
    user_id, share_key = contributor
    tally = ImportTally()
    batches = stream.chat_batches(file, found, batch_size, consent.only_user)
    with click.progressbar(length=total, label="Scrubbing and storing") as bar:
        try:
            for batch in batches:
                prepared = sharing.prepare_chats(batch, options, share_key, consent, bar.update)
                with unit_of_work(db.session):
                    result = sharing.publish(db.session, user_id, prepared)
                realtime.publish(result.events)
                tally.add(result)
        except BaseException:
            click.echo(
                f"\nStopped after {tally.batches} stored batch(es): {tally.published} chats "
                f"published, {tally.unchanged} unchanged. Run the same command again to go on: "
                "what is stored already is recognised and not stored twice.",
                err=True,
            )
            raise
    return tally


def _echo_report(tally: ImportTally, rejected: list[stream.RejectedChat]) -> None:
    click.echo(
        f"Published {tally.published} chats ({tally.pairs} blind pairs) in {tally.batches} "
        f"batch(es): {tally.new} new, {tally.updated} updated ({tally.new_messages} new "
        f"messages, {tally.new_ratings} new ratings); {tally.unchanged} unchanged (stored "
        "before with nothing new, or repeated in the file)."
    )
    redacted = ", ".join(f"{count} {kind}" for kind, count in sorted(tally.redacted().items()))
    click.echo(f"Redacted: {redacted or 'nothing'}.")
    if rejected:
        click.echo(f"Rejected {len(rejected)} chats:", err=True)
        for chat in rejected:
            click.echo(f"  {chat}", err=True)


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

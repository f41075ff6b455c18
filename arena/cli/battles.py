"""Leaderboards, and battles in and out in FastChat's format."""

import json
import sys
from itertools import islice
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from arena import realtime
from arena.cli import arena_cli, fail_on_domain_error
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.core.errors import InvalidInput
from arena.core.events import LeaderboardChanged
from arena.datasets import exports, markdown, statement
from arena.datasets import selection as datasets_selection
from arena.extensions import db
from arena.models import OVERALL, Community, Vote, utcnow
from arena.voting import battle_io, boards, languages, ratings, selection
from arena.voting.leaderboard import model_leaderboard

BATCH = 5000


@arena_cli.command("leaderboard")
@click.option("--community", default=None, help="Community slug (default: overall).")
@click.option(
    "--method",
    type=click.Choice(["trueskill", "bt"]),
    default=None,
    help="Default: trueskill, or bt with --language or --voter-cap.",
)
@click.option("--anchor", default=None, help="BT only: MODEL=SCORE pins a model's score.")
@click.option("--rounds", type=click.IntRange(0, 1000), default=None, help="Bootstrap rounds.")
@click.option("--style", type=click.Choice(["length"]), default=None, help="Style-controlled BT.")
@click.option("--language", default=None, help="BT only: votes on prompts in this language code.")
@click.option("--voter-cap", is_flag=True, help="BT only: each voter weighs at most K votes.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@fail_on_domain_error
def leaderboard_command(community, method, anchor, rounds, style, language, voter_cap, as_json):
    """Print the model leaderboard (TrueSkill, or Bradley–Terry with 95 % intervals; a language
    board or a capped one is Bradley–Terry)."""
    slug = find_community(db.session, community).slug if community else None
    language = languages.check_language(language)
    narrowed = bool(language or voter_cap)
    if narrowed and method == "trueskill":
        raise click.UsageError(
            "--language and --voter-cap need --method bt: TrueSkill ratings "
            "are kept per community only."
        )
    method = method or ("bt" if narrowed else "trueskill")
    if method == "trueskill":
        board = model_leaderboard(db.session, slug)
    else:
        config = current_app.config
        key = selection.BoardKey(
            community=slug,
            rounds=config["BOARD_ROUNDS"] if rounds is None else rounds,
            seed=config["BOARD_SEED"],
            style=style is not None,
            language=language,
            voter_cap=voter_cap,
        )
        fitted = boards.fit_board(db.session, key)
        board = boards.bt_leaderboard(
            fitted, boards.parse_anchor(anchor, "="), config["BOARD_MIN_VOTES"]
        )
    if as_json:
        click.echo(json.dumps(board, indent=2))
    else:
        _print_board(board)


def _print_board(board: dict) -> None:
    if board["method"] == "trueskill":
        click.echo(f"{'#':>3}  {'model':<32} {'score':>7} {'mu':>7} {'sigma':>6} {'votes':>6}")
        for rank, row in enumerate(board["models"], start=1):
            click.echo(
                f"{rank:>3}  {row['model']:<32} {row['score']:>7.2f} {row['mu']:>7.2f} "
                f"{row['sigma']:>6.2f} {row['votes']:>6}"
            )
        return
    click.echo(f"{'#':>3}  {'model':<32} {'score':>8} {'95% interval':>19} {'votes':>7}")
    for row in board["models"]:
        note = "  (preliminary)" if row["preliminary"] else ""
        click.echo(
            f"{row['rank']:>3}  {row['model']:<32} {row['score']:>8.1f} "
            f"{row['ci_lower']:>9.1f}-{row['ci_upper']:<9.1f} {row['votes']:>7}{note}"
        )


@arena_cli.command("import-battles")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", default=None, help="Community slug (default: general).")
@click.option("--source", default=None, help="Name of the source (default: the file name).")
@click.option(
    "--strict", is_flag=True, help="Check every record first; import nothing if one is bad."
)
@fail_on_domain_error
def import_battles_command(file, community, source, strict):
    """Import FastChat cleaned battles (JSON array or JSON Lines), streamed, in batches.

    Running the same import again resumes it: records already stored are skipped.
    """
    source = battle_io.check_source(source or _source_name(file))
    community_id = find_community(db.session, community).id
    if strict:
        _check_every_record(file)
    report = battle_io.ImportReport()
    with (
        file.open("rb") as stream,
        click.progressbar(length=file.stat().st_size, label="Importing battles") as bar,
    ):
        parsed = _parsed_battles(battle_io.records(stream), report)
        while batch := list(islice(parsed, BATCH)):
            with unit_of_work(db.session):
                battle_io.import_batch(db.session, source, community_id, batch, report)
            bar.update(stream.tell() - bar.pos)
    _rebuild_and_announce()
    click.echo(
        f"Read {report.read} records: {report.added} battles added, "
        f"{report.read - report.added - len(report.bad)} already there, {len(report.bad)} bad; "
        f"{len(report.new_models)} new models."
    )
    for number, problem in report.bad[:20]:
        click.echo(f"  record {number}: {problem}", err=True)


def _source_name(file: Path) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in file.stem.lower())[:40]


def _parsed_battles(records, report):
    for number, value in records:
        report.read += 1
        try:
            yield battle_io.parse_battle(number, value)
        except battle_io.BadRecord as problem:
            report.bad.append((number, str(problem)))


def _check_every_record(file: Path) -> None:
    with file.open("rb") as stream:
        for number, value in battle_io.records(stream):
            try:
                battle_io.parse_battle(number, value)
            except battle_io.BadRecord as problem:
                raise InvalidInput(f"record {number}: {problem}; nothing was imported") from None


def _rebuild_and_announce() -> None:
    with unit_of_work(db.session):
        ratings.rebuild_ratings(db.session, retune=True)
    scopes = [OVERALL, *db.session.scalars(select(Community.slug))]
    realtime.publish([LeaderboardChanged(scopes=scopes)])


@arena_cli.command("export")
@click.option("--format", "kind", type=click.Choice(list(exports.FORMATS)), required=True)
@click.option(
    "--community",
    default=None,
    help="Community slug: its curated data set. Without it, only --format battles, which then "
    "writes every vote in the log (the raw log, for import-battles; not a data set).",
)
@click.option("--source", type=click.Choice(selection.SOURCES), default=None, help="Raw log only.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--ties",
    type=click.Choice(datasets_selection.TIES),
    default="exclude",
    help="dpo only: flag keeps pairs without a preference, flagged in `outcome`.",
)
@click.option(
    "--statement",
    "statement_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the data statement goes (default: OUTPUT.statement.md).",
)
@fail_on_domain_error
def export_command(kind, community, source, output, ties, statement_file):
    """Write a community's curated data set (dpo, openai-dpo, kto, battles, csv) and its data
    statement; or, without --community, every vote as FastChat battles (JSON Lines)."""
    if community is None:
        if kind != "battles":
            raise click.UsageError(
                f"--format {kind} needs --community: data sets are per community."
            )
        _export_raw_log(source or "all", output)
        return
    if source is not None:
        raise click.UsageError("--source applies to the raw log (without --community) only.")
    secret = current_app.config["SECRET_KEY"].encode()
    release = datasets_selection.release(db.session, community, secret, ties)
    _write(exports.lines(db.session, release, kind), output)
    statement_file = statement_file or (Path(f"{output}.statement.md") if output else None)
    if statement_file:
        facts = statement.build(db.session, release, utcnow())
        statement_file.write_text(markdown.render(facts), encoding="utf-8")
        click.echo(f"Data statement: {statement_file}", err=True)


def _export_raw_log(source: str, output: Path | None) -> None:
    query = boards.vote_filter(select(Vote), db.session, selection.BoardKey(None, source))
    _write((line + "\n" for line in battle_io.export_battles(db.session, query)), output)


def _write(lines, output: Path | None) -> None:
    target = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        for line in lines:
            target.write(line)
    finally:
        if output:
            target.close()

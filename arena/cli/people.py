"""Accounts, guests and API tokens."""

import click

from arena.cli import arena_cli, fail_on_domain_error
from arena.core import accounts
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import utcnow
from arena.models.accounts import ALL_SCOPES
from arena.voting import guests


@arena_cli.command("create-user")
@click.argument("name")
@click.option(
    "--password",
    required=True,
    help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters and hard to guess.",
)
@click.option("--role", type=click.Choice(accounts.ROLES), default="user")
@fail_on_domain_error
def create_user_command(name, password, role):
    """Create an account."""
    with unit_of_work(db.session):
        user = accounts.create_user(db.session, name, password, role)
    click.echo(f"Created {user.role} '{user.username}'.")


@arena_cli.command("create-token")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    type=click.Choice(ALL_SCOPES),
    multiple=True,
    help="What the token may do; repeat for several (default: all).",
)
@click.option(
    "--expires-days",
    type=click.IntRange(1, accounts.LONGEST_TOKEN_DAYS),
    default=accounts.DEFAULT_TOKEN_DAYS,
    show_default=True,
)
@fail_on_domain_error
def create_token_command(name, scopes, expires_days):
    """Print a new personal API token for a user (only its hash is stored)."""
    with unit_of_work(db.session):
        user = accounts.require_user(db.session, name)
        token = accounts.create_api_token(
            db.session, user, label="cli", scopes=scopes or ALL_SCOPES, expires_in_days=expires_days
        )
    click.echo(token)


@arena_cli.command("purge-guests")
def purge_guests_command():
    """Delete guests who never signed up and did nothing for 30 days, with their battles, votes
    and points (they never counted); run it hourly, as the Procfile's `drafts` process does."""
    with unit_of_work(db.session):
        purged = guests.purge_stale(db.session, utcnow())
    click.echo(f"Deleted {purged} stale guest(s).")

"""Accounts and API tokens."""

import click

from arena.cli import arena_cli, fail_on_domain_error
from arena.core import accounts
from arena.core.db import unit_of_work
from arena.extensions import db


@arena_cli.command("create-user")
@click.argument("name")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--role", type=click.Choice(accounts.ROLES), default="user")
@fail_on_domain_error
def create_user_command(name, password, role):
    """Create an account."""
    with unit_of_work(db.session):
        user = accounts.create_user(db.session, name, password, role)
    click.echo(f"Created {user.role} '{user.username}'.")


@arena_cli.command("create-token")
@click.argument("name")
@fail_on_domain_error
def create_token_command(name):
    """Print a new personal API token for a user (only its hash is stored)."""
    with unit_of_work(db.session):
        user = accounts.require_user(db.session, name)
        token = accounts.create_api_token(db.session, user, label="cli")
    click.echo(token)

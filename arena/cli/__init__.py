"""`flask --app wsgi arena ...` commands, over the same services as the web.

Each command that writes opens one unit of work and publishes its events after it.
"""

import functools

import click
from flask import Flask
from flask.cli import AppGroup

from arena.core.errors import ArenaError

arena_cli = AppGroup("arena", help="Crowd Arena administration.")


def fail_on_domain_error(func):
    """Domain errors end the command with their message and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ArenaError as error:
            raise click.ClickException(error.message) from None

    return wrapper


def init_app(app: Flask) -> None:
    from arena.cli import battles, chats, maintenance, people  # noqa: F401 - registers commands

    app.cli.add_command(arena_cli)

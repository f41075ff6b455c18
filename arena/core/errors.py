"""Domain errors. Each carries the HTTP status the web layer answers with."""


class ArenaError(Exception):
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(ArenaError):
    status = 400


class NotFound(ArenaError):
    status = 404


class Conflict(ArenaError):
    status = 409


class NothingToServe(ArenaError):
    status = 404


class TooManyVotes(ArenaError):
    status = 429


class Forbidden(ArenaError):
    """The person lacks the role or privilege; the message says what unlocks it."""

    status = 403

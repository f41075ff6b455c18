"""Domain errors. Each carries the HTTP status the web layer answers with."""


class ArenaError(Exception):
    status = 400

    def __init__(self, message: str, **params: object):
        """`message` may hold %(name)s places filled from params: kept apart, so a page can
        translate the template (marked with core.i18n.N_) and the API answers in English."""
        text = message % params if params else message
        super().__init__(text)
        self.message = text
        self.template = message
        self.params = params


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

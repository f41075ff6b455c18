"""Answers that show raw (unpublished) data or a secret must not be kept by any cache."""

from functools import wraps

from flask import after_this_request


def no_store(view):
    """Send the view's answer with `Cache-Control: no-store` (browsers, proxies, the back
    button's page cache), its error pages too: they may quote the upload."""

    @wraps(view)
    def answer(*args, **kwargs):
        after_this_request(_not_stored)
        return view(*args, **kwargs)

    return answer


def _not_stored(response):
    response.headers["Cache-Control"] = "no-store"
    return response

"""The registry every API route is declared in: one declaration routes, checks and documents it.

A view declared with `api_route` receives its arguments already checked: `user` (when it needs
one), `query` and `body` (or `form` for a multipart upload) as instances of their schemas. The
blueprint is built from OPERATIONS and so is the OpenAPI document, so neither can miss a route.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import request
from pydantic import BaseModel

from arena.extensions import limiter
from arena.web.api.access import rate_key, require_user
from arena.web.api.validation import form_fields, json_body, query_arguments, validated
from arena.web.guard import refuse_hostile

JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    """One documented answer; an error reply (4xx/5xx) without a schema is the error shape."""

    status: int
    description: str
    schema: type[BaseModel] | None = None
    media_type: str = JSON


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    tag: str
    view: Callable
    replies: tuple[Reply, ...]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    form: type[BaseModel] | None = None
    auth: bool = False
    limit: str | None = None
    raw_body: tuple[str, ...] = ()  # media types handed to the view as bytes (`raw`)


OPERATIONS: list[Operation] = []


def api_route(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    replies: tuple[Reply, ...],
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    auth: bool = False,
    limit: str | None = None,
    raw_body: tuple[str, ...] = (),
):
    """Declare an API route (rule relative to /api/v1) with everything its document needs."""

    def declare(handler: Callable) -> Callable:
        view = _checked(handler, query=query, body=body, form=form, auth=auth, raw_body=raw_body)
        if limit:
            view = limiter.limit(limit, key_func=rate_key)(view)
        OPERATIONS.append(
            Operation(
                method=method,
                rule=rule,
                endpoint=handler.__name__,
                summary=summary,
                tag=tag,
                view=view,
                replies=replies,
                query=query,
                body=body,
                form=form,
                auth=auth,
                limit=limit,
                raw_body=raw_body,
            )
        )
        return handler

    return declare


def _checked(handler: Callable, *, query, body, form, auth: bool, raw_body) -> Callable:
    """The view Flask calls: credentials first, then path, query and body, then the handler."""

    @wraps(handler)
    def view(**path):
        arguments = dict(path)
        if auth:
            arguments["user"] = require_user()
        refuse_hostile(path, "path")
        if query is not None:
            arguments["query"] = validated(query, query_arguments(), "query")
        if request.mimetype in raw_body:
            arguments["raw"] = request.get_data()
        elif form is not None and request.files:
            arguments["form"] = validated(form, form_fields(), "form")
        elif body is not None:
            arguments["body"] = validated(body, json_body())
        return handler(**arguments)

    return view

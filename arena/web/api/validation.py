"""One helper checks every query string and body against its schema, and refuses hostile input.

Whatever is refused answers 400 with a sentence naming the field, before any service runs, so
a refused request changes nothing. Text no database stores, deep nesting and numbers no column
holds are refused for every request by `arena.web.guard`; the schemas bound the rest.
"""

import re
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from arena.core.errors import InvalidInput
from arena.web.guard import json_document, refuse_hostile

Schema = TypeVar("Schema", bound=BaseModel)


def validated(schema: type[Schema], data: Any, where: str = "body") -> Schema:
    """data checked against schema, or InvalidInput naming the first field that is wrong."""
    refuse_hostile(data, where)
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(describe(error.errors()[0], schema)) from None


def query_arguments() -> dict[str, str]:
    """The query string, first value of each name; an empty value counts as absent."""
    return {name: value for name, value in request.args.items() if value != ""}


def form_fields() -> dict[str, Any]:
    """A multipart upload's text fields, plus its file under "file" when one was sent."""
    fields: dict[str, Any] = {k: v for k, v in request.form.items() if v != ""}
    if "file" in request.files:
        fields["file"] = request.files["file"]
    return fields


def json_body() -> dict:
    """The JSON object of the request (parsed and checked by the guard); no body means {}."""
    if not request.get_data(cache=True, parse_form_data=False):
        return {}
    if not request.is_json:
        raise InvalidInput("The request body must be a JSON object (application/json).")
    body = json_document()
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.")
    return body


def field_name(location: tuple) -> str:
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def _choices(expected: str) -> str:
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def _required(field: str, location: tuple, schema: type[BaseModel]) -> str:
    info = schema.model_fields.get(location[0]) if len(location) == 1 else None
    hint = f" ({info.description})" if info is not None and info.description else ""
    return f"{field} is required{hint}."


SENTENCES = {
    "literal_error": "{field} must be one of {choices}.",
    "string_type": "{field} must be text.",
    "string_too_long": "{field} is limited to {max_length:,} characters.",
    "too_long": "{field} allows at most {max_length} items.",
    "bool_parsing": "{field} must be true or false.",
    "bool_type": "{field} must be true or false.",
    "greater_than_equal": "{field} must be at least {ge}.",
    "less_than_equal": "{field} must be at most {le:,}.",
    "list_type": "{field} must be a list.",
    "model_type": "{field} must be an object.",
}


def describe(error: dict, schema: type[BaseModel]) -> str:
    """A sentence for one pydantic error, naming the field as the client spelled it."""
    location, kind, context = error["loc"], error["type"], error.get("ctx", {})
    field = field_name(location)
    if kind == "missing":
        return _required(field, location, schema)
    if kind.startswith("int_"):
        return f"{field} must be a whole number."
    if kind == "literal_error" and isinstance(error.get("input"), list | dict):
        kind = "string_type"  # a list or an object where a word belongs is the wrong type
    choices = _choices(str(context.get("expected", "")))
    template = SENTENCES.get(kind, "{field}: {msg}.")
    return template.format(field=field, msg=error["msg"], choices=choices, **context)

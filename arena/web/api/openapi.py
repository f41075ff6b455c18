"""The OpenAPI 3.1 document, built from the route registry and the schemas that validate."""

import re

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from arena.web.api.queries import ErrorReply
from arena.web.api.spec import JSON, OPERATIONS, Operation, Reply

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
PATH_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
AUTOMATIC_ERRORS = {
    400: "Invalid input: the error names the field; nothing was changed",
    401: "No credentials, or an invalid, revoked or expired token",
    403: "The token lacks the scope this route needs (read for GET; vote for battles, votes "
    "and skips; share for chat uploads and battles on your own prompt); the error names it",
    429: "Too many requests; retry later",
}
SECURITY = [{"bearerAuth": []}, {"browserSession": []}]


def openapi_path(rule: str) -> str:
    """/battles/<token>/vote -> /api/v1/battles/{token}/vote"""
    return PREFIX + PATH_ARGUMENT.sub(lambda found: "{" + found["name"] + "}", rule)


def document(session_cookie: str) -> dict:
    schemas, refs = _components()
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        item = paths.setdefault(openapi_path(operation.rule), {})
        item[operation.method.lower()] = _operation(operation, schemas, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Crowd Arena API",
            "version": "1",
            "description": "Blind LLM battles, votes, leaderboards, people and shared chats. "
            'Every error is JSON: `{"error": "<a sentence>", "status": <HTTP status>}`.',
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": _security_schemes(session_cookie)},
    }


def _models() -> list[type[BaseModel]]:
    found = [ErrorReply]
    for operation in OPERATIONS:
        found += [m for m in (operation.query, operation.body, operation.form) if m]
        found += [reply.schema for reply in operation.replies if reply.schema]
    return list(dict.fromkeys(found))


def _components() -> tuple[dict, dict]:
    refs, top = models_json_schema([(model, "validation") for model in _models()], ref_template=REF)
    return top.get("$defs", {}), {model: ref for (model, _mode), ref in refs.items()}


def _operation(operation: Operation, schemas: dict, refs: dict) -> dict:
    spec = {
        "operationId": operation.endpoint,
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": _path_parameters(operation.rule)
        + _query_parameters(operation, schemas, refs),
        "responses": _responses(operation, refs),
    }
    if operation.body or operation.form or operation.raw_body:
        spec["requestBody"] = _request_body(operation, refs)
    if operation.auth:
        spec["security"] = SECURITY
    return spec


def _path_parameters(rule: str) -> list[dict]:
    return [
        {
            "name": found["name"],
            "in": "path",
            "required": True,
            "schema": {"type": "integer" if found["converter"] == "int" else "string"},
        }
        for found in PATH_ARGUMENT.finditer(rule)
    ]


def _query_parameters(operation: Operation, schemas: dict, refs: dict) -> list[dict]:
    if operation.query is None:
        return []
    schema = schemas[_name(refs[operation.query])]
    required = set(schema.get("required", []))
    parameters = []
    for name, field in schema["properties"].items():
        parameter = {"name": name, "in": "query", "required": name in required, "schema": field}
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return parameters


def _request_body(operation: Operation, refs: dict) -> dict:
    content = {}
    if operation.body:
        content[JSON] = {"schema": refs[operation.body]}
    if operation.form:
        content["multipart/form-data"] = {"schema": refs[operation.form]}
    for media_type in operation.raw_body:
        content[media_type] = {"schema": {"type": "string", "description": "the file as sent"}}
    return {"required": False, "content": content}


def _responses(operation: Operation, refs: dict) -> dict:
    replies = list(operation.replies)
    automatic = {
        400: bool(operation.query or operation.body or operation.form),
        401: operation.auth,
        403: operation.auth,
        429: bool(operation.limit),
    }
    replies += [Reply(status, AUTOMATIC_ERRORS[status]) for status, due in automatic.items() if due]
    return {str(reply.status): _response(reply, refs) for reply in replies}


def _response(reply: Reply, refs: dict) -> dict:
    if reply.schema is not None:
        schema = refs[reply.schema]
    elif reply.status >= 400:
        schema = refs[ErrorReply]
    else:
        schema = {"type": "string"}
    return {"description": reply.description, "content": {reply.media_type: {"schema": schema}}}


def _name(ref: dict) -> str:
    return ref["$ref"].rsplit("/", 1)[-1]


def _security_schemes(session_cookie: str) -> dict:
    return {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from your profile page.",
        },
        "browserSession": {
            "type": "apiKey",
            "in": "cookie",
            "name": session_cookie,
            "description": "The logged-in browser session; writes also need an X-CSRFToken "
            "header with the page's csrf-token.",
        },
    }

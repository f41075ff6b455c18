"""GET /openapi.json (this API described) and GET /docs (the same, readable, served offline)."""

from typing import Any

from flask import current_app, jsonify, render_template
from pydantic import BaseModel, ConfigDict

from arena.web.api.openapi import document
from arena.web.api.spec import Reply, api_route


class OpenApiDocument(BaseModel):
    model_config = ConfigDict(extra="allow", title="OpenAPI 3.1 document")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


@api_route(
    "GET",
    "/openapi.json",
    summary="This document",
    tag="documentation",
    replies=(Reply(200, "OpenAPI 3.1", OpenApiDocument),),
)
def openapi():
    return jsonify(document(current_app.config.get("SESSION_COOKIE_NAME", "session")))


@api_route(
    "GET",
    "/docs",
    summary="This document as a page (Swagger UI, served from this site)",
    tag="documentation",
    replies=(Reply(200, "An HTML page", media_type="text/html"),),
)
def docs():
    return render_template("api_docs.html")

"""JSON API v1, one module per resource. Bearer tokens or the browser session (+ X-CSRFToken).

Routes are declared with `spec.api_route`, which checks their input against pydantic schemas
and registers them; the blueprint and the OpenAPI document are both built from that registry.
"""

from flask import Blueprint

from arena.web.api import (
    battles,
    chats,
    communities,
    datasets,
    docs,
    flags,
    leaderboard,
    people,
    prompts,
)
from arena.web.api.access import authenticate
from arena.web.api.spec import OPERATIONS

# Each declares its routes.
RESOURCES = (battles, chats, communities, datasets, docs, flags, leaderboard, people, prompts)

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
blueprint.before_request(authenticate)
for operation in OPERATIONS:
    blueprint.add_url_rule(
        operation.rule, operation.endpoint, operation.view, methods=[operation.method]
    )

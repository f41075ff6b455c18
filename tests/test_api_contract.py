"""The API's contract: its OpenAPI document, the answers it gives, the input it refuses, pages."""

import ast
import json
import math
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from sqlalchemy import func, select

from arena.core.db import unit_of_work
from arena.extensions import db
from arena.library import prompts as prompt_library
from arena.models import Battle, Prompt, User, Vote
from arena.models.chats import SharedChat
from arena.models.library import PromptShare
from arena.web.api.spec import OPERATIONS
from tests.chat_exports import export, two_model_chat
from tests.conftest import api_client_for, build_app
from tests.factories import accept_shared_chats
from tests.test_browser import base_url, browser, watch  # noqa: F401 - fixtures of the browser test

ROOT = Path(__file__).resolve().parent.parent
FLASK_ARGUMENT = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")
TABLES = (Battle, Vote, Prompt, SharedChat, PromptShare)


def counts(app) -> dict:
    with app.app_context():
        return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


@pytest.fixture
def document(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def validator(document: dict, schema: dict) -> Draft202012Validator:
    """The schema with the document's components beside it, so its $refs resolve."""
    return Draft202012Validator({**schema, "components": document["components"]})


def response_schema(document, path, method, status, media="application/json") -> dict:
    return document["paths"][path][method]["responses"][str(status)]["content"][media]["schema"]


def body_schema(document, path) -> dict:
    return document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


def share_prompts(app, titles, community="general") -> None:
    with app.app_context(), unit_of_work(db.session):
        author = db.session.scalar(select(User.id).where(User.username == "voter"))
        for title in titles:
            prompt_library.share_prompt(db.session, author, community, title, f"{title}, please.")


def chat_body(question: str) -> dict:
    chat = two_model_chat(title=question, question=question)
    return {"community": "coding", "licence": "CC0-1.0", "chats": json.loads(export(chat))}


SHARED_BEFORE = chat_body("Why does my build fail?")
SHARED = chat_body("Why is my cache cold?")


@pytest.fixture
def seeded(app, api):
    """A vote, a shared chat and a library prompt, so no list in an answer is empty."""
    api.vote(api.battle()["token"], "a")
    assert api.post("/api/v1/chats", json=SHARED_BEFORE).status_code == 201
    with app.app_context():
        accept_shared_chats(db.session)  # auditors accept it: its feedback is then counted
    share_prompts(app, ["Explain monads"])
    return api


def send(api, method: str, url: str, body=None, credentials=True):
    """url may name {battle} (a fresh battle's token) or {voted} (a battle already voted on)."""
    if "{battle}" in url:
        url = url.replace("{battle}", api.battle()["token"])
    if "{voted}" in url:
        token = api.battle()["token"]
        api.vote(token, "a")
        url = url.replace("{voted}", token)
    headers = api.headers if credentials else {}
    return api.client.open(url, method=method.upper(), json=body, headers=headers)


def answer(name, path, method, status, url=None, body=None, rows=None, credentials=True):
    request = (method, url or path, body, credentials)
    return pytest.param(path, method, status, request, rows, id=name)


VOTE = "/api/v1/battles/{token}/vote"
ANSWERS = [
    answer("leaderboard", "/api/v1/leaderboard", "get", 200, rows="models"),
    answer(
        "bt leaderboard",
        "/api/v1/leaderboard",
        "get",
        200,
        url="/api/v1/leaderboard?method=bt&style=length&source=all",
        rows="models",
    ),
    answer(
        "bad anchor",
        "/api/v1/leaderboard",
        "get",
        400,
        url="/api/v1/leaderboard?method=bt&anchor=nocolon",
    ),
    answer("people", "/api/v1/people", "get", 200, rows="people"),
    answer(
        "participation",
        "/api/v1/communities/{slug}/participation",
        "get",
        200,
        url="/api/v1/communities/general/participation?weeks=2",
        rows="models",
    ),
    answer(
        "bad weeks",
        "/api/v1/communities/{slug}/participation",
        "get",
        400,
        url="/api/v1/communities/general/participation?weeks=0",
    ),
    answer("prompts", "/api/v1/prompts", "get", 200, rows="prompts"),
    answer("my chats", "/api/v1/chats", "get", 200, rows="chats"),
    answer(
        "feedback",
        "/api/v1/feedback-stats",
        "get",
        200,
        url="/api/v1/feedback-stats?community=coding",
        rows="models",
    ),
    answer("me", "/api/v1/me", "get", 200, rows="badges"),
    answer("battle", "/api/v1/battles", "post", 201, body={"community": "coding"}),
    answer("vote", VOTE, "post", 200, url="/api/v1/battles/{battle}/vote", body={"choice": "b"}),
    answer("new chat", "/api/v1/chats", "post", 201, body=SHARED, rows="chats"),
    answer("chat again", "/api/v1/chats", "post", 200, body=SHARED_BEFORE, rows="chats"),
    answer("document", "/api/v1/openapi.json", "get", 200, rows="paths"),
    answer("bad board", "/api/v1/people", "get", 400, url="/api/v1/people?board=x"),
    answer("bad choice", VOTE, "post", 400, url="/api/v1/battles/{battle}/vote", body={}),
    answer("no token", "/api/v1/me", "get", 401, credentials=False),
    answer(
        "unknown community",
        "/api/v1/leaderboard",
        "get",
        404,
        url="/api/v1/leaderboard?community=x",
    ),
    answer(
        "unknown battle", VOTE, "post", 404, url="/api/v1/battles/nope/vote", body={"choice": "a"}
    ),
    answer(
        "second vote", VOTE, "post", 409, url="/api/v1/battles/{voted}/vote", body={"choice": "a"}
    ),
]


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(document).validate()


def test_every_api_route_is_documented_and_nothing_else(app, document):
    routed = {
        (FLASK_ARGUMENT.sub(r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routed == documented
    assert len(routed) >= 11


@pytest.mark.parametrize("operation", [o for o in OPERATIONS if o.auth], ids=lambda o: o.endpoint)
def test_routes_needing_credentials_declare_bearer_and_refuse_without(app, document, operation):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from your profile page.",
    }
    path = "/api/v1" + FLASK_ARGUMENT.sub(r"{\1}", operation.rule)
    spec = document["paths"][path][operation.method.lower()]
    assert {"bearerAuth": []} in spec["security"] and "401" in spec["responses"]
    url = "/api/v1" + FLASK_ARGUMENT.sub("x", operation.rule)
    reply = app.test_client().open(url, method=operation.method, json={})
    assert reply.status_code == 401 and reply.get_json()["status"] == 401


@pytest.mark.parametrize(("path", "method", "status", "request_", "rows"), ANSWERS)
def test_real_answers_match_the_documented_schemas(
    document, seeded, path, method, status, request_, rows
):
    reply = send(seeded, *request_)
    assert reply.status_code == status, reply.get_json()
    schema = response_schema(document, path, method, status)
    errors = [e.message for e in validator(document, schema).iter_errors(reply.get_json())]
    assert errors == []
    assert rows is None or reply.get_json()[rows], f"{rows} is empty: the check proved little"


BATTLES, SHARE = "/api/v1/battles", "/api/v1/chats"


@pytest.mark.parametrize("operation", [o for o in OPERATIONS if o.limit], ids=lambda o: o.endpoint)
def test_rate_limits_count_per_person_and_are_documented(tmp_path, document, operation):
    app = build_app(tmp_path, RATELIMIT_ENABLED=True)
    allowed = int(operation.limit.split("/")[0])
    url = "/api/v1" + FLASK_ARGUMENT.sub("x", operation.rule)
    eager, patient = api_client_for(app, "eager"), api_client_for(app, "patient")
    invalid = {"community": 7, "choice": 1}  # refused by every limited route's schema
    # A route without a body answers an unknown token with 404 instead.
    refused = 400 if operation.body or operation.form else 404
    replies = [eager.post(url, json=invalid).status_code for _ in range(allowed + 1)]
    assert set(replies[:allowed]) == {refused} and replies[-1] == 429
    assert patient.post(url, json=invalid).status_code == refused  # someone else still may
    path = "/api/v1" + FLASK_ARGUMENT.sub(r"{\1}", operation.rule)
    assert "429" in document["paths"][path][operation.method.lower()]["responses"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (VOTE, {"choice": "left"}, "choice"),
        (VOTE, {"choice": ["a"]}, "choice"),
        (VOTE, {}, "choice"),
        (BATTLES, {"community": 7}, "community"),
        (BATTLES, {"community": "c" * 65}, "community"),
        (BATTLES, {"prompt": "Hi", "library_prompt": 10**30}, "library_prompt"),
        (BATTLES, {"prompt": "Hi", "library_prompt": 0}, "library_prompt"),
        (BATTLES, {"prompt": "Hi", "stream": "maybe"}, "stream"),
        (SHARE, {"chats": [], "tags": "python"}, "tags"),
        (SHARE, {"chats": [], "tags": ["t"] * 11}, "tags"),
        (SHARE, {"chats": [], "licence": "GPL"}, "licence"),
        (SHARE, {"licence": "CC0-1.0"}, "chats"),
    ],
)
def test_bodies_the_schema_rejects_are_refused_naming_the_field(
    app, api, document, path, body, field
):
    assert not validator(document, body_schema(document, path)).is_valid(body)
    url = path.replace("{token}", api.battle()["token"])
    before = counts(app)
    reply = api.post(url, json=body)
    assert reply.status_code == 400
    assert reply.get_json() == {"error": reply.get_json()["error"], "status": 400}
    assert field in reply.get_json()["error"]
    assert counts(app) == before


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (BATTLES, {}, 201),
        (BATTLES, {"community": "coding", "unknown": "ignored"}, 201),
        (VOTE, {"choice": "both_bad"}, 200),
        (SHARE, SHARED, 201),
    ],
)
def test_bodies_the_schema_accepts_are_served(api, document, path, body, status):
    assert validator(document, body_schema(document, path)).is_valid(body)
    reply = api.post(path.replace("{token}", api.battle()["token"]), json=body)
    assert reply.status_code == status, reply.get_json()


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("path", "raw", "message"),
    [
        (BATTLES, '{"community": "gen\\u0000eral"}', "NUL"),
        (SHARE, '{"licence": "CC0-1.0", "chats": [{"title": "a\\u0000b"}]}', "NUL"),
        (SHARE, '{"chats": ' + DEEP + "}", "nested"),
        (SHARE, '{"chats": ' + "[" * 40 + "]" * 40 + "}", "nested"),
        (BATTLES, '{"prompt": "Hi", "library_prompt": ' + "9" * 5000 + "}", "JSON"),
        (BATTLES, '{"prompt": "Hi", "library_prompt": NaN}', "JSON"),
        (BATTLES, '{"community": ', "JSON"),
        (BATTLES, "[1, 2]", "JSON object"),
        (BATTLES, '"general"', "JSON object"),
        (VOTE, "3", "JSON object"),
    ],
)
def test_hostile_bodies_get_a_clear_400_and_change_nothing(any_app, any_api, path, raw, message):
    app, api = any_app, any_api
    url = path.replace("{token}", api.battle()["token"])
    before = counts(app)
    reply = api.client.post(url, data=raw, headers=api.headers, content_type="application/json")
    assert reply.status_code == 400
    assert set(reply.get_json()) == {"error", "status"} and message in reply.get_json()["error"]
    assert counts(app) == before


def test_a_body_that_is_not_json_is_refused(app, api):
    before = counts(app)
    reply = api.client.post(BATTLES, data={"community": "general"}, headers=api.headers)
    assert reply.status_code == 400 and "JSON object" in reply.get_json()["error"]
    assert counts(app) == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/v1/people?page=99999999999999999999999", "page must be at most 1,000,000."),
        ("/api/v1/people?per_page=0", "per_page must be at least 1."),
        ("/api/v1/people?per_page=101", "per_page must be at most 100."),
        ("/api/v1/prompts?page=abc", "page must be a whole number."),
        ("/api/v1/prompts?tag=" + "x" * 31, "tag is limited to 30 characters."),
        ("/api/v1/leaderboard?community=gen%00eral", "community contains a NUL character."),
        ("/api/v1/people?board=x", "board must be one of contributors, auditors."),
        ("/api/v1/communities/general/participation?weeks=105", "weeks must be at most 104."),
    ],
)
def test_hostile_query_strings_are_refused_naming_the_parameter(api, url, message):
    reply = api.get(url)
    assert reply.status_code == 400
    assert reply.get_json() == {"error": message, "status": 400}


def test_a_nul_in_the_path_is_refused(any_app, any_api):
    app, api = any_app, any_api
    before = counts(app)
    reply = api.post("/api/v1/battles/ab%00cd/vote", json={"choice": "a"})
    assert reply.status_code == 400 and "NUL" in reply.get_json()["error"]
    assert counts(app) == before


def many_prompts(app, api) -> None:
    share_prompts(app, [f"General prompt {n}" for n in range(7)])
    share_prompts(app, ["A coding prompt"], community="coding")  # filtered out below


def many_voters(app, api) -> None:
    for n in range(5):
        voter = api_client_for(app, f"voter{n}")
        for _ in range(n + 1):
            voter.vote(voter.battle()["token"], "tie")


def many_chats(app, api) -> None:
    for n in range(5):
        assert api.post(SHARE, json=chat_body(f"Question number {n}?")).status_code == 201


# resource: (url with a filter the next links must keep, list key, rows to make, default per_page)
PAGINATED = {
    "prompts": ("/api/v1/prompts?sort=new&community=general", "prompts", many_prompts, 50),
    "people": ("/api/v1/people?board=contributors&period=week", "people", many_voters, 50),
    "chats": ("/api/v1/chats", "chats", many_chats, 100),
}


def with_page(url: str, **params) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


@pytest.mark.parametrize("resource", PAGINATED)
def test_next_links_walk_every_row_exactly_once(app, api, resource):
    url, key, make_rows, _ = PAGINATED[resource]
    make_rows(app, api)
    everything = api.get(with_page(url, per_page=100)).get_json()
    total = everything["total"]
    assert total == len(everything[key]) >= 3 and everything["next"] is None
    seen, link, pages = [], with_page(url, per_page=2), 0
    while link:
        page = api.get(link).get_json()
        pages += 1
        assert (page["page"], page["per_page"], page["total"]) == (pages, 2, total)
        seen += page[key]
        link = page["next"]
    assert seen == everything[key]  # same rows, same order, none twice: filters were kept
    assert len({json.dumps(row, sort_keys=True) for row in seen}) == total
    assert pages == math.ceil(total / 2)
    assert api.get(with_page(url, per_page=total)).get_json()["next"] is None


@pytest.mark.parametrize("resource", PAGINATED)
def test_without_page_parameters_the_answer_is_todays_plus_page_keys(app, api, resource):
    url, key, make_rows, default_per_page = PAGINATED[resource]
    make_rows(app, api)
    body = api.get(url).get_json()
    assert (body["page"], body["per_page"], body["next"]) == (1, default_per_page, None)
    assert len(body[key]) == body["total"] >= 3
    beyond = api.get(with_page(url, page=99)).get_json()
    assert (beyond[key], beyond["next"], beyond["total"]) == ([], None, body["total"])


VIEWER = "/static/vendor/swagger-ui/"


def test_the_docs_page_is_served_offline_without_inline_scripts(app):
    reply = app.test_client().get("/api/v1/docs")
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    html = reply.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html and '="//' not in html
    # A JSON data block (the page's string catalogue) is data, never run: CSP allows it.
    inline = r'<script(?![^>]*\b(src=|type="application/json"))[^>]*>'
    assert not re.search(inline, html), "inline script"
    assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
    assert 'data-url="/api/v1/openapi.json"' in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f'"{VIEWER}{asset}"' in html
    assert '"/static/js/api-docs.js"' in html


@pytest.fixture
def docs_assets(app):
    html = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    return sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html)))


def test_every_asset_of_the_docs_page_and_the_viewer_licence_load(app, docs_assets):
    client = app.test_client()
    assert len(docs_assets) >= 4
    loaded = {}
    for url in [*docs_assets, VIEWER + "LICENSE", VIEWER + "NOTICE"]:
        reply = client.get(url)
        loaded[url] = (reply.status_code, reply.get_data(as_text=True))
        reply.close()
    assert {url: status for url, (status, _) in loaded.items()} == dict.fromkeys(loaded, 200)
    assert "Apache License" in loaded[VIEWER + "LICENSE"][1]
    readme = (ROOT / "static/vendor/README.md").read_text()
    assert "swagger-ui-dist" in readme and "Apache-2.0" in readme


def test_the_api_imports_no_page_blueprint():
    imported = set()
    for module in (ROOT / "arena/web/api").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert "arena.web.api.spec" in imported  # the scan did read the package
    assert not [name for name in imported if name.startswith("arena.web.pages")]


@pytest.mark.browser
def test_the_viewer_renders_every_operation_under_the_sites_csp(browser, base_url):  # noqa: F811
    page = browser.new_context().new_page()
    seen = watch(page)
    page.goto(base_url + "/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() == len(OPERATIONS)
    assert seen["errors"] == [] and seen["hosts"] <= {"127.0.0.1", "localhost"}

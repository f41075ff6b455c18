"""Hostile input answers a 4xx with a message and changes no row: on every route the URL map
holds (so a new route is covered the day it is added), on every upload, on SQLite and PostgreSQL.

The corpus: request-level cases (NUL, invalid UTF-8, encoded surrogates in the path, the query
string, form fields and JSON; deep JSON, numbers no column holds), chat documents every upload
must refuse (tests/data/hostile/chat_documents.json, plus truncations, bad bytes, escapes, deep
nesting and limits generated from the sample exports), and bodies outside each API schema.
Hypothesis then goes beyond the corpus.
"""

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import text

from arena.core import accounts
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.web.api.spec import OPERATIONS
from tests import conftest
from tests.factories import make_world

DATA = Path(__file__).parent / "data"
DOCUMENTS = json.loads((DATA / "hostile" / "chat_documents.json").read_text())["cases"]
SAMPLES = sorted((DATA / "chats").glob("*.json*"))
PASSWORD = "sturdy hostile-input passphrase 42"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
MULTIPART_FORM = re.compile(r'<form([^>]*enctype="multipart/form-data"[^>]*)>(.*?)</form>', re.S)
FILE_INPUT = re.compile(r'<input[^>]*type="file"[^>]*name="([^"]+)"')
SHARING = {"community": "coding", "licence": "CC0-1.0"}
BOUNDARY = "hostile-boundary-7d1f"
JSON = "application/json"


# --- the site under attack: one per database, shared by this module's tests ------------------


@dataclass
class Site:
    app: object
    client: object
    token: str
    csrf: str
    database: str

    def headers(self, url: str) -> dict:
        return {"Authorization": f"Bearer {self.token}"} if url.startswith("/api/") else {}

    def rows(self) -> dict:
        """Rows of every table, in one statement."""
        with self.app.app_context():
            tables = db.metadata.sorted_tables
            counts = ", ".join(f'(SELECT count(*) FROM "{t.name}")' for t in tables)
            values = db.session.execute(text(f"SELECT {counts}")).one()
            db.session.rollback()
        return {t.name: n for t, n in zip(tables, values, strict=True)}

    def send(self, method: str, url: str, **options):
        headers = {**self.headers(url), **options.pop("headers", {})}
        return self.client.open(url, method=method, headers=headers, **options)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def site(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        app = conftest.build_app(folder)
    else:
        if not conftest.SHARED_POSTGRES_URL:
            pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
        url = conftest.private_postgres_url()
        conftest.reset_postgres(url)
        app = conftest.build_app(folder, url)
    with app.app_context():
        make_world(db.session)
        with unit_of_work(db.session):
            admin = accounts.create_user(db.session, "hostile-admin", PASSWORD, role="admin")
            admin.publish_directly = True  # hostile chats reach the write, not only a draft
            token = accounts.create_api_token(db.session, admin)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    form = {"username": "hostile-admin", "password": PASSWORD}
    assert (
        client.post("/login", data={**form, "csrf_token": CSRF.search(page)[1]}).status_code == 302
    )
    csrf = CSRF.search(client.get("/profile").get_data(as_text=True))[1]
    yield Site(app, client, token, csrf, request.param)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def message_of(reply) -> str:
    if reply.is_json:
        return str((reply.get_json(silent=True) or {}).get("error", ""))
    found = re.search(r'<p class="error-message">(.*?)</p>', reply.get_data(as_text=True), re.S)
    return html.unescape(found[1]) if found else ""


def refused(reply, *says: str) -> str | None:
    """Why reply is not a 4xx with a message containing one of says (None when it is)."""
    message = message_of(reply)
    if not 400 <= reply.status_code < 500:
        return f"answered {reply.status_code}: {message or reply.get_data()[:200]!r}"
    if not message:
        return f"answered {reply.status_code} without a message"
    if says and not any(word in message for word in says):
        return f"said {message!r}, expected one of {says}"
    return None


def routes(app) -> list[tuple[str, str]]:
    """(method, a URL) for every rule in the live URL map, path arguments filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        url = rule.build(dict.fromkeys(rule.arguments, "1"), append_unknown=False)[1]
        found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(found)


# --- request-level corpus: refused by the guard on every route -------------------------------


def multipart(fields: list[tuple[bytes, bytes, bytes | None]]) -> bytes:
    """A multipart body from raw (name, value, filename) parts, so names may hold any byte."""
    body = b""
    for name, value, filename in fields:
        file_part = b'; filename="' + filename + b'"' if filename is not None else b""
        body += f"--{BOUNDARY}\r\n".encode()
        body += b'Content-Disposition: form-data; name="' + name + b'"' + file_part + b"\r\n\r\n"
        body += value + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def deep(depth: int, opener="[", closer="]") -> bytes:
    return (opener * depth + closer * depth).encode()


NUL, BAD = ("NUL",), ("UTF-8",)
REQUEST_CASES = {  # name: (where, raw payload, a word the message must hold)
    "path: NUL": ("path", b"\x00", NUL),
    "path: NUL mid-segment": ("path", b"a\x00b", NUL),
    "path: invalid byte": ("path", b"\xff", BAD),
    "path: overlong NUL": ("path", b"\xc0\x80", BAD),
    "path: encoded surrogate": ("path", b"\xed\xa0\x80", BAD),
    "path: truncated sequence": ("path", b"\xe2\x82", BAD),
    "query: NUL value": ("query", b"community=gen%00eral", NUL),
    "query: NUL name": ("query", b"comm%00unity=general", NUL),
    "query: bare NUL": ("query", b"%00", NUL),
    "query: NUL after good pairs": ("query", b"sort=top&page=1&tag=a%00", NUL),
    "query: invalid bytes": ("query", b"community=%ff%fe", BAD),
    "query: raw invalid byte": ("query", b"community=\xff", BAD),
    "query: overlong NUL": ("query", b"community=%c0%80", BAD),
    "query: encoded surrogate": ("query", b"community=%ed%a0%80", BAD),
    "query: beyond U+10FFFF": ("query", b"q=%f4%90%80%80", BAD),
    "query: five-byte sequence": ("query", b"q=%f8%88%80%80%80", BAD),
    "query: truncated sequence": ("query", b"q=%e2%82", BAD),
    "form: NUL value": ("form", b"text=a%00b&title=x", NUL),
    "form: NUL name": ("form", b"te%00xt=a", NUL),
    "form: NUL username": ("form", b"username=a%00b&password=x", NUL),
    "form: invalid bytes": ("form", b"notes=%ff", BAD),
    "form: raw invalid byte": ("form", b"label=\xfe", BAD),
    "form: encoded surrogate": ("form", b"prompt=%ed%b0%80", BAD),
    "form: overlong slash": ("form", b"next=%c0%af", BAD),
    "multipart: NUL value": ("multipart", multipart([(b"notes", b"a\x00b", None)]), NUL),
    "multipart: invalid bytes": ("multipart", multipart([(b"tags", b"\xff\xfe", None)]), BAD),
    "multipart: encoded surrogate": ("multipart", multipart([(b"x", b"\xed\xa0\x80", None)]), BAD),
    "multipart: NUL escape in a file": (
        "multipart",
        multipart([(b"file", b'[{"messages": [{"content": "a\\u0000"}]}]', b"a.json")]),
        NUL,
    ),
    "multipart: lone high surrogate in a file": (
        "multipart",
        multipart([(b"file", b'{"title": "\\ud83d"}', b"a.json")]),
        ("surrogate",),
    ),
    "multipart: lone low surrogate in a file": (
        "multipart",
        multipart([(b"file", b'{"title": "x\\uDE00y"}', b"a.json")]),
        ("surrogate",),
    ),
    "json: 100,000 nested arrays": ("json", deep(100_000), ("nested",)),
    "json: 100,000 nested objects": (
        "json",
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        ("nested",),
    ),
    "json: 33 nested arrays": ("json", b'{"a": ' + deep(33) + b"}", ("nested",)),
    "json: NUL in a value": ("json", b'{"community": "a\\u0000"}', NUL),
    "json: NUL in a key": ("json", b'{"comm\\u0000unity": "general"}', NUL),
    "json: lone surrogate in a value": ("json", b'{"prompt": "\\ud800"}', ("surrogate",)),
    "json: lone surrogate in a key": ("json", b'{"\\udfff": 1}', ("surrogate",)),
    "json: 2**63": ("json", b'{"library_prompt": 9223372036854775808}', ("between",)),
    "json: -2**63 - 1": ("json", b'{"page": -9223372036854775809}', ("between",)),
    "json: 10**30 in a list": (
        "json",
        b'{"tags": [1000000000000000000000000000000]}',
        ("between",),
    ),
    "json: 1e400": ("json", b'{"library_prompt": 1e400}', ("too large",)),
    "json: 5,000 digits": ("json", b'{"page": ' + b"9" * 5000 + b"}", ("JSON",)),
    "json: NaN": ("json", b'{"library_prompt": NaN}', ("JSON",)),
    "json: -Infinity": ("json", b'{"x": -Infinity}', ("JSON",)),
    "json: invalid UTF-8": ("json", b'{"community": "\xff"}', BAD),
    "json: truncated": ("json", b'{"community": ', ("JSON",)),
    "json: trailing garbage": ("json", b'{"choice": "a"} x', ("JSON",)),
    "json: single quotes": ("json", b"{'choice': 'a'}", ("JSON",)),
    "json: duplicate keys": ("json", b'{"choice": "a", "choice": "b"}', ("twice",)),
}


def hostile_request(site: Site, method: str, url: str, where: str, payload: bytes):
    if where == "path":
        environ = {"PATH_INFO": url.rstrip("/") + "/" + payload.decode("latin-1")}
        return site.send(method, url, environ_overrides=environ)
    if where == "query":
        return site.send(method, url, environ_overrides={"QUERY_STRING": payload.decode("latin-1")})
    if where == "form":
        data = payload + b"&csrf_token=" + site.csrf.encode()
        return site.send(method, url, data=data, content_type="application/x-www-form-urlencoded")
    if where == "multipart":
        token = multipart([(b"csrf_token", site.csrf.encode(), None)])[: -len(BOUNDARY) - 6]
        content_type = f"multipart/form-data; boundary={BOUNDARY}"
        return site.send(method, url, data=token + payload, content_type=content_type)
    return site.send(method, url, data=payload, content_type=JSON)


@pytest.mark.parametrize("case", list(REQUEST_CASES))
def test_hostile_requests_are_refused_on_every_route(site, case):
    where, payload, says = REQUEST_CASES[case]
    before, failures = site.rows(), []
    for method, url in routes(site.app):
        if where in ("path", "query") or method == "POST":
            why = refused(hostile_request(site, method, url, where, payload), *says)
            if why:
                failures.append(f"{method} {url}: {why}")
    assert failures == []
    assert site.rows() == before


# --- chat documents every upload must refuse -------------------------------------------------


def _broken_json(raw: bytes) -> bool:
    """True when raw is neither one JSON document nor JSON Lines (what a truncation must be)."""
    try:
        json.loads(raw)
    except json.JSONDecodeError as error:
        if error.msg != "Extra data":
            return True
        return any(_broken_json(line) for line in raw.splitlines() if line.strip())
    except ValueError:
        return True
    return False


def _first_string(raw: bytes) -> int:
    """Where the text of the first message starts."""
    return re.search(rb'"(?:content|value)": ?"', raw).end()


def generated_documents() -> dict[str, tuple[bytes, tuple[str, ...]]]:
    cases = {}
    for sample in (DATA / "chats").rglob("*.json*"):
        raw, name = sample.read_bytes(), sample.relative_to(DATA / "chats")
        for tenth in range(1, 10):
            cut = raw[: len(raw) * tenth // 10]
            if _broken_json(cut):
                cases[f"{name} cut at {tenth}0 %"] = (cut, ("JSON",))
        middle = len(raw) // 2
        for label, bad in [("invalid byte", b"\xff"), ("overlong", b"\xc0\x80")]:
            cases[f"{name} with an {label}"] = (raw[:middle] + bad + raw[middle:], BAD)
        cases[f"{name} with an encoded surrogate"] = (
            raw[:middle] + b"\xed\xa0\x80" + raw[middle:],
            BAD,
        )
        start = _first_string(raw)
        lines = ("JSON",) if sample.suffix == ".jsonl" else ()  # lines embed in no JSON body
        for escape, says in [
            (b"\\u0000", NUL),
            (b"\\ud800", ("surrogate",)),
            (b"\\uDC00", ("surrogate",)),
        ]:
            cases[f"{name} with {escape.decode()}"] = (
                raw[:start] + escape + raw[start:],
                says + lines,
            )
    return cases | {
        "100,000 nested lists": (deep(100_000), ("nest",)),
        "100,000 nested objects": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, ("nest",)),
        "content nested 3,000 deep": (
            b'[{"messages": [{"role": "user", "content": ' + deep(3000) + b"}]}]",
            ("nest",),
        ),
        "an ignored field nested 3,000 deep": (
            b'[{"meta": '
            + deep(3000, '{"a":', "}").replace(b"}", b"1}", 1)
            + b', "messages": []}]',
            ("nest",),
        ),
        "1,001 chats": (
            json.dumps(
                [{"messages": [{"role": "user", "content": f"Q{n}"}]} for n in range(1001)]
            ).encode(),
            ("limit",),
        ),
        "2,001 messages": (
            json.dumps(
                [{"messages": [{"role": "user", "content": f"Q{n}"} for n in range(2001)]}]
            ).encode(),
            ("limit",),
        ),
        "a message of 200,001 characters": (
            json.dumps([{"messages": [{"role": "user", "content": "x" * 200_001}]}]).encode(),
            ("limit",),
        ),
        "an empty file": (b"", ("empty", "JSON", "Choose")),
        "only whitespace": (b" \n\t\n", ("empty", "JSON")),
        "only a byte-order mark": (b"\xef\xbb\xbf", ("empty", "JSON", "UTF-8")),
        "UTF-16": (SAMPLES[0].read_text().encode("utf-16"), ("UTF-8", "JSON")),
        "gzip bytes": (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", ("UTF-8", "JSON")),
        "YAML": (b"- role: user\n  content: hi\n", ("JSON",)),
        "CSV": (b"role,content\nuser,hi\n", ("JSON",)),
        "HTML": (b"<html><body>chat</body></html>", ("JSON",)),
        "NaN": (b"NaN", ("JSON", "not a JSON value")),
        "a list holding Infinity": (
            b'[{"messages": [{"role": "user", "content": Infinity}]}]',
            ("JSON",),
        ),
        "JSON Lines with a broken line": (b'{"messages": []}\n{"messages": [\n', ("JSON",)),
        "JSON Lines of numbers": (b"1\n2\n", ("JSON", "number", "item")),
    }


GENERATED = generated_documents()
FILE_ONLY = {  # too large to embed in a JSON body the same way: a limit of the upload itself
    "a file over 8 MB": (b'[{"messages": []}' + b" " * (9 * 2**20) + b"]", ("MB", "limit")),
    "a request over 16 MB": (b'[{"messages": []}' + b" " * (17 * 2**20) + b"]", ("MB", "limit")),
}
UPLOAD_CASES = {case["case"]: case for case in DOCUMENTS} | {
    name: {"raw": raw, "says": says} for name, (raw, says) in (GENERATED | FILE_ONLY).items()
}


@dataclass(frozen=True)
class Upload:
    """An endpoint that takes a chat export: a file field, or a free-form JSON field."""

    url: str
    field: str
    as_file: bool
    page: bool = False


def upload_endpoints(site: Site) -> list[Upload]:
    """From the API registry and from every page's multipart forms, so a new one is covered."""
    found = []
    for operation in OPERATIONS:
        url = "/api/v1" + operation.rule
        for schema, as_file in ((operation.form, True), (operation.body, False)):
            fields = schema.model_json_schema()["properties"] if schema else {}
            for name, field in fields.items():
                free_form = not {"type", "anyOf", "$ref", "allOf", "enum", "const"} & set(field)
                if field.get("format") == "binary" or (free_form and not as_file):
                    found.append(Upload(url, name, as_file))
    for method, url in routes(site.app):
        page = site.send("GET", url).get_data(as_text=True) if method == "GET" else ""
        for attributes, inside in MULTIPART_FORM.findall(page):
            action = re.search(r'action="([^"]+)"', attributes)
            target = html.unescape(action[1]) if action else url
            found += [Upload(target, name, True, page=True) for name in FILE_INPUT.findall(inside)]
    return sorted(set(found), key=str)


@pytest.fixture(scope="module")
def uploads(site) -> list[Upload]:
    found = upload_endpoints(site)
    assert {(u.url, u.as_file, u.page) for u in found} >= {
        ("/api/v1/chats", True, False),  # the API's multipart upload
        ("/api/v1/chats", False, False),  # the API's JSON body with the export inside
        ("/chats/new", True, True),  # the sharing page
    }
    return found


def upload(site: Site, endpoint: Upload, raw: bytes):
    if not endpoint.as_file:
        fields = b"".join(f'"{k}": "{v}", '.encode() for k, v in SHARING.items())
        body = b"{" + fields + f'"{endpoint.field}": '.encode() + raw + b"}"
        return site.send("POST", endpoint.url, data=body, content_type=JSON)
    fields = {**SHARING, "csrf_token": site.csrf} if endpoint.page else dict(SHARING)
    parts = [(k.encode(), v.encode(), None) for k, v in fields.items()]
    body = multipart([*parts, (endpoint.field.encode(), raw, b"export.json")])
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    return site.send("POST", endpoint.url, data=body, content_type=content_type)


@pytest.mark.parametrize("case", list(UPLOAD_CASES))
def test_hostile_chat_documents_are_refused_by_every_upload(site, uploads, case):
    document = UPLOAD_CASES[case]
    raw = document["raw"] if "raw" in document else json.dumps(document["document"]).encode()
    says = document["says"] if isinstance(document["says"], tuple) else (document["says"],)
    before, failures = site.rows(), []
    for endpoint in uploads:
        if case in FILE_ONLY and not endpoint.as_file:
            continue
        why = refused(upload(site, endpoint, raw), *says)
        if why:
            failures.append(f"{endpoint}: {why}")
    assert failures == []
    assert site.rows() == before


def test_the_corpus_is_large_enough():
    assert len(REQUEST_CASES) + len(UPLOAD_CASES) >= 200


# --- bodies outside each API schema ----------------------------------------------------------


def beyond_the_guard(value, depth: int = 0) -> bool:
    """What the guard refuses whatever the schema: too deep, NUL, surrogates, huge numbers."""
    if depth > 32:
        return True
    if isinstance(value, str):
        return "\x00" in value or re.search("[\ud800-\udfff]", value) is not None
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return not -(2**63) <= value < 2**63
    if isinstance(value, dict):
        return any(
            beyond_the_guard(key, depth) or beyond_the_guard(item, depth + 1)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(beyond_the_guard(item, depth + 1) for item in value)
    return False


def schema_refuses(schema, data) -> bool:
    try:
        schema.model_validate(data)
    except ValidationError:
        return True
    return False


WRONG_VALUES = [
    None, True, False, 0, -1, 1.5, 2**31, 2**53, -(2**63), "", " ", "x" * 100_001, "💥",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", [], {}, [[]], [None],
    {"$ne": 1}, ["a"] * 1000, "a\u202eb",
]  # fmt: skip
WRONG_BODIES = [[], [{}], "a", 1, 1.5, True, None, [1, 2]]
BODY_OPERATIONS = [operation for operation in OPERATIONS if operation.body is not None]


def wrong_bodies(operation) -> list:
    """Bodies the operation's schema refuses: each field given each wrong value in turn."""
    fields = list(operation.body.model_json_schema().get("properties", {}))
    candidates = [{field: value} for field in fields for value in WRONG_VALUES]
    candidates += [{**SHARING, field: value} for field in fields for value in WRONG_VALUES]
    return [body for body in WRONG_BODIES + candidates if schema_refuses(operation.body, body)]


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=lambda o: f"{o.method} {o.rule}")
def test_bodies_outside_each_api_schema_are_refused(site, operation):
    url = "/api/v1" + re.sub(r"<[^>]+>", "1", operation.rule)
    bodies = wrong_bodies(operation)
    assert len(bodies) >= 20
    before, failures = site.rows(), []
    for body in bodies:
        raw = json.dumps(body)  # not json=: json=None would send no body at all
        why = refused(site.send(operation.method, url, data=raw, content_type=JSON))
        if why:
            failures.append(f"{str(body)[:80]}: {why}")
    assert failures == []
    assert site.rows() == before


QUERY_OPERATIONS = [operation for operation in OPERATIONS if operation.query is not None]


@pytest.mark.parametrize("operation", QUERY_OPERATIONS, ids=lambda o: f"{o.method} {o.rule}")
def test_query_values_outside_each_api_schema_are_refused(site, operation):
    url = "/api/v1" + re.sub(r"<[^>]+>", "1", operation.rule)
    texts = [str(v) if not isinstance(v, str) else v for v in WRONG_VALUES if v is not None]
    texts += ["-1", "0", "1e3", str(2**31), str(2**63), str(10**30), "NaN", "nope"]
    failures = []
    for field in operation.query.model_json_schema().get("properties", {}):
        for value in texts:
            if value == "" or not schema_refuses(operation.query, {field: value}):
                continue
            why = refused(site.send(operation.method, url, query_string={field: value}), field)
            if why:
                failures.append(f"{field}={value[:40]!r}: {why}")
    assert failures == []


# --- numbers no column holds, and JSON inside a form field ----------------------------------


def usage_upload(**usage) -> dict:
    """An Open WebUI chat whose first answer reports these usage figures."""
    messages = {
        "q": {"id": "q", "parentId": None, "childrenIds": ["a"], "role": "user", "content": ""},
        "a": {"id": "a", "parentId": "q", "childrenIds": [], "role": "assistant",
              "content": "Use a heap.", "model": "m-a", "usage": usage},
    }  # fmt: skip
    messages["q"]["content"] = f"How do I keep the top {json.dumps(usage)} items?"
    return {"file": [{"title": "Usage", "chat": {"history": {"messages": messages}}}]}


ASK = {"prompt": "Which sorting algorithm suits nearly sorted data?"}
NUMBER_CASES = {  # name: (method, url, form / JSON body / upload)
    "?ask= 10**30": ("GET", "/arena?ask=" + "9" * 30, None),
    "?ask= 2**40": ("GET", f"/arena?ask={2**40}", None),
    "?page= 10**30": ("GET", "/api/v1/people?page=" + "9" * 30, None),
    "?per_page= -2**63": ("GET", f"/api/v1/prompts?per_page={-(2**63)}", None),
    "prompt id 2**40 in the path": ("GET", f"/prompts/{2**40}", None),
    "library_prompt: 2**40": ("POST", "/api/v1/battles", {"prompt": "Hi", "library_prompt": 2**40}),
    "library_prompt: -1": ("POST", "/api/v1/battles", {"prompt": "Hi", "library_prompt": -1}),
    "token expires_days= 10**30": ("POST", "/profile/tokens", {"expires_days": 10**30}),
    "token expires_days= -2**63": ("POST", "/profile/tokens", {"expires_days": -(2**63)}),
    "custom battle library= 2**40": ("POST", "/arena/custom", {**ASK, "library": 2**40}),
    "custom battle library= 10**30": ("POST", "/arena/custom", {**ASK, "library": 10**30}),
    "custom battle library= -10**25": ("POST", "/arena/custom", {**ASK, "library": -(10**25)}),
    "upload eval_count 2**31": ("UPLOAD", "", usage_upload(eval_count=2**31, eval_duration=9)),
    "upload eval_count 2**62": ("UPLOAD", "", usage_upload(eval_count=2**62, eval_duration=9)),
    "upload eval_count 1e300": ("UPLOAD", "", usage_upload(eval_count=1e300, eval_duration=9)),
    "upload eval_duration 1e-300": ("UPLOAD", "", usage_upload(eval_count=9, eval_duration=1e-300)),
    "upload completion_tokens 1e300": (
        "UPLOAD", "", usage_upload(completion_tokens=1e300, **{"response_token/s": 1e-300})
    ),
    "publish: hand-marked spans nested 100,000 deep": ("PUBLISH", "", {"manual": "[" * 100_000}),
    "publish: a hand-marked span to 10**30": ("PUBLISH", "", {"manual": {"0:q": [[0, 10**30]]}}),
}  # fmt: skip
# Today's 500s in code this suite's author does not own, by database: each must stay a 500
# until its fix lands (then this test fails and asks for the entry to go).
KNOWN_500: dict[str, set[str]] = {}  # case -> databases where it is still a 500


def a_draft(site: Site) -> str:
    """A fresh upload waiting for its preview; returns its publish URL."""
    chat = usage_upload()["file"]
    chat[0]["chat"]["history"]["messages"]["q"]["content"] = f"Draft question {site.rows()}?"
    reply = upload(site, Upload("/chats/new", "file", True, page=True), json.dumps(chat).encode())
    assert reply.status_code == 302, message_of(reply)
    return reply.headers["Location"] + "/publish"


def number_request(site: Site, method: str, url: str, payload):
    if method == "UPLOAD":
        endpoint = Upload("/api/v1/chats", "file", True)
        return upload(site, endpoint, json.dumps(payload["file"]).encode())
    if method == "PUBLISH":
        manual = payload["manual"]
        form = {**SHARING, "csrf_token": site.csrf, "manual": manual}
        if not isinstance(manual, str):
            form["manual"] = json.dumps(manual)
        return site.send("POST", url, data=form)
    if url.startswith("/api/") and method == "POST":
        return site.send(method, url, data=json.dumps(payload), content_type=JSON)
    form = {**payload, "csrf_token": site.csrf} if payload else None
    return site.send(method, url, data=form)


@pytest.mark.parametrize("case", list(NUMBER_CASES))
def test_numbers_no_column_holds_are_answered_clearly(site, case):
    method, url, payload = NUMBER_CASES[case]
    if method == "PUBLISH":
        url = a_draft(site)
    before = site.rows()
    reply = number_request(site, method, url, payload)
    if site.database in KNOWN_500.get(case, ()):
        assert reply.status_code == 500, f"{case} is fixed: take it off KNOWN_500"
        pytest.xfail(f"a 500 today on {site.database}: see the lead's report")
    assert reply.status_code < 500, message_of(reply)
    if reply.status_code >= 400:
        assert refused(reply) is None
        assert site.rows() == before


# --- beyond the corpus: hypothesis ----------------------------------------------------------

ANY_CHARACTER = st.one_of(st.characters(), st.characters(categories=["Cs"]), st.just("\x00"))
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**30])  # at the columns' edges
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(ANY_CHARACTER, max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(ANY_CHARACTER, max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
HYPOTHESIS = settings(max_examples=40, deadline=None, derandomize=True)


def query_names(site: Site) -> list[str]:
    names = {"community", "source", "style", "board", "period", "sort", "tag", "ask", "next"}
    for operation in QUERY_OPERATIONS:
        names |= set(operation.query.model_json_schema().get("properties", {}))
    return sorted(names)


@HYPOTHESIS
@given(data=st.data())
def test_any_bytes_in_a_query_string_are_refused_or_served(site, data):
    method, url = data.draw(st.sampled_from([r for r in routes(site.app) if r[0] == "GET"]))
    name = data.draw(st.sampled_from(query_names(site)))
    value = data.draw(
        st.binary(max_size=24)
        | st.text(ANY_CHARACTER, max_size=24).map(lambda t: t.encode("utf-8", "surrogatepass"))
    )
    query = f"{name}={''.join(f'%{byte:02x}' for byte in value)}"
    before = site.rows()
    reply = site.send(method, url, environ_overrides={"QUERY_STRING": query})
    try:
        hostile = "\x00" in value.decode("utf-8")
    except UnicodeDecodeError:
        hostile = True
    if hostile:
        assert refused(reply, "NUL", "UTF-8") is None
        assert site.rows() == before
    assert reply.status_code < 500, message_of(reply)


@HYPOTHESIS
@given(data=st.data())
def test_any_json_body_the_api_refuses_is_a_clear_400(site, data):
    operation = data.draw(st.sampled_from(BODY_OPERATIONS))
    fields = list(operation.body.model_json_schema().get("properties", {}))
    keys = st.sampled_from(fields) | st.text(ANY_CHARACTER, max_size=6)
    body = data.draw(JSON_VALUES | st.dictionaries(keys, JSON_VALUES, max_size=4))
    if not (beyond_the_guard(body) or schema_refuses(operation.body, body)):
        return  # a valid body would serve a battle or publish: not this test's business
    url = "/api/v1" + re.sub(r"<[^>]+>", "1", operation.rule)
    before = site.rows()
    reply = site.send(operation.method, url, data=json.dumps(body), content_type=JSON)
    assert reply.status_code == 400, message_of(reply)
    assert message_of(reply) and site.rows() == before


ROLES = st.sampled_from(["user", "assistant", "system", "human", "gpt", "tool", ""])
SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(ANY_CHARACTER, max_size=8)
)
MESSAGE_IDS = st.sampled_from(["m1", "m2", "m3", "m4"])
MESSAGES = st.fixed_dictionaries(
    {},
    optional={
        "id": MESSAGE_IDS | SCALARS,
        "role": ROLES | SCALARS,
        "from": ROLES,
        "content": st.text(ANY_CHARACTER, max_size=30)
        | SCALARS
        | st.lists(JSON_VALUES, max_size=2),
        "value": st.text(max_size=30),
        "model": st.sampled_from(["m-a", "m-b"]) | SCALARS,
        "parentId": MESSAGE_IDS | SCALARS,
        "childrenIds": st.lists(MESSAGE_IDS, max_size=3) | SCALARS,
        "annotation": st.fixed_dictionaries({}, optional={"rating": SCALARS}) | SCALARS,
        "timestamp": SCALARS | st.floats(allow_nan=False),
        "usage": st.dictionaries(st.sampled_from(["eval_count", "eval_duration"]), SCALARS),
    },
)
PLAUSIBLE_MESSAGES = st.fixed_dictionaries(  # so that some documents get past the parser
    {
        "role": st.sampled_from(["user", "assistant"]),
        "content": st.text(ANY_CHARACTER, max_size=30),
    },
    optional={"model": st.sampled_from(["m-a", "m-b"]) | SCALARS},
)
CHATS = st.one_of(
    st.fixed_dictionaries({"messages": st.lists(PLAUSIBLE_MESSAGES | MESSAGES, max_size=4)}),
    st.fixed_dictionaries({"messages": st.lists(MESSAGES, max_size=4) | SCALARS}),
    st.fixed_dictionaries({"conversations": st.lists(MESSAGES, max_size=4)}),
    st.fixed_dictionaries(
        {
            "chat": st.fixed_dictionaries(
                {
                    "history": st.fixed_dictionaries(
                        {"messages": st.dictionaries(MESSAGE_IDS, MESSAGES, max_size=4)}
                    )
                }
            )
        }
    ),
)


@HYPOTHESIS
@given(document=st.lists(CHATS, max_size=3) | CHATS | JSON_VALUES)
def test_any_chat_document_is_published_or_refused_never_a_500(site, document):
    before = site.rows()
    raw = json.dumps(document).encode()
    reply = upload(site, Upload("/api/v1/chats", "file", True), raw)
    if reply.status_code >= 400:
        assert refused(reply) is None
        assert site.rows() == before
    else:
        assert reply.status_code in (200, 201)


COUNTS = st.integers(-5, 2**62) | st.floats(allow_nan=False) | SCALARS


@HYPOTHESIS
@given(
    question=st.text(ANY_CHARACTER, min_size=1, max_size=60),
    answers=st.lists(
        st.fixed_dictionaries(
            {"content": st.text(ANY_CHARACTER, min_size=1, max_size=60)},
            optional={
                "model": st.text(ANY_CHARACTER, max_size=40) | SCALARS,
                "timestamp": st.floats(allow_nan=False) | SCALARS,
                "usage": st.dictionaries(
                    st.sampled_from(["eval_count", "eval_duration", "completion_tokens"]), COUNTS
                ),
                "annotation": st.fixed_dictionaries(
                    {}, optional={"rating": SCALARS, "reason": SCALARS, "comment": SCALARS}
                ),
            },
        ),
        min_size=1,
        max_size=3,
    ),
    title=st.text(ANY_CHARACTER, max_size=40) | SCALARS,
)
def test_any_metadata_on_a_real_chat_is_published_or_refused_never_a_500(
    site, question, answers, title
):
    messages = {"q": {"id": "q", "parentId": None, "role": "user", "content": question}}
    for number, answer in enumerate(answers):
        key = f"a{number}"
        messages[key] = {"id": key, "parentId": "q", "role": "assistant", **answer}
    document = [{"title": title, "chat": {"history": {"messages": messages}}}]
    before = site.rows()
    reply = upload(site, Upload("/api/v1/chats", "file", True), json.dumps(document).encode())
    if reply.status_code >= 400:
        assert refused(reply) is None
        assert site.rows() == before
    else:
        assert reply.status_code in (200, 201)

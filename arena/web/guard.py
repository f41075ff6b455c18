"""Request-level guards: input no column can hold is refused with a 400 before any view runs.

PostgreSQL refuses NUL in text and neither database stores an unpaired surrogate, so such input
fails deep inside a service (a 500 on PostgreSQL, some of them without login) unless it is
stopped here. Werkzeug quietly replaces invalid UTF-8 or keeps it percent-encoded, so the raw
bytes of the path, the query string and form fields are decoded strictly here. A JSON body is
parsed once, here, with its depth, numbers and strings checked; `json_document` hands the same
parse to the API. Uploaded files are left to the chats parsers, except for the JSON escapes
of NUL and of lone surrogates, which no parser should pass on.
"""

import json
import math
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from arena.core.errors import InvalidInput

MAX_DEPTH = 32  # chat exports nest about ten levels; anything far deeper is an attack
# The widest integer column (BIGINT); narrower ones are bounded by each schema.
MAX_INTEGER = 2**63 - 1
JSON_DOCUMENT = "arena.json_document"  # the parsed body, in the request's WSGI environ
NUL = "\x00"
# A JSON escape of NUL or of a surrogate: those of surrogates are fine in pairs (an emoji).
SUSPECT_ESCAPE = re.compile(rb"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
LOW_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def register(app: Flask) -> None:
    """Run first: before CSRF reads the form (the raw bytes are needed) and before any view."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_hostile_request)


def refuse_hostile_request() -> None:
    check_text(_raw_environ("PATH_INFO"), "The address")
    check_pairs(_raw_environ("QUERY_STRING"))
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        check_pairs(request.get_data(cache=True, parse_form_data=False))
    elif mimetype == "multipart/form-data":
        check_multipart(request.get_data(cache=True, parse_form_data=False))
    elif request.is_json and request.get_data(cache=True, parse_form_data=False):
        json_document()


def _raw_environ(name: str) -> bytes:
    """The bytes the server received (PEP 3333 hands them over as latin-1 text)."""
    return request.environ.get(name, "").encode("latin-1")


def check_text(raw: bytes, what: str) -> str:
    """raw as text, or InvalidInput when it is not UTF-8 or holds a NUL."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{what} is not valid UTF-8 text.") from None
    if NUL in text:
        raise InvalidInput(f"{what} contains a NUL character.")
    return text


def check_pairs(raw: bytes) -> None:
    """A query string or urlencoded form: every name and value percent-decoded, strictly."""
    for part in raw.split(b"&"):
        name, _, value = part.partition(b"=")
        label = check_text(_unquoted(name), "A parameter name")
        check_text(_unquoted(value), _label(label, "A parameter"))


def _label(name: str, unnamed: str) -> str:
    """A field's name for a message: as the client spelled it, within reason."""
    return name if 0 < len(name) <= 60 else unnamed


def _unquoted(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" "))


def check_multipart(raw: bytes) -> None:
    """Text fields as check_pairs does; files only for the JSON escapes no parser may pass on."""
    boundary = parse_options_header(request.content_type)[1].get("boundary", "").encode()
    if not boundary:
        raise InvalidInput("The upload has no multipart boundary.")
    for part, data in _multipart_parts(raw, boundary):
        if NUL in part.name:
            raise InvalidInput("A field name contains a NUL character.")
        if isinstance(part, File):
            refuse_hostile_escapes(data, f"The file {_label(part.filename, 'uploaded')}")
        else:
            check_text(data, _label(part.name, "A field"))


def _multipart_parts(raw: bytes, boundary: bytes) -> list[tuple[Field | File, bytes]]:
    decoder = MultipartDecoder(boundary, max_parts=request.max_form_parts)
    try:
        decoder.receive_data(raw)
        decoder.receive_data(None)
        return _collected(decoder)
    except ValueError:  # header lines that are not UTF-8, a broken part
        raise InvalidInput("The upload is not a valid multipart form.") from None


def _collected(decoder: MultipartDecoder) -> list[tuple[Field | File, bytes]]:
    parts: list[tuple[Field | File, bytes]] = []
    chunks: list[bytes] = []
    while not isinstance(event := decoder.next_event(), NeedData | Epilogue):
        if isinstance(event, Field | File):
            current, chunks = event, []
        elif isinstance(event, Data):
            chunks.append(event.data)
            if not event.more_data:
                parts.append((current, b"".join(chunks)))
    return parts


def refuse_hostile_escapes(raw: bytes, what: str) -> None:
    found = _hostile_escape(raw)
    if found is None:
        return
    line = raw.count(b"\n", 0, found.start()) + 1
    column = found.start() - (raw.rfind(b"\n", 0, found.start()) + 1) + 1
    kind = "a NUL character" if found[1] == b"0000" else "an unpaired surrogate"
    raise InvalidInput(
        f"{what} contains {kind} ({found[0].decode()}) at line {line}, column {column}, "
        "which cannot be stored as text; remove it and try again."
    )


def _hostile_escape(raw: bytes) -> re.Match | None:
    """The first escape of NUL or of a lone surrogate in raw JSON text, if any."""
    paired_low_at = -1
    for found in SUSPECT_ESCAPE.finditer(raw):
        if _escaped_backslash(raw, found.start()):
            continue  # "\\u0000" is a backslash, then text
        code = int(found[1], 16)
        is_high = 0xD800 <= code <= 0xDBFF
        if is_high and LOW_SURROGATE_ESCAPE.match(raw, found.end()):
            paired_low_at = found.end()
        elif code == 0 or is_high or found.start() != paired_low_at:
            return found
    return None


def _escaped_backslash(raw: bytes, at: int) -> bool:
    """Whether the backslash at `at` is itself escaped (an odd run of backslashes before it)."""
    run = at
    while run > 0 and raw[run - 1] == 0x5C:
        run -= 1
    return (at - run) % 2 == 1


def json_document() -> Any:
    """The request's JSON body parsed and checked, once per request (None without a body)."""
    # Kept in the request's environ, not in `g`: `g` lives as long as the app context, which
    # several requests share when one was pushed around them (a CLI command, a test).
    if JSON_DOCUMENT not in request.environ:
        raw = request.get_data(cache=True, parse_form_data=False)
        request.environ[JSON_DOCUMENT] = _parsed(raw) if raw else None
    return request.environ[JSON_DOCUMENT]


def _parsed(raw: bytes) -> Any:
    try:  # strictly: json.loads would let encoded surrogates through from bytes
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The request body is not valid UTF-8 text.") from None
    try:
        document = json.loads(
            text, parse_constant=_refuse_constant, object_pairs_hook=_object_with_unique_keys
        )
    except RecursionError:
        raise InvalidInput(f"The body is nested more than {MAX_DEPTH} levels deep.") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"The request body is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}."
        ) from None
    except ValueError:  # numbers of thousands of digits, NaN, Infinity
        raise InvalidInput("The request body is not valid JSON.") from None
    refuse_hostile(document, "body")
    return document


def _object_with_unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """An object whose keys repeat means two things at once (the last would win unseen)."""
    document = dict(pairs)
    if len(document) < len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        name = f"the field {twice!r}" if _label(twice, "") else "a field name"
        raise InvalidInput(f"The body has {name} twice in one object.")
    return document


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def refuse_hostile(data: Any, where: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, text no database stores (NUL, unpaired
    surrogates) in values and keys, and numbers no column holds."""
    pending = [(data, 0, "")]
    while pending:
        value, depth, path = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"{where} is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(value, str):
            _check_string(value, path or where)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            _check_number(value, path or where)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_string(str(key), f"A field name of {path or where}")
                pending.append((item, depth + 1, f"{path}.{key}" if path else str(key)))
        elif isinstance(value, list):
            pending.extend((item, depth + 1, f"{path}[{n}]") for n, item in enumerate(value))


def _check_string(text: str, field: str) -> None:
    if NUL in text:
        raise InvalidInput(f"{field} contains a NUL character.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field} contains an unpaired surrogate, which is not text.") from None


def _check_number(number: int | float, field: str) -> None:
    if isinstance(number, float) and not math.isfinite(number):
        raise InvalidInput(f"{field} is too large a number.")
    if isinstance(number, int) and not -MAX_INTEGER - 1 <= number <= MAX_INTEGER:
        raise InvalidInput(f"{field} must lie between {-MAX_INTEGER - 1:,} and {MAX_INTEGER:,}.")

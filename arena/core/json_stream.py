"""Records of a JSON array or JSON Lines file, read one at a time (ijson), never whole.

Used by the bulk imports of battles and chats. A record nested deeper than MAX_DEPTH is
refused before it is built (building it costs ijson memory quadratic in the depth, and
Python's json a RecursionError); NaN and Infinity, which are not JSON, are refused too.
"""

import json
from collections.abc import Iterator
from typing import IO

import ijson

MAX_DEPTH = 64
OPENING, CLOSING = ("start_map", "start_array"), ("end_map", "end_array")


class BadRecord(ValueError):
    """A record that is not JSON, or nests too deeply; its message says which."""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def records(stream: IO[bytes]) -> Iterator[tuple[int, object]]:
    """(record number from 1, parsed JSON value) of a JSON array or JSON Lines, streamed."""
    head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
    if head.lstrip()[:1] == b"[":
        yield from _array_items(stream)
        return
    for number, line in enumerate(stream, start=1):
        if line.strip():
            try:
                yield number, json.loads(line, parse_constant=_refuse_constant)
            except (ValueError, RecursionError) as error:
                yield number, BadRecord(f"not JSON: {error}")


def _array_items(stream: IO[bytes]) -> Iterator[tuple[int, object]]:
    """The items of a top-level JSON array, built one at a time from ijson's flat events.

    A syntax error cannot be skipped in an array: it is reported as the record it is in,
    and the rest of the file is not read."""
    number, depth, builder = 0, 0, None
    events = ijson.basic_parse(stream, use_float=True)
    try:
        next(events)  # the array's own start
        for event, value in events:
            if depth == 0:
                if event == "end_array":
                    return
                number, builder = number + 1, ijson.ObjectBuilder()
            depth += (event in OPENING) - (event in CLOSING)
            if builder is not None and depth > MAX_DEPTH:
                builder = None
            if builder is not None:
                builder.event(event, value)
            if depth == 0:
                too_deep = BadRecord(f"nested deeper than {MAX_DEPTH} levels")
                yield number, too_deep if builder is None else builder.value
    except ijson.JSONError as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        yield (
            number + (depth == 0),
            BadRecord(f"not JSON: {message}; the rest of the file was not read"),
        )

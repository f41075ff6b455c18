"""Find and redact personal data in shared chats before they are published.

Detectors run on a normalised copy of the text (`pii.normalise`: markdown emphasis and code
markers stripped, HTML entities decoded, invisible characters dropped, line endings unified)
and their finds are mapped back to spans of the original text. presidio-analyzer's pattern
recognisers, offline and with no language model, find e-mail addresses, credit cards (Luhn),
URLs that carry credentials or tokens and secrets (`pii.recognisers`); the arena's own find
phone numbers (`pii.phones`), IBANs (`pii.banking`), IP addresses (`pii.network`), credentials
in shell lines, flags and prose (`pii.credentials`), street addresses (`pii.addresses`) and
person names (`pii.names`).

Who wrote the text matters: `author="user"` (the default, and the strictest) for anything a
person wrote (messages, titles, notes, tags), `author="model"` for a model's answers, where
loopback, private and documentation IP ranges, public resolvers, the published test cards and
sample IBANs, "I'm ..." and famous people's names are ordinary content.
"""

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field

from arena.chats.pii.addresses import find_street_addresses
from arena.chats.pii.banking import find_card_numbers, find_ibans
from arena.chats.pii.credentials import find_credentials
from arena.chats.pii.names import find_person_names
from arena.chats.pii.network import find_ip_addresses
from arena.chats.pii.normalise import normalise
from arena.chats.pii.phones import find_phone_numbers
from arena.chats.pii.placeholders import is_placeholder
from arena.chats.pii.recognisers import KINDS, SCORE_THRESHOLD, analyzer, find_wrapped_emails
from arena.core.errors import InvalidInput

__all__ = ["AUTHORS", "RedactedText", "Redaction", "analyzer", "find_personal_data", "redact"]
__all__ += ["is_placeholder"]

AUTHORS = ("user", "model")
MANUAL = "REDACTED"  # the kind of a span the contributor marked by hand


@dataclass
class Redaction:
    start: int
    end: int
    kind: str  # "EMAIL", "PHONE", "CREDIT_CARD", "IP_ADDRESS", "IBAN", "URL_CREDENTIALS", ...


@dataclass
class RedactedText:
    text: str
    redactions: list[Redaction]  # spans in the ORIGINAL text
    counts: dict[str, int] = field(default_factory=dict)


def find_personal_data(text: str, author: str = "user") -> list[Redaction]:
    """Non-overlapping spans of personal data in the text, in order, as offsets into the text
    as given. author is "user" for what a person wrote, "model" for a model's answer."""
    if author not in AUTHORS:
        raise ValueError(f"author must be one of {AUTHORS}, not {author!r}")
    if not text.strip():
        return []
    normalised = normalise(text)
    hits = [
        Redaction(*normalised.to_original(start, end), kind)
        for start, end, kind in _finds(normalised.text, author)
        if end > start
    ]
    return _without_overlaps(hits)


def _finds(text: str, author: str) -> Iterator[tuple[int, int, str]]:
    for found in analyzer().analyze(text, language="en", score_threshold=SCORE_THRESHOLD):
        yield found.start, found.end, KINDS[found.entity_type]
    yield from find_credentials(text)
    for kind, spans in (
        ("EMAIL", find_wrapped_emails(text)),
        ("CREDIT_CARD", find_card_numbers(text, author)),
        ("PHONE", find_phone_numbers(text)),
        ("IBAN", find_ibans(text, author)),
        ("IP_ADDRESS", find_ip_addresses(text, author)),
        ("ADDRESS", find_street_addresses(text, author)),
        ("PERSON", find_person_names(text, author)),
    ):
        for start, end in spans:
            yield start, end, kind


def redact(
    text: str, extra_spans: list[tuple[int, int]] = (), author: str = "user"
) -> RedactedText:
    """The text with each span replaced by "[EMAIL]", "[PHONE]", ...; spans marked by hand
    (extra_spans, character offsets) become "[REDACTED]". Overlapping spans are merged."""
    spans = find_personal_data(text, author) + [_manual_span(span, text) for span in extra_spans]
    merged: list[Redaction] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        last = merged[-1] if merged else None
        if last is None or span.start >= last.end:
            merged.append(Redaction(span.start, span.end, span.kind))
            continue
        if span.kind == MANUAL or (
            last.kind != MANUAL and span.end - span.start > last.end - last.start
        ):
            last.kind = span.kind  # a hand-marked span, or the larger find, names the merged span
        last.end = max(last.end, span.end)
    pieces, position, counts = [], 0, {}
    for span in merged:
        pieces += [text[position : span.start], f"[{span.kind}]"]
        position = span.end
        counts[span.kind] = counts.get(span.kind, 0) + 1
    pieces.append(text[position:])
    return RedactedText("".join(pieces), merged, counts)


def checked_span(span, text: str) -> tuple[int, int]:
    """A hand-marked span as two character offsets inside the text (InvalidInput otherwise)."""
    try:
        start, end = (int(value) for value in span)
    except (TypeError, ValueError):
        raise InvalidInput(f"a hand-marked span must be two numbers, not {span!r}") from None
    if not 0 <= start < end <= len(text):
        raise InvalidInput(f"the hand-marked span {start}-{end} is outside the text")
    return start, end


def _manual_span(span, text: str) -> Redaction:
    return Redaction(*checked_span(span, text), MANUAL)


def _without_overlaps(hits: list[Redaction]) -> list[Redaction]:
    """Where finds overlap the longest wins, e.g. a URL with a password over the "e-mail
    address" presidio sees in its user:password@host part."""
    starts: list[int] = []  # of the kept finds, which never overlap, so their ends sort too
    kept: list[Redaction] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        at = bisect.bisect_right(starts, hit.start)
        clear_before = at == 0 or kept[at - 1].end <= hit.start
        clear_after = at == len(kept) or hit.end <= kept[at].start
        if clear_before and clear_after:
            starts.insert(at, hit.start)
            kept.insert(at, hit)
    return kept

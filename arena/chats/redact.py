"""Find and redact personal data in shared chats before they are published.

Detection runs presidio-analyzer's pattern recognisers offline, with no language model:
e-mail addresses, phone numbers (python-phonenumbers), credit cards (Luhn), IP addresses, IBANs
(checksum), plus small custom recognisers for URLs that carry credentials or tokens and for
well-known secret shapes. Person names are not detected: that needs a named-entity model, and no
trustworthy English one can be installed from PyPI (spaCy's own models are published elsewhere).
"""

import ipaddress
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import regex
import tldextract
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NoOpNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
)

from arena.core.errors import InvalidInput

# presidio entity → our kind.
KINDS = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD",
    "IP_ADDRESS": "IP_ADDRESS",
    "IBAN_CODE": "IBAN",
    "URL_CREDENTIALS": "URL_CREDENTIALS",
    "SECRET": "SECRET",
}
# Validated finds (e-mail, card, IBAN, URL, secrets) score 0.7-1.0 and failed ones 0; IPs score
# 0.6 and phone numbers 0.4, as no NLP engine supplies context words. False alarms are kept down
# by each recogniser's own checks below, not by this threshold, which only drops failed finds.
SCORE_THRESHOLD = 0.4
MANUAL = "REDACTED"  # the kind of a span the contributor marked by hand

SECRET_KEYS = (
    r"(?i:[\w-]*(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|"
    r"auth[_-]?token|access[_-]?token|token))"
)
URL_TOKEN_PARAMETERS = {
    "access_token", "api_key", "apikey", "api-key", "auth", "auth_token", "client_secret", "code",
    "key", "password", "passwd", "pwd", "secret", "sig", "signature", "token", "x-amz-credential",
    "x-amz-signature", "x-goog-signature",
}  # fmt: skip
SECRET_SHAPES = [
    ("OpenAI or Anthropic key", r"\bsk-(?:proj-|svcacct-|admin-|ant-[a-z]+\d*-)?[\w-]{20,}"),
    ("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})"),
    ("GitLab token", r"\bglpat-[\w-]{20,}"),
    ("AWS access key id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("Slack webhook", r"https://hooks\.slack\.com/services/[\w/]+"),
    ("Google API key", r"\bAIza[\w-]{35}"),
    ("Stripe key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}"),
    ("JSON Web Token", r"\beyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}"),
    ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----"),
]
# Long enough not to turn up by chance inside a random token.
SHAPE_PLACEHOLDERS = ("your", "xxxx", "example", "placeholder", "redacted", "dummy", "...")
PLACEHOLDERS = SHAPE_PLACEHOLDERS + (
    "changeme", "password", "secret", "token", "apikey", "api_key", "***", "<", ">", "{", "}",
    "$", "%", "os.", "process.", "getenv", "environ", "config", "settings",
)  # fmt: skip
# Stock addresses of code samples and templates, not anyone's mailbox (example.* is RFC 2606's).
EXAMPLE_DOMAINS = {"example", "domain", "yourdomain", "company", "yourcompany", "mycompany"}
EXAMPLE_MAILBOXES = {
    "example", "user", "username", "name", "email", "your.email", "youremail", "your_email",
    "john.doe", "jane.doe", "johndoe", "janedoe", "john_doe", "jane_doe", "someone", "test",
    "foo", "bar",
}  # fmt: skip
PUBLIC_RESOLVERS = {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "208.67.222.222"}


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


def find_personal_data(text: str) -> list[Redaction]:
    """Non-overlapping spans of personal data in the text, in order."""
    if not text.strip():
        return []
    results = analyzer().analyze(text, language="en", score_threshold=SCORE_THRESHOLD)
    hits = [Redaction(r.start, r.end, KINDS[r.entity_type]) for r in results]
    return _without_overlaps(hits)


def redact(text: str, extra_spans: list[tuple[int, int]] = ()) -> RedactedText:
    """The text with each span replaced by "[EMAIL]", "[PHONE]", ...; spans marked by hand
    (extra_spans, character offsets) become "[REDACTED]". Overlapping spans are merged."""
    spans = find_personal_data(text) + [_manual_span(span, text) for span in extra_spans]
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


def _manual_span(span, text: str) -> Redaction:
    try:
        start, end = (int(value) for value in span)
    except (TypeError, ValueError):
        raise InvalidInput(f"a hand-marked span must be two numbers, not {span!r}") from None
    if not 0 <= start < end <= len(text):
        raise InvalidInput(f"the hand-marked span {start}-{end} is outside the text")
    return Redaction(start, end, MANUAL)


def _without_overlaps(hits: list[Redaction]) -> list[Redaction]:
    """Where finds overlap the longest wins, e.g. a URL with a password over the "e-mail
    address" presidio sees in its user:password@host part."""
    kept: list[Redaction] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        if all(hit.end <= other.start or hit.start >= other.end for other in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


# --- the analyzer ----------------------------------------------------------------------------

_analyzer: AnalyzerEngine | None = None
_analyzer_lock = threading.Lock()


def analyzer() -> AnalyzerEngine:
    """One analyzer per process: building it compiles many patterns."""
    global _analyzer
    if _analyzer is None:
        with _analyzer_lock:
            if _analyzer is None:
                _analyzer = _build_analyzer()
    return _analyzer


def _build_analyzer() -> AnalyzerEngine:
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        OfflineEmailRecognizer(),
        StrictPhoneRecognizer(),
        IssuedCardRecognizer(),
        PublicIpRecognizer(),
        IbanRecognizer(),
        UrlCredentialsRecognizer(),
        SecretRecognizer(),
        SecretAssignmentRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    # NoOpNlpEngine loads no spaCy model (the default engine would try to download one).
    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


class OfflineEmailRecognizer(EmailRecognizer):
    """presidio checks the domain with tldextract, whose default downloads the public-suffix
    list; this one reads the snapshot shipped inside tldextract and never opens a socket. It
    also checks the part after the "@" (presidio's check passes "cdn.net/npm/pkg@4.6.0") and
    leaves out the stock example addresses of code samples."""

    domains = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    def validate_result(self, pattern_text: str) -> bool:
        local, _, host = pattern_text.rpartition("@")
        domain = self.domains(host)
        if not domain.suffix or not domain.domain or "/" in local:
            return False
        return domain.domain not in EXAMPLE_DOMAINS and local.lower() not in EXAMPLE_MAILBOXES


class StrictPhoneRecognizer(PhoneRecognizer):
    """Phone numbers written the way phone numbers are grouped (python-phonenumbers'
    STRICT_GROUPING), which leaves out prices, IP addresses and decimals such as "169.85"."""

    def __init__(self):
        super().__init__(leniency=2)

    def analyze(self, text, entities, nlp_artifacts=None):
        return [
            r
            for r in super().analyze(text, entities, nlp_artifacts)
            if _phone_like(text[r.start : r.end])
        ]


def _phone_like(found: str) -> bool:
    digits = sum(c.isdigit() for c in found)
    if digits < 7 or regex.fullmatch(r"\d+[.,]\d+", found):
        return False
    return digits >= 10 or not found.isdigit()  # an unformatted run of 7-9 digits is a count


class PublicIpRecognizer(IpRecognizer):
    """Only addresses routed on the internet identify someone; 127.0.0.1, 192.168.x.x, the
    documentation ranges and public DNS resolvers are everyday examples in technical answers,
    and "1.3.21.1" inside an SNMP OID or a longer version number is no address at all."""

    def invalidate_result(self, pattern_text: str) -> bool:
        try:
            address = ipaddress.ip_interface(pattern_text).ip
        except ValueError:
            return True
        return not address.is_global or str(address) in PUBLIC_RESOLVERS

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        found = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in found if not _inside_dotted_number(text, r.start, r.end)]


def _inside_dotted_number(text: str, start: int, end: int) -> bool:
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    return bool(regex.fullmatch(r"\d\.", before) or regex.fullmatch(r"\.\d", after))


class IssuedCardRecognizer(CreditCardRecognizer):
    """Luhn-valid numbers whose first digit belongs to a card network in everyday use (2-6);
    long numbers in maths answers and binary strings pass Luhn one time in ten."""

    def invalidate_result(self, pattern_text: str) -> bool:
        digits = [c for c in pattern_text if c.isdigit()]
        return digits[0] not in "23456" or set(digits) <= {"0", "1"}


class UrlCredentialsRecognizer(PatternRecognizer):
    """URLs with user:password@ or a token-like query parameter. Plain URLs are not personal
    data and stay; presidio's own URL recogniser only finds those (and fragments such as
    "john.do" inside "john.doe@..."), so it is not used."""

    def __init__(self):
        rest = r"[^\s\"'<>`]*[^\s\"'<>`.,;:!?)\]]"  # a sentence's full stop is not the URL's
        userinfo = r"[^\s/?#@:\"'<>]+:[^\s/?#@\"'<>]+@"
        patterns = [
            Pattern("URL with password", rf"\b[a-z][a-z0-9+.-]{{1,20}}://{userinfo}{rest}", 0.9),
            Pattern("URL with token", rf"\b(?:https?|wss?|ftp)://[^\s?#\"'<>`]+\?{rest}", 0.8),
        ]
        super().__init__(
            supported_entity="URL_CREDENTIALS", patterns=patterns, name="UrlCredentials"
        )

    def validate_result(self, pattern_text: str) -> bool:
        try:
            url = urlsplit(pattern_text)
            secrets = [url.password] if url.password else []
        except ValueError:
            return False
        query = parse_qsl(url.query, keep_blank_values=False)
        secrets += [value for name, value in query if name.lower() in URL_TOKEN_PARAMETERS]
        return any(len(value) >= 6 and not is_placeholder(value) for value in secrets)


class SecretRecognizer(PatternRecognizer):
    """API keys and tokens by their published shapes (SECRET_SHAPES)."""

    def __init__(self):
        patterns = [Pattern(name, shape, 0.9) for name, shape in SECRET_SHAPES]
        super().__init__(
            supported_entity="SECRET",
            patterns=patterns,
            name="SecretShapes",
            global_regex_flags=regex.DOTALL | regex.MULTILINE,  # case matters: AKIA, sk-, ghp_
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        lowered = pattern_text.lower()
        return any(word in lowered for word in SHAPE_PLACEHOLDERS)


class SecretAssignmentRecognizer(PatternRecognizer):
    """The value in "password = ...", "API_KEY: ...", "Authorization: Bearer ...", if it looks
    like a real secret rather than a placeholder or a code expression."""

    def __init__(self):
        assignment = rf"(?<=\b{SECRET_KEYS}[\"']?\s{{0,3}}[:=]\s{{0,3}}[\"']?)"
        patterns = [
            Pattern("secret assignment", assignment + r"[^\s\"'`,;(){}\[\]<>]{6,}+(?![(.\w])", 0.7),
            Pattern("bearer token", r"(?<=\b[Bb]earer\s{1,3})[A-Za-z0-9._~+/-]{16,}=*", 0.8),
        ]
        super().__init__(
            supported_entity="SECRET",
            patterns=patterns,
            name="SecretAssignments",
            global_regex_flags=regex.DOTALL | regex.MULTILINE,
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        return is_placeholder(pattern_text)


def is_placeholder(value: str) -> bool:
    """True for stand-ins such as YOUR_API_KEY, <token>, $DB_PASSWORD, my_password, os.getenv."""
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDERS) or len(set(lowered)) <= 3:
        return True
    letters = value.replace("_", "")
    if letters.isupper() and letters.isalpha():
        return True  # an environment variable's name
    # A secret mixes letters with digits or symbols; a bare word is a name, not a value.
    return not (any(c.isalpha() for c in value) and any(not c.isalpha() for c in value))

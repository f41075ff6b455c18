"""presidio-analyzer's pattern recognisers, configured to run offline and to stay quiet on
ordinary technical text: e-mail addresses, URLs that carry credentials or tokens, and secrets
by their published shapes (`pii.credentials` finds them by the name they
are assigned to)."""

import functools
import threading
from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

import regex
import tldextract
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NoOpNlpEngine
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from arena.chats.pii.placeholders import SHAPE_PLACEHOLDERS, is_placeholder

# presidio entity → our kind.
KINDS = {
    "EMAIL_ADDRESS": "EMAIL",
    "URL_CREDENTIALS": "URL_CREDENTIALS",
    "SECRET": "SECRET",
}
# Validated finds score 0.7-1.0 and failed ones 0: the threshold only drops failed finds.
SCORE_THRESHOLD = 0.4
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
    ("SendGrid key", r"\bSG\.[\w-]{16,}\.[\w-]{30,}"),
    ("Django secret key", r"\bdjango-insecure-[^\s\"'`]{30,}"),
    ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----"),
]
# Stock addresses of code samples and templates, not anyone's mailbox (example.* is RFC 2606's).
# The mailbox does not matter: jane.doe@gmail.com may well be someone's.
EXAMPLE_DOMAINS = {"example", "domain", "yourdomain", "yourcompany", "mycompany"}

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
        UrlCredentialsRecognizer(),
        SecretRecognizer(),
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
        if not domain.suffix or not domain.domain or "/" in local or local == "git":
            return False  # git@github.com:... is an ssh remote, nobody's mailbox
        return domain.domain.lower() not in EXAMPLE_DOMAINS


# An address broken at a hyphen by a PDF's or a mail client's line wrapping: "uni-\nheidelberg.de".
_WRAPPED_EMAIL = regex.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@(?:[\w-]+\.)*[\w]+-[ \t]*\n[ \t]*(?:[\w-]+\.)+[A-Za-z]{2,24}\b"
)


def find_wrapped_emails(text: str) -> Iterator[tuple[int, int]]:
    if "@" not in text or "\n" not in text:
        return
    for found in _WRAPPED_EMAIL.finditer(text):
        if _email_checker().validate_result(regex.sub(r"[ \t]*\n[ \t]*", "", found.group())):
            yield found.span()


@functools.cache
def _email_checker() -> "OfflineEmailRecognizer":
    return OfflineEmailRecognizer()


class UrlCredentialsRecognizer(PatternRecognizer):
    """URLs with user:password@ or a token-like query parameter. Plain URLs are not personal
    data and stay; presidio's own URL recogniser only finds those (and fragments such as
    "john.do" inside "john.doe@..."), so it is not used."""

    def __init__(self):
        rest = r"[^\s\"'<>`]*[^\s\"'<>`.,;:!?)\]]"  # a sentence's full stop is not the URL's
        userinfo = r"[^\s/?#@:\"'<>]*:[^\s/?#@\"'<>]+@"
        scheme = r"\b(?:jdbc:)?[a-z][a-z0-9+.-]{1,20}://"  # any scheme: postgresql, amqp, jdbc:...
        patterns = [
            Pattern("URL with password", rf"{scheme}{userinfo}{rest}", 0.9),
            Pattern("URL with token", rf"{scheme}[^\s?#\"'<>`]+\?{rest}", 0.8),
        ]
        super().__init__(
            supported_entity="URL_CREDENTIALS", patterns=patterns, name="UrlCredentials"
        )

    def validate_result(self, pattern_text: str) -> bool:
        try:
            url = urlsplit(pattern_text.removeprefix("jdbc:"))
            secrets = [unquote(url.password)] if url.password else []  # "%21" is not a template
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

"""Personal data found and redacted offline, with few false alarms on ordinary answers."""

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from arena.chats import redact as redaction
from arena.chats.redact import Redaction, find_personal_data, redact
from arena.core.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent


def found(text: str) -> list[tuple[str, str]]:
    return [(hit.kind, text[hit.start : hit.end]) for hit in find_personal_data(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to jana.novak@posteo.de today.", [("EMAIL", "jana.novak@posteo.de")]),
        ("CC: Max.Mustermann+bills@gmail.com", [("EMAIL", "Max.Mustermann+bills@gmail.com")]),
        ("Call me on +1 (415) 555-2671 tonight", [("PHONE", "+1 (415) 555-2671")]),
        ("Our office: 020 7946 0958.", [("PHONE", "020 7946 0958")]),
        ("Handy: +49 151 23456789", [("PHONE", "+49 151 23456789")]),
        ("Paid with 4111 1111 1111 1111 last week", [("CREDIT_CARD", "4111 1111 1111 1111")]),
        ("card 5500-0000-0000-0004 exp 04/27", [("CREDIT_CARD", "5500-0000-0000-0004")]),
        ("IBAN: DE89 3704 0044 0532 0130 00", [("IBAN", "DE89 3704 0044 0532 0130 00")]),
        ("my home IP is 81.169.145.105, right?", [("IP_ADDRESS", "81.169.145.105")]),
        ("ssh from 2a00:1450:4001:82a::200e failed", [("IP_ADDRESS", "2a00:1450:4001:82a::200e")]),
        (
            "DATABASE_URL=postgresql://admin:s3cr3t-Pa55@db.internal:5432/app",
            [("URL_CREDENTIALS", "postgresql://admin:s3cr3t-Pa55@db.internal:5432/app")],
        ),
        (
            "Reset: https://accounts.acme-mail.com/reset?uid=42&token=9f8e7d6c5b4a3928 (1h).",
            [
                (
                    "URL_CREDENTIALS",
                    "https://accounts.acme-mail.com/reset?uid=42&token=9f8e7d6c5b4a3928",
                )
            ],
        ),
        (
            "export OPENAI_API_KEY=sk-proj-4f9XQ2mB7kLw3nRt8vYz1aCd5eFg6hJk",
            [("SECRET", "sk-proj-4f9XQ2mB7kLw3nRt8vYz1aCd5eFg6hJk")],
        ),
        (
            "token ghp_16C7e42F292c6912E7710c838347Ae178B4a works",
            [("SECRET", "ghp_16C7e42F292c6912E7710c838347Ae178B4a")],
        ),
        ("aws_access_key_id = AKIAZ7Q3HX5LMN2PRS4T", [("SECRET", "AKIAZ7Q3HX5LMN2PRS4T")]),
        (
            "SLACK_BOT_TOKEN: xoxb-2483-93716-Kq8vR2nWzLp",
            [("SECRET", "xoxb-2483-93716-Kq8vR2nWzLp")],
        ),
        (
            'curl -H "Authorization: Bearer 8c1f0b6e2d4a9f73c5e1b0d2a4f6e8c0"',
            [("SECRET", "8c1f0b6e2d4a9f73c5e1b0d2a4f6e8c0")],
        ),
        ('db = connect(password="Tr0ub4dor&3")', [("SECRET", "Tr0ub4dor&3")]),
        ("MYSQL_ROOT_PASSWORD=9vQ!x2Lm#r", [("SECRET", "9vQ!x2Lm#r")]),
    ],
)
def test_realistic_personal_data_is_found(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "See https://docs.python.org/3/library/re.html and www.wikipedia.org for details.",
        "Docs: https://example.com/search?q=tokens&page=2",
        "Write to john.doe@example.com or user@domain.com (placeholders).",
        "<script src='https://cdn.jsdelivr.net/npm/bootstrap@4.6.0/dist/js/bootstrap.min.js'>",
        "Set the router to 192.168.1.1, netmask 255.255.255.0, DNS 8.8.8.8 and ::1.",
        "snmpwalk ... enterprises.9.9.392.1.3.21.1.18 | awk",
        "Close 169.85, open 168.20, volume 19568100 on 2022-03-02.",
        "The answer is 0.96588254 and B_15 = 30031621.",
        "f(2) = 16 - 4 - 14 = -2",
        "binary_string = '10011000101100' and 1931851652578137/1000000000000000",
        "api_key = os.environ['OPENAI_API_KEY']",
        "password = getpass.getpass()",
        'OPENAI_API_KEY="YOUR_API_KEY" and password: "<your password>"',
        "token = tokenizer.encode(text); max_new_tokens=512",
        "Authorization: Bearer $GITHUB_TOKEN",
        "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is the shape of a key",
        "postgres://user:password@localhost/db",
        "",
    ],
)
def test_ordinary_technical_text_is_left_alone(text):
    assert found(text) == []


def test_redact_replaces_spans_and_reports_them_against_the_original_text():
    text = (
        "Hi, I'm Jana 👋: jana.novak@posteo.de, +49 151 23456789. "
        "Key: sk-ant-api03-Xy7Qk2LmNp4Rs6Tu8VwZ0aBc."
    )
    result = redact(text)

    assert result.text == "Hi, I'm Jana 👋: [EMAIL], [PHONE]. Key: [SECRET]."
    assert [(r.kind, text[r.start : r.end]) for r in result.redactions] == [
        ("EMAIL", "jana.novak@posteo.de"),
        ("PHONE", "+49 151 23456789"),
        ("SECRET", "sk-ant-api03-Xy7Qk2LmNp4Rs6Tu8VwZ0aBc"),
    ]
    assert result.counts == {"EMAIL": 1, "PHONE": 1, "SECRET": 1}


def test_a_url_with_a_password_is_one_redaction_not_an_email():
    text = "git clone https://deploy:Xk9mQ2v7@git.acme-corp.io/app.git now"
    result = redact(text)
    assert result.text == "git clone [URL_CREDENTIALS] now"
    assert result.counts == {"URL_CREDENTIALS": 1}


def test_hand_marked_spans_become_redacted_and_merge_with_finds():
    text = "Ask Petra Schmidt at petra@schmidt-family.de about it."
    name = (4, 17)
    around_email = (15, 30)  # overlaps the name and the start of the e-mail address
    result = redact(text, [name])
    assert result.text == "Ask [REDACTED] at [EMAIL] about it."
    assert result.counts == {"REDACTED": 1, "EMAIL": 1}

    merged = redact(text, [name, around_email])
    assert merged.text == "Ask [REDACTED] about it."
    assert merged.redactions == [Redaction(4, 44, "REDACTED")]
    assert redact("plain", []).text == "plain" and redact("plain").counts == {}


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([(5, 3)], "the hand-marked span 5-3 is outside the text"),
        ([(0, 99)], "the hand-marked span 0-99 is outside the text"),
        ([(-1, 2)], "the hand-marked span -1-2 is outside the text"),
        ([("a", "b")], "a hand-marked span must be two numbers, not ('a', 'b')"),
        ([(1,)], "a hand-marked span must be two numbers, not (1,)"),
    ],
)
def test_bad_hand_marked_spans_are_rejected(spans, message):
    with pytest.raises(InvalidInput) as caught:
        redact("some text", spans)
    assert caught.value.message == message


def test_offsets_are_characters_in_long_unicode_text():
    filler = "日本語と絵文字 🧪🧪 " * 10_000
    text = filler + "Kontakt: erika.musterfrau@web.de"
    started = time.perf_counter()
    result = redact(text)
    assert time.perf_counter() - started < 20
    assert result.text == filler + "Kontakt: [EMAIL]"
    [hit] = result.redactions
    assert text[hit.start : hit.end] == "erika.musterfrau@web.de"


def test_the_analyzer_is_built_once_even_when_threads_race(monkeypatch):
    built = []

    def slow_build():
        time.sleep(0.05)
        built.append(1)
        return object()

    monkeypatch.setattr(redaction, "_analyzer", None)
    monkeypatch.setattr(redaction, "_build_analyzer", slow_build)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(redaction.analyzer())) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and len({id(r) for r in results}) == 1


def test_detection_works_with_the_network_blocked():
    """A fresh interpreter with sockets disabled: building the analyzer and checking an e-mail
    domain (tldextract's public-suffix list) must not try to connect anywhere."""
    script = textwrap.dedent(
        """
        import socket
        attempts = []
        def refuse(*args, **kwargs):
            attempts.append(args)
            raise OSError("network is blocked in this test")
        socket.socket.connect = refuse
        socket.getaddrinfo = refuse
        socket.create_connection = refuse
        from arena.chats.redact import find_personal_data
        text = "mail jana.novak@posteo.co.uk or visit http://shop.example.org"
        hits = [(h.kind, text[h.start:h.end]) for h in find_personal_data(text)]
        assert hits == [("EMAIL", "jana.novak@posteo.co.uk")], hits
        assert attempts == [], attempts
        print("offline ok")
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "offline ok"
    assert "Public Suffix" not in completed.stderr

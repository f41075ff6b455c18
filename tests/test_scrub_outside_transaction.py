"""Detection runs before the write transaction opens, on every path that publishes chats: on
SQLite that transaction holds the write lock, and votes would wait behind a long scrub."""

import io
import json

import pytest

from arena.chats import redact as redaction
from arena.chats import scrub, sharing
from arena.core.db import UNIT_OF_WORK, unit_of_work
from arena.extensions import db
from tests.chat_exports import export, two_model_chat
from tests.conftest import csrf_token
from tests.factories import make_voter


@pytest.fixture
def detections(monkeypatch):
    """Each detection run, with whether a unit of work was open at that moment (the real
    detector still runs: this only watches it)."""
    seen: list[bool] = []
    real = redaction.find_personal_data

    def watched(text, *args, **kwargs):
        seen.append(bool(db.session.info.get(UNIT_OF_WORK)))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(redaction, "find_personal_data", watched)
    monkeypatch.setattr(scrub, "find_personal_data", watched)
    return seen


def test_the_api_scrubs_before_its_unit_of_work(app, api, detections):
    body = {"community": "coding", "licence": "CC0-1.0", "tags": ["python"], "notes": "n"}
    reply = api.post("/api/v1/chats", json={**body, "chats": json.loads(export(two_model_chat()))})
    assert reply.status_code == 201 and reply.get_json()["redactions"] == {"EMAIL": 1}
    assert detections and not any(detections)


def test_the_pages_scrub_before_their_units_of_work(app, browser_client, detections):
    csrf = csrf_token(browser_client, "/chats/new")
    upload = browser_client.post(
        "/chats/new",
        data={"file": (io.BytesIO(export(two_model_chat())), "e.json"), "csrf_token": csrf},
    )
    published = browser_client.post(
        upload.headers["Location"] + "/publish",
        data={
            "csrf_token": csrf,
            "community": "general",
            "licence": "CC0-1.0",
            "tags": "python",
            "notes": "call +44 20 7946 0958",
        },
    )
    assert published.status_code == 302
    assert detections and not any(detections)


def test_the_bulk_import_scrubs_before_its_unit_of_work(app, world, tmp_path, detections):
    runner = app.test_cli_runner()
    runner.invoke(args=["arena", "create-user", "bulk", "--password", "correct horse"])
    path = tmp_path / "chats.json"
    path.write_bytes(export(two_model_chat(), two_model_chat("Another", "Call +44 20 7946 0958")))
    args = ["arena", "import-chats", str(path), "--user", "bulk", "--community", "coding"]
    result = runner.invoke(args=[*args, "--tags", "python"])
    assert result.exit_code == 0 and "Published 2 chats" in result.output, result.output
    assert detections and not any(detections)


def test_publishing_a_prepared_upload_runs_no_detection(app, world, detections):
    """The write step only writes: everything it stores was scrubbed in `prepare`."""
    with app.app_context():
        user, _ = make_voter(db.session)
        options = sharing.SharingOptions("coding", "CC0-1.0", ["python"], "notes")
        prepared = sharing.prepare(export(two_model_chat()), options, user.share_key)
        scrubbing = len(detections)
        with unit_of_work(db.session):
            result = sharing.publish(db.session, user.id, prepared)
    assert result.published and scrubbing > 0 and len(detections) == scrubbing

"""The profile's token form: the creator picks scopes and a lifetime (tests/test_account_security.py
covers how the API enforces them)."""

import re
from datetime import timedelta

from sqlalchemy import select

from arena.core.clock import as_utc
from arena.extensions import db
from arena.models import ApiToken, utcnow
from tests.conftest import ApiClient, csrf_token

NEW_TOKEN = re.compile(r'id="new-token">[^:]*: (ca_[\w-]+)')


def create(client, **fields):
    data = {"label": "plugin", "csrf_token": csrf_token(client, "/profile"), **fields}
    return client.post("/profile/tokens", data=data)


def test_the_creator_picks_scopes_and_lifetime(app, browser_client):
    reply = create(browser_client, scopes=["read"], expires_days="7")
    assert reply.status_code == 201
    token = NEW_TOKEN.search(reply.get_data(as_text=True)).group(1)
    api = ApiClient(app.test_client(), token)
    assert api.get("/api/v1/me").status_code == 200
    assert api.post("/api/v1/battles").status_code == 403
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.scopes == "read"
        assert timedelta(days=6) < as_utc(row.expires_at) - utcnow() <= timedelta(days=7)
    profile = browser_client.get("/profile").get_data(as_text=True)
    assert "may read" in profile and "expires " in profile


def test_a_token_with_no_scope_or_a_bad_lifetime_is_refused(app, browser_client):
    assert create(browser_client, expires_days="90").status_code == 400  # no scope ticked
    assert create(browser_client, scopes=["vote"], expires_days="9999").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_a_label_only_request_gets_every_scope_for_90_days(app, browser_client):
    assert create(browser_client).status_code == 201
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.scopes == "read vote share"
        assert timedelta(days=89) < as_utc(row.expires_at) - utcnow() <= timedelta(days=90)

"""What the browser matrix shares: the two devices, a seeded site whose database the test can
write to, members made without the (rate-limited) sign-up form, and screenshots kept for people.
"""

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import app_environment, flask_run_command, running_server

PROJECT = Path(__file__).resolve().parent.parent
SCREENSHOTS = PROJECT / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"
DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {  # a phone as chromium emulates one: touch, zoom, device pixels
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 3,
    },
}


@dataclass(frozen=True)
class Site:
    url: str
    database: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The seeded site, served by the README's `flask run` for this module, and its database."""
    tmp = tmp_path_factory.mktemp("site")
    database = tmp / "arena.sqlite3"
    env = app_environment(DATABASE_URL=f"sqlite:///{database}", ARENA_AUTO_SETUP="1")
    with running_server(flask_run_command(), env, tmp / "server.log") as url:
        yield Site(url, database)


def create_member(site: Site, tmp_path: Path, role: str = "user", auditor_of: str = "") -> dict:
    """An account written straight into the site's database (the sign-up form allows 10 a
    minute per address); with an API token, and the auditor role in a community if asked."""
    from arena import create_app
    from arena.core import accounts
    from arena.core.db import unit_of_work
    from arena.extensions import db
    from arena.models import Community, CommunityRole
    from tests.conftest import app_config, close_app

    app = create_app(app_config(tmp_path, f"sqlite:///{site.database}"))
    username = f"{role}_{uuid.uuid4().hex[:8]}"
    with app.app_context(), unit_of_work(db.session):
        user = accounts.create_user(db.session, username, PASSWORD, role)
        user.publish_directly = True  # chats it shares through the API wait in the audit queue
        token = accounts.create_api_token(db.session, user)
        if auditor_of:
            db.session.flush()
            community = db.session.query(Community).filter_by(slug=auditor_of).one()
            db.session.add(
                CommunityRole(community_id=community.id, user_id=user.id, role="auditor")
            )
    close_app(app)
    return {"username": username, "token": token}


def logged_in_state(browser, site: Site, username: str) -> dict:
    """Cookies of a session logged in through the log-in form, for contexts of any device."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    state = context.storage_state()
    context.close()
    return state


def new_context(browser, device: str, state: dict | None = None):
    return browser.new_context(**DEVICES[device], storage_state=state)


def press(locator, device: str) -> None:
    """A tap on the phone, a click on the desktop."""
    if device == "phone":
        locator.tap()
    else:
        locator.click()


def script_errors(seen: dict) -> list[str]:
    """Errors from watch(page), less the browser's note on a form answered 400 with its errors."""
    refused = "the server responded with a status of 400"
    return [error for error in seen["errors"] if refused not in error]


def shoot(page, name: str, device: str) -> None:
    """Keep a full-page screenshot for people to look at (CI keeps test-artifacts/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{device}.png", full_page=True)

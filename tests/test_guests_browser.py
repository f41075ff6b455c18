"""Trying before signing up, in Debian's chromium at 1280 px and at 390 px with mobile emulation
(taps there): a visitor presses "Try a battle", votes with keys and with buttons, sees each
reveal, is invited to sign up after five votes, signs up and keeps its votes and points.

The site runs as `flask --app wsgi run` on a fresh seeded SQLite database, under rules whose
probation lasts 6 votes (tests/data/integrity_guests.json), so a guest may try 5 battles.
"""

import re
import uuid
from pathlib import Path

import pytest

from tests.browser_matrix import DEVICES
from tests.servers import app_environment, flask_run_command, running_server
from tests.test_browser import ARENA_URL, RESULT_URL, WIDTHS, browser, watch  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

GUEST_RULES = Path(__file__).parent / "data" / "integrity_guests.json"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guests")
    env = app_environment(
        DATABASE_URL=f"sqlite:///{tmp / 'arena.sqlite3'}",
        ARENA_AUTO_SETUP="1",
        ARENA_INTEGRITY_FILE=str(GUEST_RULES),
    )
    with running_server(flask_run_command(), env, tmp / "server.log") as url:
        yield url


@pytest.fixture(params=list(DEVICES))
def page(request, browser, base_url):  # noqa: F811 - the imported fixture
    context = browser.new_context(**DEVICES[request.param])
    page = context.new_page()
    page.seen = watch(page)
    page.device = request.param
    yield page
    context.close()


def press(page, locator) -> None:
    """A tap on the phone, a click on the desktop."""
    if page.device == "phone":
        locator.tap()
    else:
        locator.click()


def fits(page) -> None:
    content, screen = page.evaluate(WIDTHS)
    assert content <= screen, f"{page.url} is {content} px wide on a {screen} px screen"


def vote(page, number: int) -> None:
    """Vote on the battle shown: by key on the desktop's odd votes, else by its button."""
    page.locator("#answer-a").wait_for()
    assert page.locator("#guest-status").inner_text().startswith(f"Guest · {number - 1} of 5")
    if page.device == "desktop" and number % 2:
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("a")
    else:
        press(page, page.locator("#vote-form button[value=b]"))
    page.wait_for_url(RESULT_URL)
    invite = page.locator("#guest-invite")
    assert f"{number} of 5 votes" in invite.inner_text()
    assert page.locator(".model-a").inner_text().strip()  # the reveal names the models
    fits(page)


def test_a_visitor_tries_five_battles_then_signs_up_and_keeps_them(page, base_url):
    page.goto(base_url + "/")
    press(page, page.get_by_role("button", name="Try a battle"))
    page.wait_for_url(ARENA_URL)
    for number in range(1, 6):
        vote(page, number)
        press(page, page.locator("#next"))
        page.wait_for_url(ARENA_URL)
    invitation = page.locator("#guest-invitation")
    assert "Your 5 votes and" in invitation.inner_text()
    assert page.locator("#vote-form").count() == 0
    points = int(re.search(r"5 votes and (\d+) points", invitation.inner_text()).group(1))
    fits(page)
    press(page, page.locator("#guest-signup"))
    page.wait_for_url("**/signup")
    assert f"Your 5 votes and {points} points" in page.locator("#guest-keeps").inner_text()
    name = "tried_" + uuid.uuid4().hex[:8]
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", "correct horse battery")
    page.fill("input[name=confirm]", "correct horse battery")
    press(page, page.get_by_role("button", name="Sign up", exact=True))
    page.wait_for_url(ARENA_URL)
    assert f"Your 5 votes and {points} points are now yours." in page.content()
    assert name in page.locator("header").inner_text()
    assert page.locator("#guest-status").count() == 0
    page.locator("#answer-a").wait_for()  # a member votes on
    assert not page.seen["errors"], page.seen["errors"]


def test_the_arena_offers_a_visitor_a_try_and_the_sign_up_page_too(page, base_url):
    page.goto(base_url + "/arena")
    assert page.locator("#try-battle").is_visible()
    fits(page)
    page.goto(base_url + "/signup")
    press(page, page.locator("#try-battle"))
    page.wait_for_url(ARENA_URL)
    page.locator("#answer-a").wait_for()
    assert page.locator("#ask-needs-account").count() == 1  # asking runs models: members only
    page.goto(base_url + "/profile")
    page.wait_for_url(re.compile(r"/signup\?next=(/|%2F)profile$"))
    assert "That needs an account" in page.content()
    assert not page.seen["errors"], page.seen["errors"]

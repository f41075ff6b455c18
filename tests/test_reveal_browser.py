"""The reveal in Debian's chromium, at 1280 px and at 390 px with mobile emulation: back after a
vote and voting again shows the reveal; Enter on a focused link follows it; shortcuts can be off.
"""

import re
import uuid

import pytest

from tests.browser_matrix import DEVICES
from tests.test_browser import ARENA_URL, RESULT_URL, WIDTHS, base_url, browser, watch  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


@pytest.fixture(params=list(DEVICES))
def page(request, browser, base_url):  # noqa: F811 - the imported fixtures
    context = browser.new_context(**DEVICES[request.param])
    page = context.new_page()
    page.seen = watch(page)
    sign_up(page, base_url)
    yield page
    context.close()


def sign_up(page, base_url: str) -> None:  # noqa: F811
    page.goto(base_url + "/signup")
    page.fill("input[name=username]", "revealer_" + uuid.uuid4().hex[:8])
    page.fill("input[name=password]", "correct horse battery")
    page.fill("input[name=confirm]", "correct horse battery")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(ARENA_URL)


def vote_token(page) -> str:
    action = page.locator("#vote-form").get_attribute("action")
    return re.search(r"/arena/([^/]+)/vote", action).group(1)


def test_back_after_a_vote_and_voting_again_shows_the_reveal(page):
    """The page a browser's back button restores is the battle as it was before the vote.
    Playwright's chromium re-fetches on back instead of restoring it (a new battle), so the
    stale page is a second tab of the same battle, voted on from the first."""
    page.locator("#answer-a").wait_for()
    token = vote_token(page)
    stale = page.context.new_page()
    stale.goto(page.url)
    assert vote_token(stale) == token  # reloading serves the same open battle
    page.locator("#vote-form button[value=a]").click()
    page.wait_for_url(RESULT_URL)
    stale.locator("#vote-form button[value=b]").click()
    stale.wait_for_url(f"**/arena/{token}/result")
    assert "your first vote stands" in stale.content()
    assert "You voted: A is better" in stale.locator(".reveal").inner_text()  # the first vote
    assert stale.locator("#reveal-points").inner_text().count("Cast a blind vote") == 1
    content, screen = stale.evaluate(WIDTHS)
    assert content <= screen, f"the reveal is {content} px wide on a {screen} px screen"
    assert not page.seen["errors"], page.seen["errors"]


def test_enter_on_a_focused_link_of_the_reveal_follows_that_link(page):
    page.locator("#vote-form button[value=a]").click()
    page.wait_for_url(RESULT_URL)
    page.locator(".reveal a", has_text="Leaderboard").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/leaderboard**")
    page.go_back()
    page.wait_for_url(RESULT_URL)
    page.locator("body").focus()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("n")
    page.wait_for_url(ARENA_URL)


def test_with_shortcuts_off_pressing_a_does_nothing(page):
    page.locator("#answer-a").wait_for()
    toggle = page.locator("#shortcuts-toggle")
    assert toggle.is_checked()
    toggle.uncheck()
    page.reload()  # remembered across pages
    page.locator("#answer-a").wait_for()
    assert not page.locator("#shortcuts-toggle").is_checked()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("a")
    page.keyboard.press("1")
    page.wait_for_timeout(500)
    assert ARENA_URL.search(page.url), f"a key voted with shortcuts off: {page.url}"
    page.locator("#shortcuts-toggle").check()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("a")
    page.wait_for_url(RESULT_URL)

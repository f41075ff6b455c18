"""Flagging from the battle page in Debian's chromium: the form opens, posts, and the battle is
still voted by keyboard afterwards; no script error under the site's CSP."""

import pytest

from tests.test_browser import (  # noqa: F401 - fixtures of the browser test
    ARENA_URL,
    LOCAL_HOSTS,
    base_url,
    browser,
    sign_up,
    vote_with_key,
    watch,
)

pytestmark = pytest.mark.browser
MOST_VOTES = 30  # one point a vote (and a few for discoveries): 15 unlock flagging


def earn_flagging(page) -> None:
    """Vote by keyboard until the battle page offers the flag form."""
    for _ in range(MOST_VOTES):
        page.locator("#answer-a").wait_for()
        if page.locator("#flag-form").count():
            return
        assert (
            "Flag content for review unlocks at 15 points" in page.locator("#flag").text_content()
        )
        vote_with_key(page, "t")
        page.keyboard.press("n")
        page.wait_for_url(ARENA_URL)
    pytest.fail(f"no flag form after {MOST_VOTES} votes")


def test_flag_an_answer_from_the_battle_page_then_vote(browser, base_url):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    seen = watch(page)
    sign_up(page, base_url)
    earn_flagging(page)
    before = page.locator("#answer-b .markdown").inner_text()
    page.locator("#flag summary").click()
    page.select_option("#flag-side", "b")
    page.select_option("#flag-reason", "wrong")
    page.fill("#flag-note", "The second step is wrong.")
    page.get_by_role("button", name="Send flag").click()
    page.wait_for_url("**/arena/battles/*")
    assert "Flag sent to the moderators" in page.locator(".flash").inner_text()
    assert page.locator("#answer-b .markdown").inner_text() == before  # the same battle
    assert page.locator("#flag-side option[value=b]").is_disabled()
    assert "you flagged answer B" in page.locator("#flagged").inner_text()
    vote_with_key(page, "a")  # still votable, by keyboard
    assert page.locator("#flag-form").count() == 1  # offered again on the reveal
    assert not seen["errors"], f"console errors: {seen['errors']}"
    assert seen["hosts"] <= LOCAL_HOSTS, f"requests left localhost: {seen['hosts']}"
    context.close()

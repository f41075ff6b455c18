"""A badge earned while the site is open in a tab: the live toast in Debian's chromium shows the
badge's icon from static/icons/badges.svg (drawn under the site's CSP, hidden from assistive
technology) beside the badge's name. One sign-up."""

import pytest

from tests.test_browser import (  # noqa: F401 - fixtures of the browser test
    base_url,
    browser,
    sign_up,
    watch,
)

pytestmark = pytest.mark.browser
ICON_DRAWN = """() => {
  const use = document.querySelector("#toasts .toast svg.badge-icon use");
  return use !== null && use.getBBox().width > 0;
}"""


def test_a_live_badge_toast_draws_the_icon_beside_the_name(browser, base_url):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    seen = watch(page)
    sign_up(page, base_url)
    page.goto(base_url + "/people")
    page.wait_for_function(
        "() => document.getElementById('live-status').textContent !== ''", polling=100
    )
    # Vote through the API with this browser's session, as a chat plug-in would: the badge
    # reaches the open tab only as a Socket.IO event.
    headers = {"X-CSRFToken": page.locator('meta[name="csrf-token"]').get_attribute("content")}
    battle = page.request.post(base_url + "/api/v1/battles", data={}, headers=headers)
    assert battle.ok, battle.text()
    vote_url = f"{base_url}/api/v1/battles/{battle.json()['token']}/vote"
    assert page.request.post(vote_url, data={"choice": "a"}, headers=headers).ok
    page.wait_for_function(ICON_DRAWN, polling=100, timeout=5000)  # before the toast fades
    toast = page.locator("#toasts .toast").first
    icon = toast.locator("svg.badge-icon")
    assert (icon.get_attribute("aria-hidden"), icon.get_attribute("focusable")) == ("true", "false")
    assert icon.locator("use").get_attribute("href") == "/static/icons/badges.svg#badge-first-vote"
    assert toast.locator("strong").inner_text().strip() == "First Vote"
    assert "bronze" in toast.inner_text()
    assert seen["errors"] == []
    context.close()

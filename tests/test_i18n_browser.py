"""In Debian's chromium at 390 px and 1280 px: 中文 in the menu turns the arena page and the
scripts' own sentences (the shortcut toggle's status, the live status, the live feed) into
Chinese."""

import pytest
from playwright.sync_api import expect

from tests.browser_matrix import DEVICES
from tests.test_browser import base_url, browser, watch  # noqa: F401 - fixtures
from tests.test_dead_ends_browser import vote_once
from tests.test_reveal_browser import sign_up

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("device", list(DEVICES))
def test_switching_to_chinese_from_the_menu(browser, base_url, device):  # noqa: F811
    context = browser.new_context(**DEVICES[device])
    page = context.new_page()
    seen = watch(page)
    sign_up(page, base_url)
    page.locator("#answer-a").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    assert page.url.rstrip("/").endswith("/arena") or "/arena?" in page.url
    assert "A 更好" in page.locator("#vote-form").inner_text()
    page.locator("#shortcuts-toggle").uncheck()
    expect(page.locator("#shortcuts-status")).to_have_text("单键快捷键已关闭。")
    page.goto(base_url + "/leaderboard")
    expect(page.locator("#live-status")).to_have_text("实时：有新投票时自动更新。")
    assert page.get_by_role("button", name="English").is_visible()
    assert not seen["errors"], seen["errors"]
    context.close()


def test_the_live_feed_tells_of_a_badge_in_the_readers_language(browser, base_url):  # noqa: F811
    context = browser.new_context(**DEVICES["desktop"])
    context.add_cookies([{"name": "lang", "value": "zh", "url": base_url}])
    page = context.new_page()
    seen = watch(page)
    page.goto(base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    page.wait_for_timeout(1500)  # the socket connects
    vote_once(browser, base_url)  # a newcomer's first vote earns a bronze badge
    newest = page.locator("#activity-feed li").first
    expect(newest).to_contain_text("有人获得了铜牌徽章", timeout=10_000)
    assert "Someone" not in newest.inner_text()
    assert not seen["errors"], seen["errors"]
    context.close()

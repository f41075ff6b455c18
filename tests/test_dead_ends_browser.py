"""In chromium at 1280 px and at 390 px with mobile emulation: withdrawing a shared chat asks
first, and the home page shows recent votes on first paint, then live ones."""

import re
import uuid
from urllib.parse import urlsplit

import pytest

from tests.chat_exports import export, two_model_chat
from tests.test_browser import (  # noqa: F401 - fixtures of the browser test
    ARENA_URL,
    VIEWPORTS,
    WIDTHS,
    base_url,
    browser,
    shoot,
    vote_with_key,
    watch,
)

pytestmark = pytest.mark.browser
DEVICES = ("desktop", "phone")


def new_context(browser, device: str):  # noqa: F811
    if device == "phone":  # a phone as chromium emulates one: touch, zoom, device pixels
        return browser.new_context(
            viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True, device_scale_factor=3
        )
    return browser.new_context(viewport=VIEWPORTS["desktop"])


def sign_up_directly(page, base_url: str) -> None:  # noqa: F811
    page.goto(base_url + "/signup")
    page.fill("input[name=username]", "member_" + uuid.uuid4().hex[:8])
    for field in ("password", "confirm"):
        page.fill(f"input[name={field}]", "correct horse battery")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(lambda url: "/signup" not in url)


def share_one_chat(page, base_url: str, tmp_path, question: str) -> None:  # noqa: F811
    upload = tmp_path / "export.json"
    upload.write_bytes(export(two_model_chat("Bread", question)))
    page.goto(base_url + "/chats/new")
    page.set_input_files("#file", str(upload))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url("**/chats/drafts/*")
    page.select_option("#community", "general")
    page.get_by_role("button", name=re.compile("Publish")).click()
    page.wait_for_url("**/chats")


def fits_the_screen(page) -> None:
    content, viewport = page.evaluate(WIDTHS)
    assert content <= viewport, f"{content} px wide on a {viewport} px screen"


@pytest.mark.parametrize("device", DEVICES)
def test_withdrawing_a_chat_asks_for_confirmation_first(browser, base_url, tmp_path, device):  # noqa: F811
    from playwright.sync_api import expect

    context = new_context(browser, device)
    page = context.new_page()
    seen = watch(page)
    sign_up_directly(page, base_url)
    question = f"Why does my rye loaf {uuid.uuid4().hex[:6]} not rise?"
    share_one_chat(page, base_url, tmp_path, question)

    delete = page.get_by_role("button", name="Withdraw and delete the text")
    expect(delete).to_be_hidden()
    page.get_by_role("link", name="Withdraw…").click()
    expect(delete).to_be_visible()
    expect(delete).to_be_in_viewport()
    shoot(page, f"withdraw-confirm-{device}")
    delete.click()  # the box is not ticked: the browser refuses to send the form
    expect(page.get_by_role("checkbox")).to_be_visible()
    assert urlsplit(page.url).path == "/chats"
    assert question in page.request.get(base_url + "/api/v1/chats").text()

    page.get_by_label(re.compile("I understand the text is deleted for good")).check()
    delete.click()
    expect(page.locator(".flash.success")).to_contain_text("Withdrawn")
    assert question not in page.request.get(base_url + "/api/v1/chats").text()
    fits_the_screen(page)
    assert not seen["errors"], seen["errors"]
    context.close()


def vote_once(browser, base_url: str) -> None:  # noqa: F811
    """A newcomer's first vote, in a desktop context of its own (it earns a badge too)."""
    context = new_context(browser, "desktop")
    page = context.new_page()
    sign_up_directly(page, base_url)
    page.goto(base_url + "/arena")
    page.wait_for_url(ARENA_URL)
    vote_with_key(page, "a")
    context.close()


@pytest.mark.parametrize("device", DEVICES)
def test_the_home_page_shows_the_arena_alive(browser, base_url, device):  # noqa: F811
    from playwright.sync_api import expect

    vote_once(browser, base_url)
    context = new_context(browser, device)
    page = context.new_page()
    seen = watch(page)
    page.goto(base_url + "/")
    feed = page.locator("#activity-feed li:visible")
    expect(feed.first).to_contain_text(re.compile(r"Someone voted in \w+ · (just now|\d+ min ago)"))
    expect(page.locator(".feed-placeholder")).to_be_hidden()
    expect(page.locator("#top-models tbody tr").first).to_be_visible()
    expect(page.locator("#top-models tbody tr td a").first).to_be_visible()
    expect(page.locator(".communities a[href^='/communities/']").first).to_be_visible()
    fits_the_screen(page)
    shoot(page, f"home-{device}")

    page.evaluate("() => { window.notReloaded = true; }")
    page.wait_for_timeout(1500)  # the socket connects; the home page shows no sign of it
    vote_once(browser, base_url)
    newest = page.locator("#activity-feed li").first
    expect(newest).to_contain_text("Someone earned", timeout=10_000)
    assert page.evaluate("() => window.notReloaded === true"), "the home page reloaded"
    assert not seen["errors"], seen["errors"]
    context.close()

"""The main journeys in Debian's chromium at 1280 px and at 390 px with mobile emulation (taps):
sign-up (errors tied to their fields), a vote by keys and one by buttons, a skip, saving the
profile, creating an API token, and the upload preview with hand redaction by keyboard only.
Withdrawing (tests/test_dead_ends_browser.py) and the reveal (tests/test_reveal_browser.py) are
covered at both widths there. Members other than the sign-up's own are written into the
database: the site allows 10 sign-ups a minute per address."""

import json
import re
import uuid

import pytest

from tests.browser_matrix import (
    DEVICES,
    PASSWORD,
    create_member,
    logged_in_state,
    new_context,
    press,
    script_errors,
    shoot,
    site,  # noqa: F401 - the module's server
)
from tests.chat_exports import export, two_model_chat
from tests.test_browser import (  # noqa: F401 - fixtures
    ARENA_URL,
    LOCAL_HOSTS,
    RESULT_URL,
    WIDTHS,
    browser,
    watch,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def members(browser, site, tmp_path_factory):  # noqa: F811
    """One logged-in member per device, so flows on one device never see the other's votes."""
    found = {}
    for device in DEVICES:
        member = create_member(site, tmp_path_factory.mktemp("member"))
        member["state"] = logged_in_state(browser, site, member["username"])
        found[device] = member
    return found


@pytest.fixture(params=list(DEVICES))
def device(request):
    return request.param


@pytest.fixture
def page(browser, site, members, device):  # noqa: F811
    """A page of the device's member, checked after the test for script errors and for
    requests leaving localhost, and for fitting the screen."""
    context = new_context(browser, device, members[device]["state"])
    page = context.new_page()
    page.seen = watch(page)
    yield page
    content, screen = page.evaluate(WIDTHS)
    context.close()
    assert content <= screen, f"{content} px wide on a {screen} px screen"
    assert not script_errors(page.seen), page.seen["errors"]
    assert page.seen["hosts"] <= LOCAL_HOSTS, page.seen["hosts"]


def described_by(locator) -> str:
    """The text of the elements a field's aria-describedby names, as a screen reader reads it."""
    return locator.evaluate(
        """el => (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
              .map(id => document.getElementById(id).textContent.trim()).join(' | ')"""
    )


def test_sign_up_ties_each_error_to_its_field(browser, site, device):  # noqa: F811
    from playwright.sync_api import expect

    context = new_context(browser, device)
    page = context.new_page()
    seen = watch(page)
    page.goto(site.url + "/signup")
    password = page.locator("input[name=password]")
    assert "hard to guess" in described_by(password)  # the rules, before any mistake
    page.fill("input[name=username]", "joiner_" + uuid.uuid4().hex[:8])
    password.fill(PASSWORD)
    page.fill("input[name=confirm]", PASSWORD + " typo")
    press(page.get_by_role("button", name="Sign up"), device)
    confirm = page.locator("input[name=confirm]")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    assert "differ" in described_by(confirm), described_by(confirm)
    expect(password).not_to_have_attribute("aria-invalid", "true")
    shoot(page, "signup-errors", device)

    password.fill(PASSWORD)
    confirm.fill(PASSWORD)
    press(page.get_by_role("button", name="Sign up"), device)
    page.wait_for_url(ARENA_URL)
    expect(page.locator("#answer-a")).to_be_visible()
    assert not script_errors(seen), seen["errors"]
    context.close()


def test_vote_with_keys_whose_help_and_switch_are_announced(page, site, device):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(site.url + "/arena")
    page.keyboard.press("Tab")  # the first stop skips the navigation
    skip = page.locator(":focus")
    expect(skip).to_have_class("skip-link")
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("main")
    better_b = page.locator("#vote-form button[value=b]")
    expect(better_b).to_have_attribute("aria-keyshortcuts", "b 2")
    assert "Shortcuts:" in described_by(better_b)
    status = page.locator("#shortcuts-status")
    toggle = page.locator("#shortcuts-toggle")
    press(toggle, device)
    expect(status).to_have_text(re.compile("off"))
    expect(better_b).not_to_have_attribute("aria-keyshortcuts", re.compile("."))
    press(toggle, device)
    expect(status).to_have_text(re.compile("on"))
    expect(better_b).to_have_attribute("aria-keyshortcuts", "b 2")

    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("2")  # B is better
    page.wait_for_url(RESULT_URL)
    expect(page.locator(".reveal")).to_contain_text("You voted: B is better")
    expect(page.locator(".model-b")).not_to_be_empty()
    page.keyboard.press("n")
    page.wait_for_url(ARENA_URL)


def test_vote_with_buttons_which_an_open_board_announces(page, site, device):  # noqa: F811
    from playwright.sync_api import expect

    board = page.context.new_page()
    board.goto(site.url + "/leaderboard")
    expect(board.locator("#live-status")).to_have_attribute("role", "status")
    expect(board.locator("#live-status")).to_contain_text("Live")
    page.goto(site.url + "/arena")
    press(page.get_by_role("button", name=re.compile("^Tie")), device)
    page.wait_for_url(RESULT_URL)
    expect(page.locator(".reveal")).to_contain_text("You voted: Tie")
    news = board.locator("#board-news")
    expect(news).to_have_attribute("role", "status")
    expect(news).to_contain_text("new votes", timeout=10_000)
    board.close()
    press(page.get_by_role("link", name=re.compile("Next battle")), device)
    page.wait_for_url(ARENA_URL)
    expect(page.locator("#answer-a")).to_be_visible()


def test_skip_serves_another_battle(page, site, device):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(site.url + "/arena")
    token = page.locator("#vote-form").get_attribute("action")
    press(page.get_by_role("button", name=re.compile("^Skip")), device)
    page.wait_for_url(ARENA_URL)
    expect(page.get_by_role("status").filter(has_text="Skipped")).to_be_visible()
    assert page.locator("#vote-form").get_attribute("action") != token


def test_profile_save_ties_errors_to_the_field(page, site, device):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(site.url + "/profile")
    name = page.get_by_label("Public display name")
    name.fill("<b>Ada</b>")
    press(page.get_by_role("button", name="Save"), device)
    expect(name).to_have_attribute("aria-invalid", "true")
    assert "only" in described_by(name), described_by(name)
    shoot(page, "profile-errors", device)

    chosen = f"Ada {device}"
    name.fill(chosen)
    press(page.get_by_role("button", name="Save"), device)
    expect(page.get_by_role("status").filter(has_text="Profile saved")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(chosen)
    expect(page.get_by_label("Public display name")).not_to_have_attribute("aria-invalid", "true")


def test_create_an_api_token_that_works(page, site, device):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(site.url + "/profile")
    label = f"script-{device}"
    page.get_by_label("Token label").fill(label)
    page.locator("input[name=scopes][value=vote]").uncheck()
    page.select_option("#token-expiry", "30")
    press(page.get_by_role("button", name="Create token"), device)
    shown = page.locator("#new-token")
    expect(shown).to_be_visible()
    secret = shown.inner_text().rsplit(" ", 1)[-1]
    expect(page.locator(".tokens li", has_text=label)).to_contain_text("may read")
    reply = page.request.get(site.url + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert reply.ok, (reply.status, reply.text())


HAND_REDACTED = "Quistbury"


def test_upload_preview_redacts_by_keyboard_alone(page, site, tmp_path, device):  # noqa: F811
    """Hand redaction without a mouse: type the text, press Enter; undo one by keyboard."""
    from playwright.sync_api import expect

    where = f"{HAND_REDACTED} bakery flat on a {device}"
    question = f"Why is my starter from the {where}? (bob@contoso-mail.org)"
    upload = tmp_path / "export.json"
    upload.write_bytes(export(two_model_chat(f"Starter {uuid.uuid4().hex[:6]}", question)))
    page.goto(site.url + "/chats/new")
    page.set_input_files("#file", str(upload))
    press(page.get_by_role("button", name="Preview"), device)
    page.wait_for_url("**/chats/drafts/*")
    expect(page.locator("mark.pii[title=EMAIL]")).to_have_text("[EMAIL]")
    draft = page.url

    box = page.get_by_label("Text to redact")
    for typed in ("quistbury", "starter", "no such words"):
        box.focus()
        page.keyboard.type(typed)
        page.keyboard.press("Enter")  # redacts; must not publish the form around the box
    status = page.locator("#manual-count")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_contain_text("does not appear")
    assert page.url == draft, "Enter in the redaction box published the chat"
    marked = page.locator("#manual-list li")
    expect(marked).to_have_count(2)
    expect(marked.first).to_contain_text(f"“{HAND_REDACTED}” in message 1")
    note = page.locator("mark.pii.manual .redaction-note").first
    expect(note).to_have_text(re.compile("Redacted by hand"))
    shoot(page, "upload-preview", device)

    page.get_by_role("button", name="Undo the redaction of “starter”").focus()
    page.keyboard.press("Enter")
    expect(marked).to_have_count(1)
    expect(status).to_contain_text("no longer redacted")
    spans = json.loads(page.locator("#manual").input_value())
    assert [len(found) for found in spans.values()] == [1], spans

    page.select_option("#community", "general")
    press(page.get_by_role("button", name=re.compile("Publish")), device)
    page.wait_for_url("**/chats")
    mine = page.request.get(site.url + "/api/v1/chats").json()["chats"]
    stored = next(c for c in mine if "bakery" in c["messages"][0]["content"])
    text = stored["messages"][0]["content"]
    assert text == f"Why is my starter from the [REDACTED] bakery flat on a {device}? ([EMAIL])"

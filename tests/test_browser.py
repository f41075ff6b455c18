"""End-to-end tests in Debian's chromium: a newcomer votes by keyboard; the leaderboard is live.

The site runs as `flask --app wsgi run` on a fresh SQLite database (migrated and seeded on start).
"""

import itertools
import os
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.chat_exports import export, two_model_chat
from tests.servers import app_environment, flask_run_command, running_server

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
CHROMIUM_ARGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
ARENA_URL = re.compile(r"/arena(\?.*)?$")  # a battle page, any community
RESULT_URL = re.compile(r"/arena/[^/]+/result$")  # the reveal of a vote


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """The seeded site, served by the README's `flask run` in a subprocess for this module."""
    tmp = tmp_path_factory.mktemp("browser")
    env = app_environment(DATABASE_URL=f"sqlite:///{tmp / 'arena.sqlite3'}", ARENA_AUTO_SETUP="1")
    with running_server(flask_run_command(), env, tmp / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Headless chromium from Debian (Playwright cannot download browsers here)."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def watch(page) -> dict:
    """Collect console errors, uncaught exceptions and the host of every request the page makes."""
    seen = {"errors": [], "hosts": set()}

    def on_console(msg):
        if msg.type == "error":
            seen["errors"].append(f"{msg.text} at {msg.location.get('url')}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("request", lambda request: seen["hosts"].add(urlsplit(request.url).hostname))
    return seen


def leaderboard_json(page, base_url: str) -> dict:
    response = page.request.get(base_url + "/api/v1/leaderboard")
    assert response.ok, response.status
    return response.json()


def total_votes(board: dict) -> int:
    return sum(row["votes"] for row in board["models"])


def sign_up(page, base_url: str) -> str:
    """Newcomer path: home -> Start voting -> sign-up page -> /arena."""
    username = "newcomer_" + uuid.uuid4().hex[:8]
    page.goto(base_url + "/")
    page.get_by_role("link", name="Start voting").click()
    page.wait_for_url("**/signup**")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct horse battery")
    page.fill("input[name=confirm]", "correct horse battery")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(ARENA_URL)
    return username


def vote_with_key(page, key: str) -> tuple[str, str]:
    """On a battle page, vote by pressing key; return the (A, B) model names the result reveals."""
    page.locator("#answer-a").wait_for()
    page.locator("#answer-b").wait_for()
    html_before = page.content()
    page.keyboard.press(key)
    page.wait_for_url("**/arena/*/result")
    names = (
        page.locator(".model-a").inner_text().strip(),
        page.locator(".model-b").inner_text().strip(),
    )
    assert all(names), f"the result page shows no model names: {names}"
    leaked = [name for name in names if name in html_before]
    assert not leaked, f"the battle page revealed {leaked} before the vote"
    return names


def test_newcomer_votes_ten_times_by_keyboard(browser, base_url):
    """Sign up from the home page, vote ten times with keys only, and see the board move."""
    context = browser.new_context()
    page = context.new_page()
    seen = watch(page)
    before = total_votes(leaderboard_json(page, base_url))
    sign_up(page, base_url)
    revealed = set()
    for number, key in enumerate(itertools.islice(itertools.cycle("abtx"), 10)):
        revealed.update(vote_with_key(page, key))
        if number == 0:  # the first vote earns a badge, shown as a toast on the result page
            assert "First Vote" in page.locator("#toasts").inner_text()
        if number == 9:  # Warming Up takes 25 votes (seeds/gamification): the reveal shows 10 of 25
            assert "Warming Up" in page.locator("#reveal-badges").inner_text()
        if number < 9:
            page.keyboard.press("n")
            page.wait_for_url(ARENA_URL)
    assert total_votes(leaderboard_json(page, base_url)) == before + 20
    page.goto(base_url + "/leaderboard")
    ranked = page.locator("#leaderboard tbody tr td:nth-child(2)").all_inner_texts()
    preliminary = page.locator("#preliminary tbody tr td:nth-child(1)").all_inner_texts()
    shown = set(ranked) | set(preliminary)  # under 50 votes a model is listed as preliminary
    assert revealed <= shown, f"missing from the leaderboard: {revealed - shown}"
    assert not seen["errors"], f"console errors: {seen['errors']}"
    assert seen["hosts"] <= LOCAL_HOSTS, f"requests left localhost: {seen['hosts']}"
    context.close()


# Votes per model over the ranked and the preliminary tables (each vote counts for two models).
TABLE_TOTAL = """() => [...document.querySelectorAll(
      '#leaderboard tbody tr td:nth-child(5), #preliminary tbody tr td:nth-child(4)')]
    .reduce((sum, td) => sum + Number(td.textContent), 0)"""


def test_leaderboard_updates_live(browser, base_url):
    """A vote cast in another context changes the open leaderboard without a reload."""
    watcher = browser.new_context()
    board = watcher.new_page()
    seen = watch(board)
    board.goto(base_url + "/leaderboard")
    board.wait_for_function(
        "() => document.getElementById('live-status').textContent.includes('Live')"
    )
    board.evaluate("() => { window.notReloaded = true; }")
    total_before = board.evaluate(TABLE_TOTAL)

    voter = browser.new_context()
    page = voter.new_page()
    sign_up(page, base_url)
    vote_with_key(page, "a")

    board.wait_for_function(f"() => ({TABLE_TOTAL})() === {total_before + 2}", timeout=10_000)
    assert board.evaluate("() => window.notReloaded === true"), "the leaderboard page reloaded"
    assert not seen["errors"], f"console errors on the leaderboard: {seen['errors']}"
    assert seen["hosts"] <= LOCAL_HOSTS, f"requests left localhost: {seen['hosts']}"
    voter.close()
    watcher.close()


VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
WIDTHS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


SIDEWAYS = ("/arena", "/leaderboard", "/people", "/prompts", "/chats", "/profile", "/")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_no_page_scrolls_sideways(browser, base_url, device):
    context = browser.new_context(viewport=VIEWPORTS[device])
    page = context.new_page()
    sign_up(page, base_url)
    too_wide = {}
    for path in SIDEWAYS:
        page.goto(base_url + path)
        content, viewport = page.evaluate(WIDTHS)
        if content > viewport:
            too_wide[path] = content
    context.close()
    assert not too_wide, f"wider than the {VIEWPORTS[device]['width']} px screen: {too_wide}"


WIDE_CODE = """document.querySelector('#answer-a .markdown').insertAdjacentHTML('beforeend',
  '<pre><code>' + 'x'.repeat(400) + '</code></pre>')"""


def test_a_wide_code_block_scrolls_inside_its_answer(browser, base_url):
    """Whatever a served answer holds: a seeded answer with a long code line once made the
    battle page 1,309 px wide on a phone (a grid track grew to its content's width). One
    sign-up for both widths: the site allows 10 sign-ups a minute per address."""
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    page = context.new_page()
    sign_up(page, base_url)
    page.locator("#answer-a").wait_for()
    page.evaluate(WIDE_CODE)
    too_wide = {}
    for device in ("phone", "desktop"):
        page.set_viewport_size(VIEWPORTS[device])
        content, viewport = page.evaluate(WIDTHS)
        if content > viewport:
            too_wide[device] = (content, viewport)
    context.close()
    assert not too_wide, f"(page, screen) widths: {too_wide}"


def test_an_ordinary_battle_shows_no_live_answer_panels(browser, base_url):
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    sign_up(page, base_url)
    page.locator("#answer-a").wait_for()
    hidden = page.locator("#live-answers").is_hidden()
    context.close()
    assert hidden, "the live-answer panels of 'Ask your own' show on an ordinary battle"


def box(page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found, f"{selector} is not laid out"
    return found


def shoot(page, name: str) -> None:
    """Keep a full-page screenshot in test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.mark.parametrize("device", sorted(VIEWPORTS))
def test_pages_show_what_they_must_on_desktop_and_phone(browser, base_url, device):
    """The arena, a result and the leaderboard: what each must show, and the answers side by
    side on a desktop, stacked on a phone; the screenshots are kept in test-artifacts/."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORTS[device])
    page = context.new_page()
    seen = watch(page)
    sign_up(page, base_url)

    expect(page.locator(".prompt .turn.user")).to_be_visible()
    for side in "ab":
        expect(page.locator(f"#answer-{side} h2")).to_have_text(f"Answer {side.upper()}")
        expect(page.locator(f"#answer-{side} .markdown")).not_to_be_empty()
    for label in ("A is better", "B is better", "Tie", "Both are bad"):
        expect(page.get_by_role("button", name=re.compile(label))).to_be_visible()
    a, b = box(page, "#answer-a"), box(page, "#answer-b")
    if device == "desktop":
        assert a["x"] + a["width"] <= b["x"] and a["y"] == b["y"], (a, b)  # side by side
    else:
        assert a["y"] + a["height"] <= b["y"], (a, b)  # stacked, A first
    shoot(page, f"arena-{device}")

    names = vote_with_key(page, "b")
    for side, name in zip("ab", names, strict=True):
        expect(page.locator(f".model-{side}")).to_be_visible()
        expect(page.locator(f"#answer-{side} .model-name")).to_have_text(name)
    expect(page.locator("#toasts .toast").first).to_contain_text("First Vote")
    expect(page.locator("#next")).to_be_visible()
    shoot(page, f"result-{device}")

    page.goto(base_url + "/leaderboard")
    expect(page.get_by_role("heading", name="Model leaderboard")).to_be_visible()
    expect(page.locator("#leaderboard thead")).to_be_visible()
    expect(page.locator("#leaderboard tbody tr td a").first).to_be_visible()
    assert page.locator("#leaderboard tbody tr").count() >= 2
    shoot(page, f"leaderboard-{device}")
    assert not seen["errors"], f"console errors: {seen['errors']}"
    context.close()


SELECT_TEXT = """([needle]) => {
    const box = [...document.querySelectorAll('.message-text')]
        .find(el => el.textContent.includes(needle));
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
        const at = node.textContent.indexOf(needle);
        if (at >= 0) {
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + needle.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return true;
        }
    }
    return false;
}"""


def test_share_a_chat_with_hand_redaction(browser, base_url, tmp_path):
    """Upload an export, see the e-mail highlighted, redact a place by hand, publish."""
    question = "🍞 Why is my starter from the Quistbury bakery flat? (bob@contoso-mail.org)"
    chat = two_model_chat("Sourdough", question)
    upload = tmp_path / "export.json"
    upload.write_bytes(export(chat))
    context = browser.new_context()
    page = context.new_page()
    seen = watch(page)
    sign_up(page, base_url)
    page.goto(base_url + "/chats/new")
    page.set_input_files("#file", str(upload))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url("**/chats/drafts/*")
    assert page.locator("mark.pii[title=EMAIL]").inner_text() == "[EMAIL]"
    assert page.evaluate(SELECT_TEXT, ["Quistbury"])
    page.get_by_role("button", name="Redact selection").click()
    assert "1 hand-marked" in page.locator("#manual-count").inner_text()
    page.select_option("#community", "general")
    page.get_by_role("button", name=re.compile("Publish")).click()
    page.wait_for_url("**/chats")
    assert "Published 1 new chat(s) with 1 new blind pair(s)." in page.content()
    shared = page.request.get(base_url + "/api/v1/chats").json()
    stored = shared["chats"][0]["messages"][0]["content"]
    assert stored == "🍞 Why is my starter from the [REDACTED] bakery flat? ([EMAIL])"
    assert not seen["errors"], seen["errors"]
    context.close()


def test_ask_your_own_streams_both_answers_then_votes(browser, base_url):
    """Embedded models answer a custom prompt side by side, blind; the vote reveals them."""
    context = browser.new_context()
    page = context.new_page()
    seen = watch(page)
    sign_up(page, base_url)
    page.locator("#ask summary").click()
    page.fill("#ask-prompt", "Give me one tip for learning to cook.")
    page.select_option("#ask-community", "general")
    page.get_by_role("button", name="Ask both models").click()
    page.wait_for_function(
        "() => document.getElementById('live-a').textContent.length > 0"
        " && document.getElementById('live-b').textContent.length > 0",
        timeout=60_000,
    )
    page.wait_for_url("**/arena/battles/*", timeout=60_000)
    html = page.content()
    names = vote_with_key(page, "a")
    assert all(name.startswith("SmolLM2") for name in names), names
    assert not [name for name in names if name in html]
    assert not seen["errors"], seen["errors"]
    context.close()

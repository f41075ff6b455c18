"""axe-core (tests/vendor/axe-core) on the main pages in Debian's chromium, at 1280 px and at
390 px with mobile emulation: no serious or critical violation anywhere. Each page is also kept as
a full-page screenshot in test-artifacts/screenshots/<page>-<desktop|phone>.png."""

import json
import re
from pathlib import Path

import pytest

from tests.browser_matrix import (
    DEVICES,
    create_member,
    logged_in_state,
    new_context,
    script_errors,
    shoot,
    site,  # noqa: F401 - the module's server
)
from tests.chat_exports import export, two_model_chat
from tests.test_browser import browser, watch  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    where: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""
PUBLIC = {
    "home": "/",
    "leaderboard": "/leaderboard",
    "people": "/people",
    "communities": "/communities",
    "community": "/communities/general",
    "prompts": "/prompts",
    "signup": "/signup",
    "login": "/login",
}


@pytest.fixture(scope="module")
def people(browser, site, tmp_path_factory):  # noqa: F811
    """A member, an auditor of general and an admin, logged in; the member's chat waits in
    general's audit queue, so the auditor has something to review."""
    found = {}
    for role, options in {
        "member": {},
        "auditor": {"auditor_of": "general"},
        "admin": {"role": "admin"},
    }.items():
        account = create_member(site, tmp_path_factory.mktemp(role), **options)
        account["state"] = logged_in_state(browser, site, account["username"])
        found[role] = account
    chat = json.loads(export(two_model_chat("Waiting for review", "Why does bread go stale?")))
    api = browser.new_context()
    reply = api.request.post(
        site.url + "/api/v1/chats",
        data={"community": "general", "licence": "CC0-1.0", "chats": chat},
        headers={"Authorization": f"Bearer {found['member']['token']}"},
    )
    assert reply.status == 201, reply.text()
    api.close()
    return found


@pytest.fixture(params=list(DEVICES))
def device(request):
    return request.param


class Audit:
    """Opens pages in one context with axe loaded, collecting what each page violates."""

    def __init__(self, browser, device: str, state: dict | None = None):  # noqa: F811
        self.device = device
        self.context = new_context(browser, device, state)
        self.context.add_init_script(path=str(AXE))  # before the page's CSP applies
        self.page = self.context.new_page()
        self.seen = watch(self.page)
        self.found: dict[str, list] = {}

    def check(self, name: str, path: str | None = None) -> None:
        if path is not None:
            self.page.goto(self.url + path)
        self.page.wait_for_load_state("load")
        violations = self.page.evaluate(RUN_AXE)
        self.found[name] = violations
        shoot(self.page, name, self.device)

    def close(self) -> None:
        self.context.close()
        blocking = {
            name: [v for v in violations if v["impact"] in BLOCKING]
            for name, violations in self.found.items()
        }
        report = "\n".join(
            f"{name}: {v['impact']} {v['id']} ({v['help']}) at {v['where']}"
            for name, violations in self.found.items()
            for v in violations
        )
        assert not any(blocking.values()), f"axe on {self.device}:\n{report}"
        assert not script_errors(self.seen), self.seen["errors"]


@pytest.fixture
def audit(browser, site, device):  # noqa: F811
    opened = []

    def open_as(state: dict | None = None) -> Audit:
        checker = Audit(browser, device, state)
        checker.url = site.url
        opened.append(checker)
        return checker

    yield open_as
    for checker in opened:
        checker.close()


def test_public_pages(audit):
    visitor = audit()
    for name, path in PUBLIC.items():
        visitor.check(name, path)
    visitor.page.goto(visitor.url + "/signup")
    visitor.page.get_by_role("button", name="Sign up", exact=True).click()  # empty: errors
    visitor.check("signup-errors")


def test_member_pages(audit, people, tmp_path):
    member = audit(people["member"]["state"])
    member.check("arena", "/arena")
    member.page.locator("#vote-form button[value=a]").click()
    member.page.wait_for_url(re.compile(r"/arena/[^/]+/result$"))
    member.check("reveal")
    member.check("profile", "/profile")
    member.check("chats", "/chats")
    member.check("share-chats", "/chats/new")
    upload = tmp_path / "export.json"
    upload.write_bytes(
        export(two_model_chat("Checked by axe", "Is rye bread (ann@contoso-mail.org) good?"))
    )
    member.page.set_input_files("#file", str(upload))
    member.page.get_by_role("button", name="Preview").click()
    member.page.wait_for_url("**/chats/drafts/*")
    member.page.get_by_label("Text to redact").fill("rye")
    member.page.get_by_role("button", name="Redact text").click()  # a hand-marked span shows too
    member.check("upload-preview")


def test_staff_pages(audit, people):
    auditor = audit(people["auditor"]["state"])
    auditor.check("audit-queue", "/communities/general/audit")
    assert auditor.page.locator("form.audit-form").count() == 1, "no chat to review"
    admin = audit(people["admin"]["state"])
    admin.check("admin-models", "/admin/models")


def tab_stops(page, limit: int = 80) -> list[dict]:
    """Each element Tab reaches from the top of a freshly loaded page, with its outline."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            """() => { const el = document.activeElement, s = getComputedStyle(el);
                return {what: el.outerHTML.slice(0, 90), outline: s.outlineStyle,
                        width: parseFloat(s.outlineWidth), top: el === document.body}; }"""
        )
        if stop["top"] or (stops and stop["what"] == stops[0]["what"]):
            break
        stops.append(stop)
    return stops


def test_every_tab_stop_shows_its_focus(browser, site, people, device):  # noqa: F811
    """In page order (no positive tabindex), from the skip link on, each with a clear ring."""
    context = new_context(browser, device, people["member"]["state"])
    page = context.new_page()
    for path in ("/arena", "/profile"):
        page.goto(site.url + path)
        assert page.locator("[tabindex]:not([tabindex='0']):not([tabindex='-1'])").count() == 0
        stops = tab_stops(page)
        assert len(stops) > 10 and "skip-link" in stops[0]["what"], stops[:2]
        faint = [s for s in stops if s["outline"] == "none" or s["width"] < 2]
        assert not faint, f"{path}: no visible focus on {faint}"
    context.close()

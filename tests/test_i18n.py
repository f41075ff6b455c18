"""The interface in English and Simplified Chinese: every visible string comes from the
catalogue (a pseudo-locale render finds any that does not), the zh catalogue is complete and
compiled as committed, and the locale is chosen member setting > cookie > browser > English."""

import gettext as stdlib_gettext
import io
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from arena.core import accounts
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import User
from arena.web.i18n import babel
from tests.conftest import build_app, close_app, csrf_token, sign_up
from tests.factories import make_world
from tests.test_route_roles import ACCESS, concrete

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "arena" / "translations"
POT = TRANSLATIONS / "messages.pot"
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
ZH_MO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo"
OPEN, CLOSE = "⟦", "⟧"
PASSWORD = "correct horse battery staple"
PLACE = re.compile(r"%(?:\([A-Za-z_]+\))?[-+ #0]*\d*(?:\.\d+)?[sdifr]")
CHAT_FILE = b'[{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}]'


def read_catalogue(path: Path) -> Catalog:
    with open(path, "rb") as source:
        return read_po(source, locale="zh")


# --- Pages in a pseudo-locale ---------------------------------------------------------------


def pseudo_catalogue(folder: Path) -> Path:
    """zh compiled from messages.pot with every msgstr the msgid in markers: a page in it shows
    ⟦…⟧ around every string that went through the catalogue, and none around the rest."""
    with open(POT, "rb") as source:
        template = read_po(source)
    pseudo = Catalog(locale="zh")
    for message in template:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            marked = OPEN + ids[-1] + CLOSE
            pseudo.add(message.id, (marked,) if isinstance(message.id, tuple) else marked)
    target = folder / "zh" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as out:
        write_mo(out, pseudo)
    return folder


SKIPPED = {"script", "style", "kbd"}  # code, and key names on the keyboard
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
CHECKED_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


class Unmarked(HTMLParser):
    """Letters outside ⟦…⟧ that no translate="no" element holds: strings not in the catalogue."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, exempt)
        self.depth = 0  # markers open across text nodes: a message may hold markup
        self.found: list[str] = []
        self.data: set[str] = set()  # texts inside translate="no"
        self.title = ""

    def exempt(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        says = attributes.get("translate")  # "yes" inside a translate="no" row turns it back on
        exempt = tag in SKIPPED or says == "no" or (self.exempt() and says != "yes")
        if not exempt:
            for name in CHECKED_ATTRIBUTES:
                if attributes.get(name) and bare_letters(attributes[name]):
                    self.found.append(f"<{tag} {name}={attributes[name]!r}>")
        if tag not in VOID:
            self.stack.append((tag, exempt))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, text):
        if self.stack and self.stack[-1][0] == "title":
            self.title += text
            return
        if self.exempt():
            self.data.add(text.strip())
            return
        outside = []
        for char in text:
            if char == OPEN:
                self.depth += 1
            elif char == CLOSE:
                self.depth = max(0, self.depth - 1)
            elif self.depth == 0:
                outside.append(char)
        if bare_letters("".join(outside), marked=False):
            self.found.append(text.strip()[:120])


def bare_letters(text: str, marked: bool = True) -> bool:
    if marked:
        text = re.sub(f"{OPEN}[^{CLOSE}]*{CLOSE}", "", text)
    return any(unicodedata.category(char).startswith("L") for char in text)


def unmarked(html: str) -> list[str]:
    parser = Unmarked()
    parser.feed(html)
    title_left = re.sub(f"{OPEN}[^{CLOSE}]*{CLOSE}", "", parser.title)
    data_in_title = [part.strip() for part in title_left.split("·") if bare_letters(part, False)]
    parser.found += [f"<title> {part}" for part in data_in_title if part not in parser.data]
    return parser.found


@pytest.fixture(scope="module")
def pseudo_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pseudo")
    app = build_app(folder, BABEL_TRANSLATION_DIRECTORIES=str(pseudo_catalogue(folder / "po")))
    forget_translations(app)
    with app.app_context():
        make_world(db.session)
        with unit_of_work(db.session):
            accounts.create_user(db.session, "admin", PASSWORD, role="admin")
    yield app
    forget_translations(app)
    close_app(app)


def forget_translations(app) -> None:
    """Flask-Babel caches catalogues by locale on its one Babel object, whatever the app: the
    pseudo zh must not outlive this module's app."""
    with app.app_context():
        babel.domain_instance.cache.clear()


def pages(client) -> dict[str, str]:
    """Every page a GET route of the roles table renders for an admin, the pages a vote, a
    shared prompt and an upload lead to, and error pages: {address: html}."""
    seen = {}

    def visit(url, reply=None):
        reply = reply or client.get(url)
        assert reply.status_code < 500, (url, reply.status_code)
        if reply.mimetype == "text/html":
            seen[url] = reply.get_data(as_text=True)
        return reply

    login = {"username": "admin", "password": PASSWORD, "csrf_token": csrf_token(client)}
    assert client.post("/login", data=login).status_code == 302
    for method, rule in sorted(ACCESS):
        if method == "GET" and not rule.startswith("/api/"):
            visit(concrete(rule))
    battle = visit("/arena").get_data(as_text=True)
    token = re.search(r"/arena/([^/]+)/vote", battle).group(1)
    form = {"csrf_token": csrf_token(client, "/arena"), "choice": "a"}
    client.post(f"/arena/{token}/vote", data=form)
    visit(f"/arena/{token}/result")
    share = {"title": "Regex", "text": "Explain ^a+$", "community": "general", "tags": "regex"}
    share["csrf_token"] = csrf_token(client, "/prompts")
    visit("/prompts (after sharing)", client.post("/prompts", data=share, follow_redirects=True))
    upload = {"csrf_token": csrf_token(client, "/chats/new")}
    upload["file"] = (io.BytesIO(CHAT_FILE), "c.json")
    visit("/chats/new (preview)", client.post("/chats/new", data=upload, follow_redirects=True))
    visit("/no/such/page")
    visit("/language (405)", client.get("/language"))
    visit("/arena (skip)", client.post(f"/arena/{token}/skip", data={"csrf_token": "forged"}))
    return seen


def test_every_visible_string_comes_from_the_catalogue(pseudo_site):
    client = pseudo_site.test_client()
    client.set_cookie("lang", "zh")
    seen = pages(client)
    assert len(seen) > 30
    assert "/arena/" in " ".join(seen) and "/chats/new (preview)" in seen
    strays = {url: found for url, html in seen.items() if (found := unmarked(html))}
    assert strays == {}, f"wrap these in _() or mark their element translate=no: {strays}"


def test_the_pseudo_check_sees_a_string_outside_the_catalogue():
    page = "<html><title>⟦Arena⟧ · Extra</title><p>⟦Hello <b>%s</b>⟧ stray</p></html>"
    assert unmarked(page) == ["⟧ stray", "<title> Extra"]
    assert unmarked('<p translate="no">Model X</p><i title="Tip">1</i>') == ["<i title='Tip'>"]


# --- The zh catalogue -----------------------------------------------------------------------


def test_every_page_renders_in_chinese(tmp_path):
    app = build_app(tmp_path)
    forget_translations(app)  # the pseudo zh of the test above
    try:
        with app.app_context():
            make_world(db.session)
            with unit_of_work(db.session):
                accounts.create_user(db.session, "admin", PASSWORD, role="admin")
        client = app.test_client()
        client.set_cookie("lang", "zh")
        for url, html in pages(client).items():
            assert '<html lang="zh">' in html, url
        assert "竞技场" in client.get("/").get_data(as_text=True)
    finally:
        close_app(app)


def places(text: str) -> list[str]:
    return PLACE.findall(text.replace("%%", ""))


def test_the_chinese_catalogue_is_complete_and_keeps_every_placeholder():
    problems = []
    for message in read_catalogue(ZH_PO):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(("untranslated", ids[0]))
            continue
        wanted = {place for text in ids for place in places(text)}
        for text in strings:
            if set(places(text)) != wanted:
                problems.append(("placeholders", ids[0], text))
    assert problems == []


def test_every_string_in_the_code_is_in_the_chinese_catalogue():
    """What `pybabel extract` would find today: a string added without a translation fails."""
    method_map = [("arena/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}
    keywords["_l"] = None
    found = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(ROOT), method_map, keywords=keywords)
    }
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalogue(ZH_PO)}
    assert sorted(found - translated) == []


def test_the_committed_mo_is_the_compiled_po():
    compiled = io.BytesIO()
    write_mo(compiled, read_catalogue(ZH_PO))
    compiled.seek(0)
    with open(ZH_MO, "rb") as committed:
        on_disk = stdlib_gettext.GNUTranslations(committed)
    assert on_disk._catalog == stdlib_gettext.GNUTranslations(compiled)._catalog


# --- Which locale a request gets ------------------------------------------------------------


def language_of(reply) -> str:
    return re.search(r'<html lang="([^"]+)"', reply.get_data(as_text=True)).group(1)


@pytest.mark.parametrize(
    ("accept", "cookie", "expected"),
    [
        (None, None, "en"),
        ("zh-CN,zh;q=0.9", None, "zh"),
        ("zh-Hans", None, "zh"),
        ("zh-SG", None, "zh"),
        ("zh-TW", None, "zh"),
        ("fr-FR,de;q=0.8", None, "en"),
        ("en-US,zh;q=0.5", None, "en"),
        ("en-US", "zh", "zh"),
        ("zh-CN", "en", "en"),
        ("zh-CN", "xx", "zh"),
    ],
)
def test_a_visitor_gets_the_cookie_then_the_browser_then_english(app, accept, cookie, expected):
    client = app.test_client()
    if cookie:
        client.set_cookie("lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    assert language_of(client.get("/login", headers=headers)) == expected


def test_pages_tell_caches_they_vary_with_the_browser_language(app, world):
    client = app.test_client()
    for url in ("/", "/login", "/leaderboard"):
        reply = client.get(url, headers={"Accept-Language": "zh-CN"})
        assert reply.mimetype == "text/html", url
        assert "Accept-Language" in reply.vary and "Cookie" in reply.vary, url
    assert "Accept-Language" not in client.get("/api/v1/leaderboard").vary  # always English


def member_locale(app, username="alice"):
    with app.app_context():
        return db.session.scalar(select(User.locale).where(User.username == username))


def set_member_locale(app, locale, username="alice"):
    with app.app_context(), unit_of_work(db.session):
        db.session.scalar(select(User).where(User.username == username)).locale = locale


def test_a_member_setting_wins_over_cookie_and_browser(app, world):
    client = app.test_client()
    assert sign_up(client).status_code == 302
    client.set_cookie("lang", "zh")
    chinese = {"Accept-Language": "zh-CN"}
    assert language_of(client.get("/profile", headers=chinese)) == "zh"  # no setting yet
    set_member_locale(app, "en")
    assert language_of(client.get("/profile", headers=chinese)) == "en"


# --- The switch -----------------------------------------------------------------------------


def switch(client, **form):
    form.setdefault("csrf_token", csrf_token(client))
    return client.post("/language", data=form)


def test_the_menu_switches_a_visitor_by_cookie(app, world):
    client = app.test_client()
    page = client.get("/leaderboard?community=general").get_data(as_text=True)
    assert 'action="/language"' in page and 'name="locale" value="zh"' in page
    assert 'name="next" value="/leaderboard?community=general"' in page
    reply = switch(client, locale="zh", next="/leaderboard?community=general")
    assert reply.status_code == 303 and reply.location == "/leaderboard?community=general"
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("lang=zh;") and "Max-Age=31536000" in cookie
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert language_of(client.get("/leaderboard")) == "zh"
    assert 'name="locale" value="en"' in client.get("/").get_data(as_text=True)
    assert switch(client, locale="en").location == "/"  # no next: the start page


def test_the_switch_saves_a_member_setting(app, world):
    client = app.test_client()
    assert sign_up(client).status_code == 302
    assert switch(client, locale="zh", next="/profile").status_code == 303
    assert member_locale(app) == "zh"
    client.delete_cookie("lang")
    assert language_of(client.get("/profile")) == "zh"  # the setting, not the cookie


@pytest.mark.parametrize(
    "form",
    [
        {"locale": "fr"},
        {"locale": "zh-TW"},
        {"locale": ""},
        {"locale": "zh", "next": "//evil.example/"},
        {"locale": "zh", "next": "https://evil.example/"},
        {"locale": "zh", "next": "/\\evil.example"},
        {"locale": "zh", "next": "javascript:alert(1)"},
        {"locale": "zh", "next": "/ok\r\nSet-Cookie: x=1"},
        {"locale": "zh", "csrf_token": "forged"},
    ],
)
def test_a_hostile_switch_is_refused_and_changes_nothing(app, world, form):
    client = app.test_client()
    assert sign_up(client).status_code == 302
    reply = switch(client, **form)
    assert reply.status_code == 400
    assert "lang=" not in reply.headers.get("Set-Cookie", "")
    assert member_locale(app) is None
    assert language_of(client.get("/profile")) == "en"


def test_a_next_longer_than_a_location_header_may_be_is_refused(app, world):
    longest = "/" + "a" * 1999  # 2,000 characters
    client = app.test_client()
    assert sign_up(client).status_code == 302
    for target in (longest + "a", "/" + "a" * 100_000):
        reply = switch(client, locale="zh", next=target)
        assert reply.status_code == 400 and "Location" not in reply.headers
        assert "lang=" not in reply.headers.get("Set-Cookie", "")
    assert member_locale(app) is None
    assert language_of(client.get("/profile")) == "en"
    assert switch(client, locale="zh", next=longest).location == longest

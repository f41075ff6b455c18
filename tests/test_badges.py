"""The badge economy and how badges look: a newcomer's first votes earn little, every badge has
an icon drawn in static/icons/badges.svg, and pages show each badge as that icon (decorative,
hidden from assistive technology) beside its name, never an emoji on its own."""

import re
import xml.etree.ElementTree as ElementTree
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from arena.config import PROJECT_ROOT
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.game.rules import default_rules
from arena.models import UserBadge, utcnow
from arena.voting import seeding, trust
from tests.conftest import INTEGRITY_OPEN, build_app, close_app, csrf_token
from tests.factories import cast, make_voter, serve

SPRITE = PROJECT_ROOT / "static" / "icons" / "badges.svg"
SVG = "{http://www.w3.org/2000/svg}"
SHAPES = {"path", "circle", "rect", "ellipse", "line", "polyline", "polygon"}
# A badge on a page: the decorative icon, then its name as text (possibly in a <strong>).
BADGE = re.compile(
    r'<svg class="badge-icon" aria-hidden="true" focusable="false" width="20" height="20">'
    r'<use href="/static/icons/badges\.svg#badge-([\w-]+)"></use></svg>\s*(?:<strong[^>]*>)?'
    r"([^<]+)"
)
# What a new voter does in ten votes: mostly A or B, one tie, one "both bad".
ORDINARY = ["a", "b", "a", "tie", "b", "a", "b", "both_bad", "a", "b"]


def emoji_of_badges() -> set[str]:
    """Each badge's emoji (the rules keep it for API clients), without variation selectors."""
    return {char for b in default_rules().badges for char in b.icon if char != "\ufe0f"}


def badges_shown(html: str) -> list[tuple[str, str]]:
    """(slug, label) of every badge on the page; fails on a badge icon not marked up as one."""
    shown = [(slug, label.strip()) for slug, label in BADGE.findall(html)]
    assert html.count('class="badge-icon"') == len(shown), "a badge icon without its markup"
    names = {b.slug: b.name for b in default_rules().badges}
    assert all(names[slug] == label for slug, label in shown), shown
    assert not emoji_of_badges() & set(html), "a badge emoji on the page"
    return shown


# -- icons -------------------------------------------------------------------------------------


def test_every_badge_in_the_rules_has_a_drawn_icon():
    root = ElementTree.parse(SPRITE).getroot()
    symbols = {symbol.get("id"): symbol for symbol in root.iter(f"{SVG}symbol")}
    assert set(symbols) == {f"badge-{badge.slug}" for badge in default_rules().badges}
    for symbol in symbols.values():
        tags = [element.tag.removeprefix(SVG) for element in symbol.iter()]
        assert symbol.get("viewBox") == "0 0 24 24"
        assert SHAPES & set(tags), f"{symbol.get('id')} draws nothing"
        assert "text" not in tags  # the name is the page's text, next to the icon
    source = SPRITE.read_text(encoding="utf-8")
    assert not emoji_of_badges() & set(source)
    assert "href" not in source and "<script" not in source and "style=" not in source


def test_the_sprite_is_served_as_svg(app):
    reply = app.test_client().get("/static/icons/badges.svg")
    reply.close()  # a static file is streamed: close it
    assert reply.status_code == 200 and reply.mimetype == "image/svg+xml"


def test_live_toasts_draw_the_icon_beside_the_name():
    script = (PROJECT_ROOT / "static" / "js" / "realtime.js").read_text(encoding="utf-8")
    assert "badge.icon" not in script  # the emoji stays in the event for API clients only
    assert "badgeIcon(badge.badge)" in script and '["aria-hidden", "true"]' in script
    assert "strong.append(title)" in script  # the name, as text


# -- pages -------------------------------------------------------------------------------------


def test_result_page_toast_and_profile_show_icons_with_names(browser_client):
    arena = browser_client.get("/arena").get_data(as_text=True)
    token = re.search(r'action="/arena/([^/]+)/vote"', arena).group(1)
    csrf = csrf_token(browser_client, "/")
    voted = browser_client.post(f"/arena/{token}/vote", data={"choice": "a", "csrf_token": csrf})
    result = browser_client.get(voted.headers["Location"]).get_data(as_text=True)
    toasts = result.split('id="toasts"')[1].split("<footer")[0]
    assert badges_shown(toasts) == [("first-vote", "First Vote")]
    steps = result.split('id="reveal-badges"')[1].split("</div>")[0]
    assert ("first-vote", "First Vote") in badges_shown(steps)
    assert ("votes-25", "Warming Up") in badges_shown(steps)  # 1 of 25
    badges_shown(result)
    profile = browser_client.get("/profile").get_data(as_text=True)
    held = profile.split('class="badges"')[1].split("</ul>")[0]
    assert badges_shown(held) == [("first-vote", "First Vote")]
    assert len(badges_shown(profile)) >= 2  # and the badges within reach


def test_a_badge_emoji_on_a_page_is_caught():
    """The check above can fail: an emoji standing in for an icon, or an icon without a name."""
    icon = default_rules().badge("first-vote").icon
    with pytest.raises(AssertionError):
        badges_shown(f"<li>{icon} First Vote</li>")
    with pytest.raises(AssertionError):
        badges_shown('<svg class="badge-icon"><use href="#badge-first-vote"></use></svg>')


# -- the economy, measured ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_site(tmp_path_factory):
    """A database holding the shipped seeds: 39 models, 30 of them without a single vote."""
    app = build_app(tmp_path_factory.mktemp("economy"))
    with app.app_context(), unit_of_work(db.session):
        seeding.seed(db.session, PROJECT_ROOT / "seeds")
    yield app
    close_app(app)


@pytest.mark.parametrize(
    "policy_file",
    [trust.DEFAULT_FILE, INTEGRITY_OPEN],
    ids=["shipped integrity rules", "points on every answer"],
)
def test_a_newcomer_earns_one_badge_in_ten_votes_and_two_in_fifty(seeded_site, policy_file):
    """Badges mark effort and skill. Before the retune (issue #13) a newcomer's 10 ordinary
    votes here earned 4 badges under the shipped integrity rules (First Vote, Fence Sitter,
    Tough Crowd, Warming Up at 10) and 6 where points are paid on every answer, as on shared
    chats and custom battles (plus Explorer and Scout: seeded models nobody had voted on yet
    counted as discoveries); 50 votes earned the same. Now: First Vote, then Warming Up."""
    policy = trust.load_policy(Path(policy_file))
    with seeded_site.app_context():
        voter, _ = make_voter(db.session, "newcomer_" + Path(policy_file).stem)
        start, earned = utcnow() + timedelta(minutes=1), {}
        for number in range(50):
            battle = serve(db.session, voter.id, "general")
            at = start + timedelta(minutes=number)
            cast(db.session, voter.id, battle.token, ORDINARY[number % 10], at=at, policy=policy)
            if number + 1 in (10, 50):
                held = select(UserBadge.badge).where(UserBadge.user_id == voter.id)
                earned[number + 1] = set(db.session.scalars(held))
    assert earned == {10: {"first-vote"}, 50: {"first-vote", "votes-25"}}

"""The interface language: Flask-Babel, which locale a request is answered in, and the helpers
templates and scripts translate and format with."""

from datetime import date, datetime
from urllib.parse import quote

from babel.numbers import format_decimal as babel_decimal
from flask import Flask, Response, request
from flask_babel import Babel, format_date, format_datetime, get_locale, gettext
from flask_login import current_user
from markupsafe import Markup

from arena.core.errors import ArenaError
from arena.core.i18n import N_
from arena.game.awards import BADGE_ACTIVITY

SUPPORTED_LOCALES = ("en", "zh")
DEFAULT_LOCALE = "en"
LOCALE_COOKIE = "lang"
# What the language switch shows: each language in its own words, never translated.
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}

babel = Babel()

# The sentences static/js/*.js show, translated into the page as JSON (#i18n in base.html).
JS_STRINGS = (
    N_("writing…"),
    N_("stopped"),
    N_("%(message)s Reload the page to go on."),
    N_("The server could not be reached. Try again."),
    N_("Live updates paused."),
    N_("Live: updates as votes arrive."),
    N_("Reconnecting…"),
    N_("%(tier)s badge earned! %(description)s"),
    BADGE_ACTIVITY,
    N_("Score"),
    N_("95 %% interval"),
    N_("Points"),
)
# Badge tiers (seeds/gamification/badges.json) are a closed set, so they are translated.
TIERS = {"bronze": N_("bronze"), "silver": N_("silver"), "gold": N_("gold")}
ROLES = {"user": N_("user"), "assistant": N_("assistant"), "system": N_("system")}
SPEAKERS = (N_("User"),)
# The states rows show (shared chats, flags, audits, models in the arena).
STATES = {
    "pending": N_("pending"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "disputed": N_("disputed"),
    "withdrawn": N_("withdrawn"),
    "accept": N_("accept"),
    "reject": N_("reject"),
    "active": N_("active"),
    "inactive": N_("inactive"),
    "unavailable": N_("unavailable"),
    "not seeded": N_("not seeded"),
}


def select_locale() -> str:
    """A member's setting, then a visitor's cookie, then the browser's languages, then English.

    Accept-Language matches on the primary tag, so every Chinese (zh-CN, zh-Hans, zh-SG, and
    zh-TW, zh-HK, zh-Hant too: Simplified is closer to them than English) is answered in zh."""
    chosen = getattr(current_user, "locale", None) if current_user else None
    if chosen in SUPPORTED_LOCALES:
        return chosen
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in SUPPORTED_LOCALES:
        return cookie
    return browser_locale() or DEFAULT_LOCALE


def browser_locale() -> str | None:
    """The first of the browser's languages, by preference, whose primary tag is offered.

    (Werkzeug's best_match prefers any exact tag, so "en-US,zh;q=0.5" would get zh.)"""
    for tag, quality in request.accept_languages:
        primary = tag.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in SUPPORTED_LOCALES:
            return primary
    return None


def localized(error: ArenaError) -> str:
    """A domain error's message in the page's language (the API keeps error.message)."""
    return gettext(error.template, **error.params)


def explain(permission) -> str:
    """Why a permission (auditing.roles.Permission) is refused, in the page's language."""
    return gettext(permission.why_not, **permission.params)


def number(value, digits: int | None = None) -> str:
    """A number as the locale writes it; `digits` fixes the decimals (no grouping then, as
    scores and intervals are read side by side)."""
    if value is None:
        return "–"
    if digits is None:
        return babel_decimal(value, locale=get_locale())
    pattern = "0." + "0" * digits if digits else "0"
    return babel_decimal(value, format=pattern, locale=get_locale())


def day(value) -> Markup:
    """A date (or datetime, or ISO text) as the locale writes it, in a <time> element."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if not value:
        return Markup("–")
    machine = value.date() if isinstance(value, datetime) else value
    return _time(machine.isoformat(), format_date(value, "medium"))


def moment(value) -> Markup:
    """A date and time as the locale writes it (UTC), in a <time> element."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not value:
        return Markup("–")
    return _time(value.isoformat(), format_datetime(value, "medium"))


def _time(machine: str, shown: str) -> Markup:
    # Formatted by Babel's locale data, not the catalogue: a translator leaves it as it is.
    return Markup('<time datetime="%s" translate="no">%s</time>') % (machine, shown)


def flagged_sides(sides) -> str:
    """The parts of a battle someone flagged ("the prompt, answer A"), for the flag form."""
    names = {
        "prompt": gettext("the prompt"),
        "a": gettext("answer %(side)s", side="A"),
        "b": gettext("answer %(side)s", side="B"),
    }
    return ", ".join(names[side] for side in ("prompt", "a", "b") if side in sides)


def speaker_name(speaker: str) -> str:
    """Who speaks in a chat auditors review ("User", "Model 2": auditing.queue)."""
    number = speaker.removeprefix("Model ")
    if number != speaker and number.isdigit():
        return gettext("Model %(number)s", number=number)
    return gettext(speaker) if speaker == "User" else speaker


def _current_locale() -> dict:
    return {"current_locale": str(get_locale() or DEFAULT_LOCALE)}


def here() -> str:
    """This page's path and query, for the language switch to come back to. The query is
    re-quoted from its raw bytes: a hostile one need not be UTF-8 (request.full_path fails)."""
    if not request.query_string:
        return request.path
    return f"{request.path}?{quote(request.query_string, safe='=&%+')}"


def _template_helpers() -> dict:
    """Globals, so macros imported without context (audit_chat.html) have them too."""
    return {
        "language_names": LANGUAGE_NAMES,
        "here": here,
        "js_catalogue": lambda: {text: gettext(text) for text in (*JS_STRINGS, *TIERS.values())},
        "tier_name": lambda tier: gettext(TIERS[tier]) if tier in TIERS else tier,
        "flagged_sides": flagged_sides,
        "speaker_name": speaker_name,
        "state_name": lambda state: gettext(STATES[state]) if state in STATES else state,
        "role_name": lambda role: gettext(ROLES[role]) if role in ROLES else role,
    }


def vary_on_language(response: Response) -> Response:
    """A page's language may come from Accept-Language: a shared cache must not hand one
    visitor's language to the next."""
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
    return response


def init_i18n(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    app.context_processor(_current_locale)
    app.after_request(vary_on_language)
    app.jinja_env.globals.update(_template_helpers())
    app.add_template_filter(explain)
    app.add_template_filter(number)
    app.add_template_filter(day)
    app.add_template_filter(moment)

"""The voter's language filter on /arena: "Prompts in: any / English / 中文 / …".

Chosen with ?prompts=CODE (or ?prompts=any) and kept in the session. Pairing then serves
prompts in that language only, among the models that answered one (voting/pairing.py); when
none is left for the voter, the page serves a battle in any language and says so, and the next
battle tries the language again. Known-answer checks keep their rate and language.
"""

from datetime import timedelta

from flask import flash, session
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from arena.core.communities import find_community
from arena.core.errors import NothingToServe
from arena.voting import languages, open_battles, pairing

SESSION_KEY = "prompt_language"
ANY = "any"


def remember(asked: str | None) -> str | None:
    """The language to serve prompts in: ?prompts= when given (then kept), else the kept one."""
    if asked is not None:
        code = None if asked in ("", ANY) else languages.check_language(asked)
        if code:
            session[SESSION_KEY] = code
        else:
            session.pop(SESSION_KEY, None)
    return session.get(SESSION_KEY)


def battle_for(
    db_session: Session, voter_id: int, slug: str | None, language: str | None, expiry: timedelta
):
    """The voter's battle in the language; in any language, with a notice, when none is left."""
    try:
        return open_battles.current_or_new_battle(
            db_session, voter_id, slug, expiry=expiry, language=language
        )
    except NothingToServe:
        if language is None:
            raise
    flash(
        _(
            "No battle is left for you in %(language)s here, so this one may be in any "
            "language. Your choice stays for the next battles.",
            language=languages.label(language),
        ),
        "info",
    )
    return open_battles.current_or_new_battle(db_session, voter_id, slug, expiry=expiry)


def page_context(db_session: Session, slug: str | None, language: str | None) -> dict:
    """The select's options: languages with servable prompts in the community, most first."""
    community = find_community(db_session, slug)
    counts = pairing.servable_languages(db_session, community.id)
    options = [(code, languages.label(code)) for code, _count in counts.most_common()]
    if language and language not in counts:
        options.append((language, languages.label(language)))
    return {"prompt_languages": options, "prompt_language": language}

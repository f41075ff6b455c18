"""Languages of prompts and votes: filling in the ones stored without, and which languages a
board or a voter can choose.

A prompt's language comes from arena.core.language when it is stored; a vote takes its
prompt's (imported votes without a prompt, their file's `language` field). Rows stored before
languages existed are NULL until `arena detect-languages` fills them, a batch at a time.
"""

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from arena.core.communities import find_community
from arena.core.errors import InvalidInput
from arena.core.language import LANGUAGES, NATIVE_NAMES, turn_language, valid_code
from arena.models import Prompt, Vote

_prompts, _votes = Prompt.__table__, Vote.__table__
_SET_PROMPT_LANGUAGE = (
    update(_prompts)
    .where(_prompts.c.id == bindparam("prompt_id"))
    .values(language=bindparam("code"))
)
_PROMPT_LANGUAGE = (
    select(_prompts.c.language).where(_prompts.c.id == _votes.c.prompt_id).scalar_subquery()
)


def check_language(code: str | None) -> str | None:
    """A language filter as given: None or "" for any, else one of the known languages."""
    if not code:
        return None
    if not valid_code(code) or code not in LANGUAGES:
        # Only the languages detection knows can have votes; any other code would only fill
        # the board cache with empty boards.
        raise InvalidInput(f"language must be one of: {', '.join(sorted(LANGUAGES))}.")
    return code


def detect_prompt_batch(session: Session, after_id: int, size: int) -> tuple[int, int | None]:
    """Detect the language of up to `size` prompts without one, past `after_id`.

    Returns (how many were given a language, the last prompt id read, None when none was left).
    Prompts with too little prose to call stay NULL, so every run reads them again."""
    rows = session.execute(
        select(Prompt.id, Prompt.text, Prompt.context)
        .where(Prompt.language.is_(None), Prompt.id > after_id)
        .order_by(Prompt.id)
        .limit(size)
    ).all()
    if not rows:
        return 0, None
    # As when a chat's turn is stored: a short follow-up takes its earlier turns' language.
    found = [
        {"prompt_id": id_, "code": turn_language(text, context or [])}
        for id_, text, context in rows
    ]
    found = [row for row in found if row["code"]]
    if found:
        session.execute(_SET_PROMPT_LANGUAGE, found)
    return len(found), rows[-1].id


def fill_vote_batch(session: Session, after_id: int, size: int) -> tuple[int, int | None]:
    """Give the votes with ids in (after_id, after_id + size] their prompt's language where
    they have none. Returns (votes changed, the last id covered, None past the newest vote)."""
    newest = session.scalar(select(func.max(Vote.id))) or 0
    if after_id >= newest:
        return 0, None
    last = after_id + size
    changed = session.execute(
        update(_votes)
        .where(
            _votes.c.id > after_id,
            _votes.c.id <= last,
            _votes.c.language.is_(None),
            _PROMPT_LANGUAGE.is_not(None),
        )
        .values(language=_PROMPT_LANGUAGE)
        .execution_options(synchronize_session=False)
    )
    return max(changed.rowcount, 0), last


def vote_languages(session: Session, community: str | None = None) -> list[tuple[str, int]]:
    """(code, votes) of the languages that have votes on a board, most votes first."""
    query = select(Vote.language, func.count()).where(Vote.language.is_not(None))
    if community:
        query = query.where(Vote.community_id == find_community(session, community).id)
    rows = session.execute(query.group_by(Vote.language)).tuples().all()
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def label(code: str) -> str:
    """How a language is named in a menu: in itself ("中文"), else its code."""
    return NATIVE_NAMES.get(code, code)

"""Flags on a battle's answers or prompt, and their moderation.

Holders of the `flag_content` privilege flag an answer (side a or b) or the prompt of their own
battle, before voting or on its reveal; the battle stays votable. The community's moderators
then remove (the prompt, with both answers, leaves the arena), redact (their corrected text is
stored in place, scrubbed again) or dismiss, optionally as abusive. Removing or redacting
upholds every open flag on the same text; each upheld flag earns its flagger `flag_upheld`, an
abusive one costs `flag_abusive`, once per flag in the points ledger. Moderators see the text,
reason and note, never who flagged.

Data sets leave out what a moderator removed: `removed_prompt_ids()`.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from arena.auditing import roles
from arena.auditing.settings import AuditSettings, load_settings
from arena.chats.redact import redact
from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.core.events import Event
from arena.core.i18n import N_
from arena.game import awards
from arena.game.rules import Rules
from arena.models import Battle, Community, ContentFlag, Prompt, Response, User
from arena.models.chats import SharedMessage

SIDES = ("a", "b", "prompt")
MAX_NOTE = 1000
MAX_CORRECTION = 100_000
OPEN, UPHELD, DISMISSED = "open", "upheld", "dismissed"
REMOVE, REDACT, DISMISS = "remove", "redact", "dismiss"
ACTIONS = (REMOVE, REDACT, DISMISS)
QUEUE_LIMIT = 100  # oldest first: a moderator works through them


def file_flag(
    session: Session,
    user: User,
    token: str,
    *,
    side: str,
    reason: str,
    note: str,
    rules: Rules,
    now: datetime,
    settings: AuditSettings | None = None,
) -> ContentFlag:
    """Flag one side of the caller's own battle for the community's moderators."""
    roles.privilege(session, user, "flag_content", rules).require()
    _check_flag(side, reason, note, settings or load_settings())
    battle = _own_battle_locked(session, token, user.id)
    flag = ContentFlag(
        battle_id=battle.id,
        prompt_id=battle.prompt_id,
        response_id={"a": battle.response_a_id, "b": battle.response_b_id}.get(side),
        side=side,
        community_id=battle.community_id,
        flagger_id=user.id,
        reason=reason,
        note=redact(note.strip()).text if note.strip() else "",
        status=OPEN,
        created_at=now,
    )
    if _flagged_before(session, flag):
        what = "prompt" if side == "prompt" else "answer"
        raise Conflict(f"You flagged this {what} already; the moderators have it.")
    session.add(flag)
    session.flush()
    return flag


def _check_flag(side: str, reason: str, note: str, settings: AuditSettings) -> None:
    if side not in SIDES:
        raise InvalidInput("side must be 'a', 'b' or 'prompt'.")
    if reason not in settings.flag_reasons:
        raise InvalidInput(f"reason must be one of: {', '.join(settings.flag_reasons)}.")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note must be at most {MAX_NOTE} characters.")


def _own_battle_locked(session: Session, token: str, voter_id: int) -> Battle:
    """The voter's battle, its row locked so that two flags of one side cannot both pass."""
    battle = session.scalar(select(Battle).where(Battle.token == token).with_for_update())
    if battle is None or battle.voter_id != voter_id:
        raise NotFound("No such battle.")  # someone else's is indistinguishable from none
    return battle


def _same_text(flag: ContentFlag):
    """Flags on the same stored text: one answer, or one prompt (in any battle)."""
    if flag.response_id is not None:
        return ContentFlag.response_id == flag.response_id
    return (ContentFlag.prompt_id == flag.prompt_id) & (ContentFlag.side == "prompt")


def _flagged_before(session: Session, flag: ContentFlag) -> bool:
    mine = ContentFlag.flagger_id == flag.flagger_id
    return session.scalar(select(ContentFlag.id).where(mine, _same_text(flag)).limit(1)) is not None


@dataclass(frozen=True)
class QueuedFlag:
    """An open flag as moderators see it: the content, not who flagged it."""

    id: int
    target: str  # "prompt" | "answer"
    reason: str
    reason_label: str
    note: str
    prompt: str
    flagged_text: str
    in_arena: bool  # the prompt is still served
    created_at: datetime


def open_flags(
    session: Session, community_id: int, settings: AuditSettings | None = None
) -> list[QueuedFlag]:
    labels = (settings or load_settings()).flag_reasons
    rows = session.execute(
        select(ContentFlag, Prompt.text, Prompt.is_active, Response.text)
        .join(Prompt, Prompt.id == ContentFlag.prompt_id)
        .outerjoin(Response, Response.id == ContentFlag.response_id)
        .where(ContentFlag.community_id == community_id, ContentFlag.status == OPEN)
        .order_by(ContentFlag.created_at, ContentFlag.id)
        .limit(QUEUE_LIMIT)
    )
    return [
        QueuedFlag(
            id=flag.id,
            target="prompt" if flag.response_id is None else "answer",
            reason=flag.reason,
            reason_label=labels.get(flag.reason, flag.reason),
            note=flag.note,
            prompt=prompt_text,
            flagged_text=prompt_text if answer_text is None else answer_text,
            in_arena=in_arena,
            created_at=flag.created_at,
        )
        for flag, prompt_text, in_arena, answer_text in rows
    ]


@dataclass(frozen=True)
class Resolution:
    status: str  # upheld | dismissed
    resolved: list[int]  # the flags it closed
    events: list[Event]  # points changed: publish after commit


def resolve(
    session: Session,
    moderator: User,
    community: Community,
    flag_id: int,
    action: str,
    *,
    rules: Rules,
    now: datetime,
    text: str = "",
    abusive: bool = False,
) -> Resolution:
    """A moderator's decision on an open flag of their community."""
    roles.moderates(session, moderator, community).require()
    if action not in ACTIONS:
        raise InvalidInput("action must be 'remove', 'redact' or 'dismiss'.")
    flag = _open_flag_locked(session, community.id, flag_id)
    if action == DISMISS:
        closed, status = [flag], DISMISSED
        flag.abusive = abusive
    else:
        _remove(session, flag) if action == REMOVE else _redact(session, flag, text)
        closed, status = _open_on_same_text(session, flag), UPHELD
    for each in closed:
        each.status, each.resolution = status, action
        each.resolved_by_id, each.resolved_at = moderator.id, now
    reason = "flag_upheld" if status == UPHELD else ("flag_abusive" if abusive else None)
    events = _award(session, rules, community, closed, reason, moderator.id, now) if reason else []
    return Resolution(status, [each.id for each in closed], events)


def _open_flag_locked(session: Session, community_id: int, flag_id: int) -> ContentFlag:
    flag = session.scalar(
        select(ContentFlag)
        .where(ContentFlag.id == flag_id, ContentFlag.community_id == community_id)
        .with_for_update()
    )
    if flag is None:
        raise NotFound("No such flag in this community.")
    if flag.status != OPEN:
        raise Conflict("This flag was resolved already.")
    return flag


def _open_on_same_text(session: Session, flag: ContentFlag) -> list[ContentFlag]:
    others = session.scalars(
        select(ContentFlag)
        .where(_same_text(flag), ContentFlag.status == OPEN, ContentFlag.id != flag.id)
        .order_by(ContentFlag.id)
        .with_for_update()
    )
    return [flag, *others]


def _remove(session: Session, flag: ContentFlag) -> None:
    """The prompt leaves the arena with both answers: an answer is only ever shown in a pair."""
    session.execute(
        update(Prompt)
        .where(Prompt.id == flag.prompt_id)
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )


def _redact(session: Session, flag: ContentFlag, text: str) -> None:
    """The moderator's corrected text replaces the flagged one, and the shared chat's copy."""
    is_answer = flag.response_id is not None
    corrected = _corrected(text, author="model" if is_answer else "user")
    row = session.get(*((Response, flag.response_id) if is_answer else (Prompt, flag.prompt_id)))
    before, row.text = row.text, corrected
    chat_id = session.scalar(select(Prompt.shared_chat_id).where(Prompt.id == flag.prompt_id))
    if chat_id is not None:
        session.execute(
            update(SharedMessage)
            .where(
                SharedMessage.chat_id == chat_id,
                SharedMessage.role == ("assistant" if is_answer else "user"),
                SharedMessage.content == before,
            )
            .values(content=corrected)
            .execution_options(synchronize_session=False)
        )


def _corrected(text: str, author: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("text: give the corrected text to redact with.")
    if len(text) > MAX_CORRECTION:
        raise InvalidInput(f"text must be at most {MAX_CORRECTION} characters.")
    return redact(text, author=author).text


def _award(session, rules, community, closed, reason, moderator_id, now) -> list[Event]:
    """Points to each flagger, once per flag; a moderator's own flags earn nothing."""
    owed = [
        (flag.flagger_id, reason, ("flag", flag.id))
        for flag in closed
        if flag.flagger_id != moderator_id
    ]
    return awards.award_points(session, rules, owed, community, now)


@dataclass(frozen=True)
class MyFlag:
    """A flag as its flagger sees it on their profile, with the outcome."""

    id: int
    community: str
    target: str  # "prompt" | "answer"
    prompt: str
    reason_label: str
    status: str
    outcome: str
    created_at: datetime
    outcome_message: tuple[str, dict] = ("", {})  # the outcome marked for translation, values


def flags_of(
    session: Session,
    user_id: int,
    rules: Rules,
    settings: AuditSettings | None = None,
    limit: int = 50,
) -> list[MyFlag]:
    labels = (settings or load_settings()).flag_reasons
    rows = session.execute(
        select(ContentFlag, Community.name, Prompt.text)
        .join(Community, Community.id == ContentFlag.community_id)
        .join(Prompt, Prompt.id == ContentFlag.prompt_id)
        .where(ContentFlag.flagger_id == user_id)
        .order_by(ContentFlag.created_at.desc(), ContentFlag.id.desc())
        .limit(limit)
    )
    return [
        MyFlag(
            id=flag.id,
            community=community,
            target="prompt" if flag.response_id is None else "answer",
            prompt=prompt,
            reason_label=labels.get(flag.reason, flag.reason),
            status=flag.status,
            outcome=outcome(flag, rules),
            created_at=flag.created_at,
            outcome_message=outcome_message(flag, rules),
        )
        for flag, community, prompt in rows
    ]


def outcome(flag: ContentFlag, rules: Rules) -> str:
    """What became of a flag, in the flagger's words."""
    message, values = outcome_message(flag, rules)
    return message % values


OUTCOMES = {  # (status, resolution or abusive, points earned): the sentence
    (UPHELD, REMOVE, True): N_(
        "Upheld: removed from the arena and the data sets (%(points)+d points)."
    ),
    (UPHELD, REMOVE, False): N_("Upheld: removed from the arena and the data sets."),
    (UPHELD, REDACT, True): N_("Upheld: a moderator corrected the text (%(points)+d points)."),
    (UPHELD, REDACT, False): N_("Upheld: a moderator corrected the text."),
    (DISMISSED, True, True): N_("Dismissed as abusive (%(points)+d points)."),
    (DISMISSED, True, False): N_("Dismissed as abusive."),
}


def outcome_message(flag: ContentFlag, rules: Rules) -> tuple[str, dict]:
    """The outcome marked for translation (core.i18n.N_), and the values of its places."""
    if flag.status == OPEN:
        return N_("Waiting for a moderator."), {}
    earned = flag.resolved_by_id != flag.flagger_id  # a moderator's own flags earn nothing
    if flag.status == DISMISSED and not flag.abusive:
        return N_("Dismissed: the moderators found nothing to change."), {}
    upheld = flag.status == UPHELD
    how = flag.resolution if upheld else True
    reason = "flag_upheld" if upheld else "flag_abusive"
    return OUTCOMES[(flag.status, how, earned)], {"points": rules.points[reason].points}


def removed_prompt_ids() -> Select:
    """Prompts a moderator removed on a flag: data sets leave them, and votes on them, out."""
    return select(ContentFlag.prompt_id).where(
        ContentFlag.status == UPHELD, ContentFlag.resolution == REMOVE
    )


def flagged_sides(session: Session, battle_id: int) -> set[str]:
    """The sides of a battle already flagged (by its voter, the only one who can)."""
    return set(session.scalars(select(ContentFlag.side).where(ContentFlag.battle_id == battle_id)))

"""Communities people create and run: founding one, its moderators and auditors, and the
answers to its question. Privileges are checked here, so the pages and the API refuse alike."""

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arena.auditing import questions, roles
from arena.auditing.roles import AUDITOR, MODERATOR, Permission
from arena.core.errors import Conflict, InvalidInput, NotFound
from arena.core.i18n import N_
from arena.game.rules import Rules
from arena.models import OVERALL, Community, CommunityRole, User

SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]")
SLUG_LENGTH = (2, 40)
NAME_LENGTH = (2, 80)
MAX_DESCRIPTION = 2000
MAX_GUIDELINES = 5000
MAX_QUESTION = 300
ROLES = (MODERATOR, AUDITOR)
# Slugs that name pages (/communities/new) or scopes: ratings and point totals use "overall"
# beside community slugs, so a community called that would share their rows.
RESERVED_SLUGS = frozenset(
    {OVERALL, "new", "all", "none", "null", "api", "admin", "audit", "roles", "datasets"}
    | {"communities", "community", "static", "settings", "moderation", "me"}
)


@dataclass(frozen=True)
class CommunityDraft:
    """What a founder types; every field is checked by `checked_draft`."""

    name: str
    slug: str
    description: str = ""
    guidelines: str = ""
    question: str = ""


def _text(label: str, value, low: int, high: int) -> str:
    if not isinstance(value, str | None):
        raise InvalidInput(f"{label} must be text.")
    value = (value or "").strip()
    if not low <= len(value) <= high:
        if low == 0:
            raise InvalidInput(f"{label} is limited to {high:,} characters.")
        raise InvalidInput(f"{label} must be {low} to {high:,} characters long.")
    return value


def check_slug(session: Session, slug) -> str:
    slug = _text("The slug", slug, *SLUG_LENGTH)
    if not SLUG_PATTERN.fullmatch(slug):
        raise InvalidInput(
            "The slug may hold lowercase letters, digits and hyphens, "
            "and starts and ends with a letter or digit."
        )
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"The slug '{slug}' is reserved; pick another.")
    if session.scalar(select(Community.id).where(Community.slug == slug)) is not None:
        raise Conflict(f"There is a community called '{slug}' already.")
    return slug


def checked_draft(session: Session, draft: CommunityDraft, default_question: str) -> dict:
    """The new community's columns, or InvalidInput / Conflict naming the field at fault."""
    name = _text("The name", draft.name, *NAME_LENGTH)
    taken = select(Community.id).where(func.lower(Community.name) == name.lower())
    if session.scalar(taken) is not None:
        raise Conflict(f"There is a community named '{name}' already.")
    question = _text("The community question", draft.question, 0, MAX_QUESTION)
    return {
        "name": name,
        "slug": check_slug(session, draft.slug),
        "description": _text("The description", draft.description, 0, MAX_DESCRIPTION),
        "guidelines": _text("The guidelines", draft.guidelines, 0, MAX_GUIDELINES),
        "question": question or default_question,
    }


def create_community(
    session: Session, founder: User, draft: CommunityDraft, rules: Rules, default_question: str
) -> Community:
    """A new community whose first moderator is its founder (holders of `create_community`)."""
    roles.privilege(session, founder, "create_community", rules).require()
    community = Community(**checked_draft(session, draft, default_question))
    try:
        with session.begin_nested():  # two founders racing for one slug: the second is told
            session.add(community)
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"There is a community called '{community.slug}' already.") from error
    session.add(CommunityRole(community_id=community.id, user_id=founder.id, role=MODERATOR))
    session.flush()
    return community


def _role(role) -> str:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}.")
    return role


def _account(session: Session, username) -> User:
    username = _text("The username", username, 1, 40)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"There is no account called '{username}'.")
    return user


def grant_role(
    session: Session, actor: User, community: Community, username: str, role: str
) -> bool:
    """Make someone a moderator or auditor of the community; False if they were already."""
    roles.moderates(session, actor, community).require()
    role, person = _role(role), _account(session, username)
    if roles.has_role(session, person.id, community.id, role):
        return False
    try:
        with session.begin_nested():
            session.add(
                CommunityRole(
                    community_id=community.id, user_id=person.id, role=role, granted_by_id=actor.id
                )
            )
    except IntegrityError:  # granted at the same moment by another moderator
        return False
    return True


def may_remove(session: Session, actor: User, community: Community, role: str) -> Permission:
    """Moderators remove auditors; only site admins remove a moderator."""
    if role == MODERATOR and not actor.is_admin:
        return Permission(False, N_("Only site admins may remove a moderator."))
    return roles.moderates(session, actor, community)


def remove_role(
    session: Session, actor: User, community: Community, username: str, role: str
) -> bool:
    """Take the role away; False if the person did not hold it."""
    may_remove(session, actor, community, _role(role)).require()
    person = _account(session, username)
    removed = session.execute(
        delete(CommunityRole).where(
            CommunityRole.community_id == community.id,
            CommunityRole.user_id == person.id,
            CommunityRole.role == role,
        )
    )
    return bool(removed.rowcount)


def role_holders(session: Session, community_id: int, role: str) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(CommunityRole, CommunityRole.user_id == User.id)
            .where(CommunityRole.community_id == community_id, CommunityRole.role == role)
            .order_by(CommunityRole.created_at, CommunityRole.id)
        )
    )


def moderator_names(session: Session, community_id: int) -> list[str]:
    """Public names only: a moderator who stays anonymous on boards stays so here."""
    return [user.public_name for user in role_holders(session, community_id, MODERATOR)]


def question_results(session: Session, community_id: int) -> list[dict]:
    """The community question's results per model (auditing/questions.py), highest yes share
    first."""
    rows = [
        {"model": name, "yes": counts["yes"], "answers": counts["yes"] + counts["no"]}
        | {"yes_share": counts["share"]}
        for name, counts in questions.results(session, community_id).items()
    ]
    return sorted(rows, key=lambda row: (-row["yes_share"], -row["answers"], row["model"]))


def summary(community: Community) -> dict:
    return {
        "slug": community.slug,
        "name": community.name,
        "description": community.description,
        "question": community.question,
    }

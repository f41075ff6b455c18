"""Who may do what: contributors (everyone), auditors (by points, or granted by a community's
moderator), community moderators, site admins. Each check answers with a sentence that says
what unlocks it, so a refusal can tell the person how to get there."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.auditing.settings import AuditRules
from arena.core.clock import as_utc
from arena.core.errors import Forbidden
from arena.core.i18n import N_
from arena.game import points
from arena.game.rules import Rules
from arena.models import Audit, Community, CommunityRole, User

MODERATOR, AUDITOR = "moderator", "auditor"


@dataclass(frozen=True)
class Permission:
    allowed: bool
    why_not: str = ""  # what would unlock it, when not allowed: marked with N_, %(name)s places
    params: dict = field(default_factory=dict)  # the values of why_not's places

    @property
    def reason(self) -> str:
        return self.why_not % self.params if self.params else self.why_not

    def require(self) -> None:
        if not self.allowed:
            raise Forbidden(self.why_not, **self.params)


def has_role(session: Session, user_id: int, community_id: int, role: str) -> bool:
    return (
        session.scalar(
            select(CommunityRole.id).where(
                CommunityRole.user_id == user_id,
                CommunityRole.community_id == community_id,
                CommunityRole.role == role,
            )
        )
        is not None
    )


def is_moderator(session: Session, user: User, community: Community) -> bool:
    return user.is_admin or has_role(session, user.id, community.id, MODERATOR)


def moderates(session: Session, user: User, community: Community) -> Permission:
    if is_moderator(session, user, community):
        return Permission(True)
    why = N_("Only moderators of %(community)s (and site admins) may do this.")
    return Permission(False, why, {"community": community.name})


def privilege(session: Session, user: User, name: str, rules: Rules) -> Permission:
    """A privilege earned by all-time points (seeds/gamification/ranks.json); admins hold all."""
    threshold = next(p for p in rules.privileges if p.name == name)
    total = points.total_points(session, user.id)
    if user.is_admin or total >= threshold.points:
        return Permission(True)
    why = N_("%(privilege)s unlocks at %(points)s points; you have %(total)s.")
    return Permission(
        False, why, {"privilege": threshold.label, "points": threshold.points, "total": total}
    )


def suspended_until(
    session: Session, user_id: int, rules: AuditRules, now: datetime
) -> datetime | None:
    """When an auditor who failed too many of their latest known-answer items may audit again
    (None: not suspended)."""
    latest = session.execute(
        select(Audit.passed, Audit.created_at)
        .where(Audit.auditor_id == user_id, Audit.known_answer.is_(True))
        .order_by(Audit.created_at.desc(), Audit.id.desc())
        .limit(rules.known_answer_window)
    ).all()
    failures = [as_utc(at) for passed, at in latest if passed is False]
    if len(failures) < rules.known_answer_failures:
        return None
    until = failures[0] + timedelta(days=rules.suspension_days)
    return until if until > now else None


def audits(
    session: Session,
    user: User,
    community: Community,
    rules: Rules,
    audit_rules: AuditRules,
    now: datetime,
) -> Permission:
    """May this person review the community's shared chats?"""
    if is_moderator(session, user, community):
        return Permission(True)
    until = suspended_until(session, user.id, audit_rules, now)
    if until is not None:
        why = N_(
            "You failed too many of the review checks with a known answer; you may review"
            " again from %(until)s UTC."
        )
        return Permission(False, why, {"until": f"{until:%Y-%m-%d %H:%M}"})
    if has_role(session, user.id, community.id, AUDITOR):
        return Permission(True)
    earned = privilege(session, user, "audit", rules)
    if earned.allowed:
        return earned
    why = N_(
        "%(privilege)s unlocks at %(points)s points; you have %(total)s. A moderator of"
        " %(community)s may also make you an auditor."
    )
    return Permission(False, why, {**earned.params, "community": community.name})

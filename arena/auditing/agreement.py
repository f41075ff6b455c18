"""How far auditors agree: Krippendorff's alpha for nominal data, per community and per auditor.

alpha = 1 - D_o / D_e, the disagreement observed over the disagreement expected by chance.
Only units (here: chats) with at least two values can be paired; a value with no partner is
left out, so missing values are allowed. With the coincidence matrix
o_ck = sum over units u of (pairs c-k in u) / (m_u - 1), where m_u is the number of values in u,
n_c = sum_k o_ck and n = sum_c n_c (the pairable values), nominal alpha is

    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k

(Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011). It is undefined (None here)
when fewer than two values pair up or when every pairable value is the same: there is no
variation to agree on.

Worked by hand (two coders, four units, values a and b): (a, a), (a, b), (b, b), (a, a).
Unit 2 gives o_ab = o_ba = 1 / (2 - 1) = 1; the others only o_aa and o_bb, so the off-diagonal
sum is 2. n_a = 5, n_b = 3, n = 8; sum_{c != k} n_c n_k = 2 * 5 * 3 = 30.
alpha = 1 - 7 * 2 / 30 = 8 / 15 = 0.5333.

The `krippendorff` package would do the same but is GPL-3.0; this project is MIT.
"""

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.models import Audit, User
from arena.models.chats import ACCEPTED, REJECTED, SharedChat

# An auditor's alpha is judged only once this many of their audits are on decided chats.
MIN_DECIDED_AUDITS = 5
DECISION_VERDICT = {ACCEPTED: "accept", REJECTED: "reject"}


def nominal_alpha(units: Iterable[Iterable[Hashable]]) -> float | None:
    """Krippendorff's alpha for nominal values; each unit lists the values coders gave it (a
    missing value is simply absent). None when undefined (see the module's docstring)."""
    observed, totals = 0.0, Counter()
    for unit in units:
        counts = Counter(unit)
        paired = sum(counts.values())
        if paired < 2:
            continue
        # Pairs of different values in the unit, each ordered pair weighted 1 / (m_u - 1).
        different = paired * paired - sum(count * count for count in counts.values())
        observed += different / (paired - 1)
        totals.update(counts)
    n = sum(totals.values())
    expected = n * n - sum(count * count for count in totals.values())
    if n < 2 or expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


@dataclass(frozen=True)
class AuditorAgreement:
    user_id: int
    username: str
    audits: int  # every audit, known-answer ones included
    decided: int  # audits of chats that were decided since
    alpha: float | None  # against the decisions; None while undefined
    known_passed: int
    known_failed: int
    poor: bool  # alpha below the community's poor_agreement, over enough decided audits


def community_alpha(session: Session, community_id: int) -> float | None:
    """Alpha between the auditors of a community: units are its chats, values the verdicts of
    the audits that counted towards a decision (known-answer audits left out)."""
    rows = session.execute(
        select(Audit.chat_id, Audit.verdict)
        .join(SharedChat, SharedChat.id == Audit.chat_id)
        .where(SharedChat.community_id == community_id, Audit.known_answer.is_(False))
    ).all()
    units: dict[int, list[str]] = {}
    for chat_id, verdict in rows:
        units.setdefault(chat_id, []).append(verdict)
    return nominal_alpha(units.values())


def auditor_alpha(pairs: Iterable[tuple[str, str]]) -> float | None:
    """Alpha of one auditor as two coders: their verdict and the final decision on each chat
    they audited that was decided (known-answer items included: they are exactly that test).
    The auditor's own audit helped make most decisions, so this leans towards agreement."""
    return nominal_alpha(pairs)


def auditors(session: Session, community_id: int, poor_below: float) -> list[AuditorAgreement]:
    """Everyone who audited the community's chats, with their agreement, worst first."""
    rows = session.execute(
        select(Audit.auditor_id, User.username, Audit.verdict, SharedChat.review_status)
        .add_columns(Audit.known_answer, Audit.passed)
        .join(SharedChat, SharedChat.id == Audit.chat_id)
        .join(User, User.id == Audit.auditor_id)
        .where(SharedChat.community_id == community_id)
    ).all()
    by_auditor: dict[int, list] = {}
    for row in rows:
        by_auditor.setdefault(row.auditor_id, []).append(row)
    summaries = [_summary(audits, poor_below) for audits in by_auditor.values()]
    return sorted(summaries, key=lambda s: (s.alpha is None, s.alpha or 0.0, s.username))


def _summary(rows: list, poor_below: float) -> AuditorAgreement:
    pairs = [
        (row.verdict, DECISION_VERDICT[row.review_status])
        for row in rows
        if row.review_status in DECISION_VERDICT
    ]
    alpha = auditor_alpha(pairs)
    return AuditorAgreement(
        user_id=rows[0].auditor_id,
        username=rows[0].username,
        audits=len(rows),
        decided=len(pairs),
        alpha=alpha,
        known_passed=sum(1 for row in rows if row.known_answer and row.passed),
        known_failed=sum(1 for row in rows if row.known_answer and row.passed is False),
        poor=alpha is not None and len(pairs) >= MIN_DECIDED_AUDITS and alpha < poor_below,
    )


def audit_counts(session: Session, community_id: int) -> dict[str, int]:
    """How many chats of the community wait, were accepted, rejected or disputed."""
    rows = session.execute(
        select(SharedChat.review_status, func.count())
        .where(SharedChat.community_id == community_id, SharedChat.status == "published")
        .group_by(SharedChat.review_status)
    ).all()
    return {status: count for status, count in rows}

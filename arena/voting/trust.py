"""Who counts: a vote's provenance, the voter's standing, known-answer checks and vote caps.

Rules are data (seeds/integrity.json, or the file ARENA_INTEGRITY_FILE names). A voter's
standing is a pure function of three counts kept beside the votes (votes cast, checks passed,
checks failed) and of whether the voter is a guest, so replaying the vote log reproduces every
decision; each vote records the standing its voter had when it was cast, and published boards
and ratings count only votes cast while `counted`. A guest (voting/guests.py) is never counted.
"""

import json
import os
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy import bindparam, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from arena.config import PROJECT_ROOT
from arena.core.db import insert_on_conflict
from arena.core.errors import TooManyVotes
from arena.models import Battle, User, Vote, VoterStanding

COUNTED, PROBATION, EXCLUDED = "counted", "probation", "excluded"
TRUSTS = (COUNTED, PROBATION, EXCLUDED)
EXPOSURES = ("public", "private")
ATTRIBUTIONS = ("generated", "benchmark", "claimed")
DEFAULT_FILE = PROJECT_ROOT / "seeds" / "integrity.json"


@dataclass(frozen=True)
class Policy:
    probation_votes: int
    probation_checks: int
    min_checks: int
    max_failed_share: float
    check_share_in_probation: float
    check_share_after: float
    check_min_votes: int
    votes_per_day: int
    votes_per_day_per_community: int
    share_cap: float
    share_cap_min_votes: int
    published: dict
    public_points_base_only: bool

    def published_filters(self, community: str | None) -> dict[str, str]:
        """What the community's published board counts: trust, exposure and attribution."""
        filters = dict(self.published["default"])
        filters.update(self.published.get("communities", {}).get(community or "", {}))
        return filters

    def check_share(self, state: str) -> float:
        return self.check_share_in_probation if state == PROBATION else self.check_share_after


def load_policy(path: str | Path) -> Policy:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    probation, checks, caps = data["probation"], data["checks"], data["caps"]
    return Policy(
        probation_votes=probation["votes"],
        probation_checks=probation["checks_passed"],
        min_checks=probation["min_checks"],
        max_failed_share=probation["max_failed_share"],
        check_share_in_probation=checks["share_in_probation"],
        check_share_after=checks["share_after"],
        check_min_votes=checks["min_votes"],
        votes_per_day=caps["votes_per_day"],
        votes_per_day_per_community=caps["votes_per_day_per_community"],
        share_cap=data["share_cap"]["share"],
        share_cap_min_votes=data["share_cap"]["min_model_votes"],
        published={k: v for k, v in data["published"].items() if k != "about"},
        public_points_base_only=data["points"]["public_exposure"] == "base_only",
    )


@cache
def default_policy() -> Policy:
    return load_policy(os.environ.get("ARENA_INTEGRITY_FILE") or DEFAULT_FILE)


def provenance(prompt_origin: str | None) -> tuple[str, str]:
    """(exposure, attribution) of a vote on answers to a prompt of this origin.

    Shared chats and custom prompts are private to the site; seeded and imported answers are
    published elsewhere, so anyone can look them up. Chat answers are claimed by their
    contributor (nobody can verify the model ids of an upload); custom battles are generated
    here by a configured backend; the rest come from published benchmarks."""
    if prompt_origin == "shared_chat":
        return "private", "claimed"
    if prompt_origin == "custom":
        return "private", "generated"
    return "public", "benchmark"


def state_of(votes: int, passed: int, failed: int, policy: Policy, guest: bool = False) -> str:
    """A standing from its counts: excluded after failing too many checks, counted once past
    probation (never while a guest), on probation until then."""
    checks = passed + failed
    if checks >= policy.min_checks and failed > policy.max_failed_share * checks:
        return EXCLUDED
    if votes >= policy.probation_votes and passed >= policy.probation_checks and not guest:
        return COUNTED
    return PROBATION


_standings = VoterStanding.__table__
_STANDING = select(_standings.c.state).where(_standings.c.user_id == bindparam("user_id"))
# One more vote (and check result) on the voter's counts; returns the counts after it and the
# state stored before it (the upsert leaves the state alone).
_COUNT_VOTE = insert_on_conflict(
    _standings,
    ("user_id", "votes", "checks_passed", "checks_failed", "state"),
    "(user_id) DO UPDATE SET votes = voter_standings.votes + 1, "
    "checks_passed = voter_standings.checks_passed + excluded.checks_passed, "
    "checks_failed = voter_standings.checks_failed + excluded.checks_failed",
    returning=("votes", "checks_passed", "checks_failed", "state"),
)
_SET_STATE = (
    _standings.update()
    .where(_standings.c.user_id == bindparam("standing_of"))
    .values(state=bindparam("new_state"))
)
_IS_GUEST = select(User.is_guest).where(User.id == bindparam("user_id"))


def standing(session: Session, user_id: int, policy: Policy) -> str:
    """The voter's standing now (a voter who never voted is where zero votes put them)."""
    state = session.scalar(_STANDING, {"user_id": user_id})
    return state or state_of(0, 0, 0, policy)


def count_vote(
    session: Session, user_id: int, check: bool | None, policy: Policy
) -> tuple[str, str]:
    """Add a vote (and a check's result: True passed, False failed, None no check) to the
    voter's counts; returns their standing before the vote and after it."""
    passed, failed = int(check is True), int(check is False)
    first_state = state_of(0, 0, 0, policy)
    row = session.execute(
        _COUNT_VOTE,
        {
            "user_id": user_id,
            "votes": 1,
            "checks_passed": passed,
            "checks_failed": failed,
            "state": first_state,
        },
    ).one()
    before = first_state if row.votes == 1 else row.state
    after = state_of(row.votes, row.checks_passed, row.checks_failed, policy)
    # A stored `counted` from an earlier vote proves a member, so only a voter's first vote
    # and the step into `counted` ask whether the voter is a guest.
    asks = COUNTED in (before, after) and (row.votes == 1 or row.state != COUNTED)
    if asks and session.scalar(_IS_GUEST, {"user_id": user_id}):
        before = PROBATION if before == COUNTED else before
        after = state_of(row.votes, row.checks_passed, row.checks_failed, policy, guest=True)
    if after != row.state:
        session.execute(_SET_STATE, {"standing_of": user_id, "new_state": after})
    return before, after


def check_result(expected: str | None, choice: str) -> bool | None:
    """A known-answer check passes when the voter picks the side the imported majority chose."""
    if expected is None:
        return None
    return choice == expected


# Today's votes of a voter, in all and in one community: one pass over the voter's votes.
_IN_COMMUNITY = case((Vote.community_id == bindparam("community_id"), 1), else_=0)
_VOTES_TODAY = select(func.count(), func.coalesce(func.sum(_IN_COMMUNITY), 0)).where(
    Vote.voter_id == bindparam("voter_id"), Vote.created_at >= bindparam("since")
)


def enforce_caps(
    session: Session, voter_id: int, community_id: int, at: datetime, policy: Policy
) -> None:
    """Refuse a vote past the voter's daily caps (in all and in this community)."""
    since = at.replace(hour=0, minute=0, second=0, microsecond=0)
    params = {"voter_id": voter_id, "since": since, "community_id": community_id}
    today, here = session.execute(_VOTES_TODAY, params).one()
    if today >= policy.votes_per_day:
        raise TooManyVotes(
            f"You have cast {policy.votes_per_day} votes today, the daily limit; voting opens "
            "again at midnight UTC. Nothing was recorded."
        )
    if here >= policy.votes_per_day_per_community:
        raise TooManyVotes(
            f"You have cast {policy.votes_per_day_per_community} votes in this community "
            "today, its daily limit; try another community or come back tomorrow. "
            "Nothing was recorded."
        )


def rebuild_standings(session: Session, policy: Policy) -> int:
    """Replay every live vote in order: each vote's voter_trust and every standing are derived
    again under the policy now in force; returns the number of votes whose trust changed."""
    rows = session.execute(
        select(Vote.id, Vote.voter_id, Vote.choice, Vote.voter_trust, Battle.expected)
        .outerjoin(Battle, Battle.id == Vote.battle_id)
        .where(Vote.voter_id.isnot(None))
        .order_by(Vote.id)
        .execution_options(yield_per=50_000)
    )
    guests = set(session.scalars(select(User.id).where(User.is_guest)))
    counts: dict[int, list[int]] = {}
    changed: dict[str, list[int]] = {}
    for vote_id, voter_id, choice, recorded, expected in rows:
        tally = counts.setdefault(voter_id, [0, 0, 0])
        state = state_of(*tally, policy, guest=voter_id in guests)
        if state != recorded:
            changed.setdefault(state, []).append(vote_id)
        tally[0] += 1
        result = check_result(expected, choice)
        if result is not None:
            tally[1 if result else 2] += 1
    for state, vote_ids in changed.items():
        for start in range(0, len(vote_ids), 10_000):
            chunk = vote_ids[start : start + 10_000]
            session.execute(update(Vote).where(Vote.id.in_(chunk)).values(voter_trust=state))
    session.execute(delete(VoterStanding))
    standings = [
        {
            "user_id": voter_id,
            "votes": votes,
            "checks_passed": passed,
            "checks_failed": failed,
            "state": state_of(votes, passed, failed, policy, guest=voter_id in guests),
        }
        for voter_id, (votes, passed, failed) in sorted(counts.items())
    ]
    if standings:
        session.execute(insert(VoterStanding), standings)
    return sum(len(ids) for ids in changed.values())


def settle_standing(session: Session, user_id: int, policy: Policy) -> str | None:
    """Derive a voter's stored standing again from its counts (a guest who just signed up);
    None for a voter who never voted."""
    counts = _standings.c.votes, _standings.c.checks_passed, _standings.c.checks_failed
    row = session.execute(select(*counts).where(_standings.c.user_id == user_id)).first()
    if row is None:
        return None
    guest = bool(session.scalar(_IS_GUEST, {"user_id": user_id}))
    state = state_of(*row, policy, guest=guest)
    session.execute(_SET_STATE, {"standing_of": user_id, "new_state": state})
    return state


def probation_left(session: Session, user_id: int, policy: Policy) -> dict | None:
    """What a voter on probation still has to do to count: votes and checks; None once
    counted (or excluded, which a voter is not told here: see integrity/appeals.py)."""
    row = session.get(VoterStanding, user_id)
    votes, passed, failed = (row.votes, row.checks_passed, row.checks_failed) if row else (0, 0, 0)
    if state_of(votes, passed, failed, policy) != PROBATION:
        return None
    return {
        "votes": max(0, policy.probation_votes - votes),
        "checks": max(0, policy.probation_checks - passed),
    }

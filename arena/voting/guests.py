"""Guests: visitors who vote on a few battles before signing up.

A guest is a `users` row with `is_guest` set (accounts.create_guest): every rule keyed by the
voter (one judgement per pair, caps, skips, the reveal) applies to it unchanged. Its votes are
recorded and earn points, but `trust.state_of` never counts a guest, and a guest casts at most
as many votes as probation lasts: each of them is a vote a new member would have cast on
probation too, so a replay derives the same trust whether the voter is a guest still or has
signed up since. Signing up (`claim`) makes the same row a member, so the votes, points and
badges stay; they then count as any member's probation votes do once the member graduates.
Guests idle for STALE_AFTER are deleted with everything they left (`purge_stale`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, exists, func, select
from sqlalchemy.orm import Session

from arena.core import accounts
from arena.core.errors import Forbidden
from arena.core.i18n import N_
from arena.game.points import total_points
from arena.models import (
    ApiToken,
    Appeal,
    Battle,
    IntegrityFlag,
    PairTally,
    PointEvent,
    PointTotal,
    QuestionAnswer,
    User,
    UserBadge,
    Vote,
    VoterStanding,
    VoterWeight,
    VoteVerdict,
    VotingStreak,
)
from arena.voting import tallies, trust
from arena.voting.selection import LIVE_ORIGIN

STALE_AFTER = timedelta(days=30)


class GuestLimitReached(Forbidden):
    """A guest's vote past its allowance: nothing is recorded."""


@dataclass(frozen=True)
class Tried:
    """What a guest has done so far, kept when it signs up."""

    votes: int
    points: int


def allowance(configured: int, policy: trust.Policy) -> int:
    """How many votes a guest may cast: the configured number, never more than probation
    lasts (0 where there is no probation: then no one can try without an account)."""
    return max(0, min(configured, policy.probation_votes))


_VOTES_CAST = select(func.count(Vote.id)).where(Vote.voter_id == bindparam("user_id"))


def tried(session: Session, user_id: int) -> Tried:
    votes = session.scalar(_VOTES_CAST, {"user_id": user_id})
    return Tried(votes=votes, points=total_points(session, user_id))


def refuse_past_allowance(session: Session, user_id: int, allowed: int) -> None:
    """Refuse a guest's vote past its allowance. The voter's row is locked first, so two tabs
    voting at once each count the other's vote, and a sign-up in a third waits its turn."""
    locked = select(User.is_guest).where(User.id == user_id).with_for_update()
    if not session.scalar(locked):
        return
    if session.scalar(_VOTES_CAST, {"user_id": user_id}) >= allowed:
        raise GuestLimitReached(
            N_(
                "Guests can vote on %(count)s battles. Sign up to keep voting: your votes and "
                "points come with you. Nothing was recorded."
            ),
            count=allowed,
        )


def claim(
    session: Session, guest: User, username: str, password: str, policy: trust.Policy
) -> Tried:
    """Sign a guest up as `username`; returns the votes and points it keeps. The standing is
    derived again: the member's counts may already take it past probation."""
    accounts.claim_guest(session, guest, username, password)
    trust.settle_standing(session, guest.id, policy)
    return tried(session, guest.id)


def purge_stale(session: Session, now: datetime, idle: timedelta = STALE_AFTER) -> int:
    """Delete guests who neither signed up nor were served or cast anything for `idle`, with
    their battles, votes, points and standings; returns how many. Their votes never counted,
    and leave the pair tallies as `tallies.rebuild` would count them without those votes."""
    since = now - idle
    stale = select(User.id).where(
        User.is_guest.is_(True),
        User.created_at < since,
        ~exists().where(Battle.voter_id == User.id, Battle.served_at >= since),
        ~exists().where(Vote.voter_id == User.id, Vote.created_at >= since),
    )
    # On PostgreSQL the rows are locked until the commit, and a guest whose row is locked (signing
    # up right now) is skipped: its votes must not be deleted under the member it becomes.
    ids = list(session.scalars(stale.order_by(User.id).with_for_update(skip_locked=True, of=User)))
    for start in range(0, len(ids), 500):
        _delete_guests(session, ids[start : start + 500])
    return len(ids)


def _delete_guests(session: Session, ids: list[int]) -> None:
    _untally(session, ids)
    their_votes = select(Vote.id).where(Vote.voter_id.in_(ids))
    session.execute(delete(QuestionAnswer).where(QuestionAnswer.vote_id.in_(their_votes)))
    session.execute(delete(VoteVerdict).where(VoteVerdict.vote_id.in_(their_votes)))
    session.execute(delete(Vote).where(Vote.voter_id.in_(ids)))
    session.execute(delete(Battle).where(Battle.voter_id.in_(ids)))
    for column in (
        VoterStanding.user_id,
        PointEvent.user_id,
        PointTotal.user_id,
        UserBadge.user_id,
        VotingStreak.user_id,
        IntegrityFlag.voter_id,
        VoterWeight.voter_id,
        Appeal.voter_id,
        ApiToken.user_id,
    ):
        session.execute(delete(column.table).where(column.in_(ids)))
    session.execute(delete(User).where(User.id.in_(ids), User.is_guest.is_(True)))


_KEY = ("community_id", "live", "exposure", "attribution", "trust", "model_low_id", "model_high_id")
_TALLY = PairTally.__table__.c
_KEY_MATCHES = and_(*(_TALLY[name] == bindparam(f"k_{name}") for name in _KEY))
_SUBTRACT = (
    PairTally.__table__.update()
    .where(_KEY_MATCHES)
    .values(
        low_wins=_TALLY.low_wins - bindparam("d_low"),
        high_wins=_TALLY.high_wins - bindparam("d_high"),
        ties=_TALLY.ties - bindparam("d_ties"),
    )
)
_EMPTY = PairTally.__table__.delete().where(
    _KEY_MATCHES, _TALLY.low_wins == 0, _TALLY.high_wins == 0, _TALLY.ties == 0
)


def _untally(session: Session, ids: list[int]) -> None:
    """Take the guests' votes off their pairs' tallies (a row left empty goes)."""
    rows = session.execute(
        select(
            Vote.community_id,
            Vote.origin,
            Vote.exposure,
            Vote.attribution,
            Vote.voter_trust,
            Vote.model_a_id,
            Vote.model_b_id,
            Vote.choice,
        ).where(Vote.voter_id.in_(ids))
    )
    removed: dict[tuple, list[int]] = {}
    for community, origin, exposure, attribution, voter_trust, model_a, model_b, choice in rows:
        low, high, cell = tallies.cell_of(model_a, model_b, choice)
        trust_key = voter_trust or tallies.IMPORTED_TRUST
        key = (community, origin == LIVE_ORIGIN, exposure, attribution, trust_key, low, high)
        removed.setdefault(key, [0, 0, 0])[cell] += 1
    for key, (low_wins, high_wins, ties) in sorted(removed.items()):
        params = {f"k_{name}": value for name, value in zip(_KEY, key, strict=True)}
        session.execute(
            _SUBTRACT, {**params, "d_low": low_wins, "d_high": high_wins, "d_ties": ties}
        )
        session.execute(_EMPTY, params)

"""The site's integrity scan: the detectors run over each community's battle log.

Runs after votes, debounced (at most once per `every` across all workers, claimed on the
`integrity_clock` row), never in a vote's transaction, and on demand (`arena integrity-scan`).
Flags and weights are replaced whole at each scan: they are derived from the battles, the
votes and moderators' decisions, so running it again on the same log gives the same result.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from arena.integrity.detection import detect, weights
from arena.integrity.records import DEFAULTS, Ballot, Flag, Settings
from arena.models import (
    Appeal,
    Battle,
    Community,
    IntegrityClock,
    IntegrityFlag,
    LanguageModel,
    Response,
    Vote,
    VoterWeight,
)
from arena.voting import boards, bradley_terry
from arena.voting.selection import BoardKey

CLOCK_ID = 1
_model_a, _model_b = aliased(LanguageModel), aliased(LanguageModel)
_response_a, _response_b = aliased(Response), aliased(Response)


@dataclass(frozen=True)
class ScanResult:
    flags: int
    weighted: dict[int, dict[int, float]]  # community id -> voter id -> weight


def claim(session: Session, now: datetime, every: timedelta) -> bool:
    """Take the next scan if none started within `every`: one worker wins, whatever races."""
    moved = session.execute(
        update(IntegrityClock)
        .where(
            IntegrityClock.id == CLOCK_ID,
            or_(IntegrityClock.last_scan_at.is_(None), IntegrityClock.last_scan_at < now - every),
        )
        .values(last_scan_at=now)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def community_ballots(session: Session, community_id: int) -> list[Ballot]:
    """Every battle of the community a voter voted on or skipped, as the detectors read it."""
    rows = session.execute(
        select(
            Battle.voter_id,
            _model_a.name,
            _model_b.name,
            Battle.status,
            Vote.choice,
            Battle.voted_at,
            Battle.skipped_at,
        )
        .join(_response_a, _response_a.id == Battle.response_a_id)
        .join(_model_a, _model_a.id == _response_a.model_id)
        .join(_response_b, _response_b.id == Battle.response_b_id)
        .join(_model_b, _model_b.id == _response_b.model_id)
        .outerjoin(Vote, Vote.battle_id == Battle.id)
        .where(Battle.community_id == community_id, Battle.status.in_(("voted", "skipped")))
        .order_by(Battle.id)
    )
    ballots = []
    for voter, model_a, model_b, status, choice, voted_at, skipped_at in rows:
        if status == "skipped":
            ballots.append(Ballot(voter, model_a, model_b, "skipped", skipped_at))
        elif choice is not None:
            ballots.append(Ballot(voter, model_a, model_b, choice, voted_at))
    return ballots


def board_strengths(session: Session, slug: str) -> dict[str, float]:
    """The community's Bradley–Terry scores on every vote, to judge choices against."""
    counts = boards.pair_counts(session, BoardKey(community=slug, trust="all"))
    if not counts.models:
        return {}
    return dict(zip(counts.models, bradley_terry.fit(counts).tolist(), strict=True))


def cleared_voters(session: Session) -> set[int]:
    """Voters a moderator cleared on appeal: they count in full whatever a scan finds."""
    return set(session.scalars(select(Appeal.voter_id).where(Appeal.decision == "cleared")))


def run(session: Session, now: datetime, settings: Settings = DEFAULTS) -> ScanResult:
    """Scan every community and replace the flags and weights; returns what was found."""
    session.execute(delete(IntegrityFlag))
    session.execute(delete(VoterWeight))
    cleared = cleared_voters(session)
    found, weighted = 0, {}
    for community_id, slug in session.execute(select(Community.id, Community.slug)):
        ballots = community_ballots(session, community_id)
        if not ballots:
            continue
        flags = detect(ballots, board_strengths(session, slug), settings)
        _store_flags(session, community_id, flags, now)
        found += len(flags)
        weighted[community_id] = weights(flags, cleared)
        _store_weights(session, community_id, weighted[community_id])
    session.execute(update(IntegrityClock).where(IntegrityClock.id == CLOCK_ID).values(flags=found))
    return ScanResult(found, weighted)


def _store_flags(session: Session, community_id: int, flags: list[Flag], now: datetime) -> None:
    if flags:
        session.execute(
            insert(IntegrityFlag),
            [
                {
                    "community_id": community_id,
                    "voter_id": flag.voter_id,
                    "test": flag.test,
                    "subject": flag.subject[:200],
                    "p_value": flag.p_value,
                    "q_value": flag.q_value,
                    "evidence": _plain(flag.evidence),
                    "scanned_at": now,
                }
                for flag in flags
            ],
        )


def _store_weights(session: Session, community_id: int, by_voter: dict[int, float]) -> None:
    if by_voter:
        session.execute(
            insert(VoterWeight),
            [
                {"voter_id": voter, "community_id": community_id, "weight": weight}
                for voter, weight in sorted(by_voter.items())
            ],
        )


def _plain(value):
    """Evidence as JSON can hold it (numpy numbers and tuples become floats and lists)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "item"):
        return value.item()
    return value

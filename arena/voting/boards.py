"""The published boards: Bradley–Terry fits of a community's votes, cached and refreshed.

A fit reads win/tie counts per model pair with one GROUP BY, so it costs the same for a
thousand votes or millions. Boards are cached per process and keyed by the newest vote id
and the last integrity scan; a vote never waits for a fit (see BoardCache for when a board
is refitted).
"""

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from arena.core.communities import find_community
from arena.core.errors import InvalidInput, NotFound
from arena.models import IntegrityClock, LanguageModel, PairTally, Vote, VoterWeight
from arena.voting import bradley_terry, share_cap, style, tallies, trust, voter_cap, voter_weights
from arena.voting.bradley_terry import Board, PairCounts
from arena.voting.selection import (
    GRADUATED,
    BoardKey,
    check_provenance,
    check_source,
    vote_filter,
)

DEFAULT_MIN_VOTES = 50
logger = logging.getLogger(__name__)
HISTORY_POINTS = 8
REFRESH_SECONDS = 5.0  # at most one refit of a board per this many seconds


def pair_counts(session: Session, key: BoardKey, until: datetime | None = None) -> PairCounts:
    """Wins, losses and ties per model pair (both kinds of tie together), up to `until`.

    The whole log is read from the pair tallies kept with every vote; a cut-off in time or a
    language (tallies are not kept per language) has to count the votes themselves."""
    rows, share, min_votes = _weighted_rows(session, key, until)
    if key.voter_cap:
        rows = voter_cap.capped_rows(session, key, rows, share, min_votes, until)
    else:
        rows = share_cap.capped_rows(session, key, rows, share, min_votes, until)
    ids = sorted({model for row in rows for model in row[:2]})
    names = dict(session.execute(select(LanguageModel.id, LanguageModel.name)).tuples().all())
    position = {model: index for index, model in enumerate(ids)}
    return PairCounts.from_rows(
        [names[model] for model in ids],
        [(position[low], position[high], *cells) for low, high, *cells in rows],
    )


def _weighted_rows(session: Session, key: BoardKey, until: datetime | None):
    """The tally rows with the integrity weights taken off (on the published board), and the
    share cap that then applies to them: (rows, share, min model votes)."""
    if until is None and key.language is None:
        rows = session.execute(_tallied(session, key)).all()
        if key.trust == "counted":
            rows = tallies.more(rows, _graduated_probation(session, key))
    else:
        rows = _counted_from_votes(session, key, until)
    if key.trust != "counted":
        return rows, 1.0, 0
    policy = trust.default_policy()  # the published board: flagged voters and the share cap
    rows = voter_weights.discounted_rows(session, key, rows, until)
    return rows, policy.share_cap, policy.share_cap_min_votes


def _whole(voter: int, model_a: int, model_b: int) -> float:
    return 1.0


def cap_factors(session: Session, key: BoardKey) -> Callable[[int, int, int], float]:
    """factor(voter, model a, model b): what the share cap and the voter cap leave of each
    such vote on this board (1.0 for most), for fits that read the votes one by one (style
    control); the integrity weight comes on top of it."""
    if key.trust != "counted" and not key.voter_cap:  # no cap applies: nothing to read
        return _whole
    rows, share, min_votes = _weighted_rows(session, key, None)
    if share >= 1.0 and not key.voter_cap:
        return _whole
    cells = share_cap.voter_cells(session, key)
    factors = {}
    if share < 1.0:
        factors = share_cap.share_factors(cells, share_cap.model_totals(rows), share, min_votes)
    capped = {}
    if key.voter_cap:
        capped = voter_cap.weights(cells, voter_cap.limit_for(key.community), factors)

    def factor(voter: int, model_a: int, model_b: int) -> float:
        return share_cap.cell_weight(factors, voter, model_a, model_b) * capped.get(voter, 1.0)

    return factor


def _graduated_probation(session: Session, key: BoardKey) -> dict:
    """The probation votes of voters counted now, by pair: tallies keep votes by the trust
    they were cast with, so these few (a handful per voter) are counted from the votes."""
    query = vote_filter(
        select(Vote.model_a_id, Vote.model_b_id, Vote.choice, func.count())
        .where(Vote.voter_trust == "probation", GRADUATED)
        .group_by(Vote.model_a_id, Vote.model_b_id, Vote.choice),
        session,
        replace(key, trust="all"),
    )
    added: dict = {}
    for model_a, model_b, choice, count in session.execute(query):
        low, high, cell = tallies.cell_of(model_a, model_b, choice)
        added.setdefault((low, high), [0, 0, 0])[cell] += count
    return added


def _tallied(session: Session, key: BoardKey):
    query = select(
        PairTally.model_low_id,
        PairTally.model_high_id,
        func.sum(PairTally.low_wins),
        func.sum(PairTally.high_wins),
        func.sum(PairTally.ties),
    ).group_by(PairTally.model_low_id, PairTally.model_high_id)
    if key.community:
        query = query.where(PairTally.community_id == find_community(session, key.community).id)
    if key.source != "all":
        check_source(key.source)
        query = query.where(PairTally.live.is_(key.source == "live"))
    check_provenance(key)
    if key.trust == "counted":
        query = query.where(PairTally.trust.in_(("counted", tallies.IMPORTED_TRUST)))
    elif key.trust != "all":
        query = query.where(PairTally.trust == key.trust)
    for name in ("exposure", "attribution"):
        if getattr(key, name) != "all":
            query = query.where(getattr(PairTally, name) == getattr(key, name))
    return query.order_by(PairTally.model_low_id, PairTally.model_high_id)


def _counted_from_votes(session: Session, key: BoardKey, until: datetime | None) -> list[tuple]:
    query = vote_filter(
        select(Vote.model_a_id, Vote.model_b_id, Vote.choice, func.count()).group_by(
            Vote.model_a_id, Vote.model_b_id, Vote.choice
        ),
        session,
        key,
    )
    if until is not None:
        query = query.where(Vote.created_at <= until)
    tallies: dict[tuple[int, int], list[int]] = {}
    for model_a, model_b, choice, count in session.execute(query):
        low, high = sorted((model_a, model_b))
        cell = tallies.setdefault((low, high), [0, 0, 0])
        if choice in ("tie", "both_bad"):
            cell[2] += count
        else:
            winner = model_a if choice == "a" else model_b
            cell[0 if winner == low else 1] += count
    return [(low, high, *cell) for (low, high), cell in sorted(tallies.items())]


def fit_board(session: Session, key: BoardKey):
    """What the key asks for: the board, the scores over time, or the pairwise win rates."""
    with threadpool_limits(1):  # BLAS threads fight the web server's threads for 2 cores
        if key.view == "history":
            return score_history(session, key)
        if key.style and key.view != "matrix":  # fitted from the votes, not the pair counts
            return style.board(session, key, cap_factors(session, key))
        counts = pair_counts(session, key)
        if key.view == "matrix":
            return win_rates(counts)
        return bradley_terry.board(counts, rounds=key.rounds, seed=key.seed)


def score_history(session: Session, key: BoardKey, points: int = HISTORY_POINTS) -> dict:
    """Scores fitted on the votes up to evenly spaced moments (no bootstrap): how boards moved."""
    first, last = session.execute(
        vote_filter(select(func.min(Vote.created_at), func.max(Vote.created_at)), session, key)
    ).one()
    if first is None:
        return {"moments": [], "scores": {}}
    span = last - first
    moments = sorted({first + span * (n + 1) / points for n in range(points)})
    scores: dict[str, list] = {}
    for number, moment in enumerate(moments):
        counts = pair_counts(session, key, until=moment)
        for name, score in zip(counts.models, bradley_terry.fit(counts), strict=True):
            scores.setdefault(name, [None] * len(moments))[number] = round(float(score), 1)
    return {"moments": [m.date().isoformat() for m in moments], "scores": scores}


def win_rates(counts: PairCounts) -> dict:
    """Observed share of A's wins over B (ties as half) for every pair that met."""
    rates: dict[str, dict[str, list]] = {}
    for a, b, won, lost, tied in zip(
        counts.first, counts.second, counts.wins, counts.losses, counts.ties, strict=True
    ):
        games = won + lost + tied
        name_a, name_b = counts.models[a], counts.models[b]
        rates.setdefault(name_a, {})[name_b] = [round((won + tied / 2) / games, 3), int(games)]
        rates.setdefault(name_b, {})[name_a] = [round((lost + tied / 2) / games, 3), int(games)]
    return rates


_VERSION = select(
    func.coalesce(func.max(Vote.id), 0),
    select(IntegrityClock.last_scan_at).where(IntegrityClock.id == 1).scalar_subquery(),
    select(func.count()).select_from(VoterWeight).scalar_subquery(),
    select(func.sum(VoterWeight.weight)).scalar_subquery(),
)


def board_version(session: Session) -> tuple:
    """What a board depends on: the newest vote, the last integrity scan and the voters'
    weights (a moderator clearing an appeal changes them between scans)."""
    return tuple(session.execute(_VERSION).one())


class BoardCache:
    """Per-process boards, each tagged with the newest vote id it has seen.

    After new votes, a board that fitted quickly (a small community) is refitted in the
    request, so boards follow votes live; a slow one is served as it is while one background
    thread refits it, at most once per `refresh_seconds`.
    """

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS, inline_seconds: float = 0.25):
        self.refresh_seconds, self.inline_seconds = refresh_seconds, inline_seconds
        self._boards: dict[BoardKey, tuple[int, float, float, object]] = {}
        self._refreshing: set[BoardKey] = set()
        self._lock = threading.Lock()

    def get(self, session: Session, key: BoardKey, open_session: Callable, wait: bool = True):
        """The board; with `wait=False` a board never fitted yet is None while it is fitted."""
        version = board_version(session)
        cached = self._boards.get(key)
        if cached is None and not wait:
            self._refresh_in_background(key, open_session)
            return None
        if cached is None:
            return self._fit_and_store(session, key, version)
        seen, fitted_at, took, board = cached
        if seen == version:
            return board
        if took <= self.inline_seconds:
            return self._fit_and_store(session, key, version)
        if time.monotonic() - fitted_at >= self.refresh_seconds:
            self._refresh_in_background(key, open_session)
        return board

    def clear(self) -> None:
        with self._lock:
            self._boards.clear()

    def _fit_and_store(self, session: Session, key: BoardKey, version: tuple):
        started = time.monotonic()
        board = fit_board(session, key)
        with self._lock:
            self._boards[key] = (version, time.monotonic(), time.monotonic() - started, board)
        return board

    def _refresh_in_background(self, key: BoardKey, open_session: Callable) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def refit():
            try:
                with open_session() as session:
                    self._fit_and_store(session, key, board_version(session))
            except Exception:  # noqa: BLE001 - the previous board stays; the next request retries
                logger.exception("Refitting the board %s failed", key)
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        threading.Thread(target=refit, daemon=True, name="board-refit").start()


def position_bias(session: Session, community: str | None = None) -> dict:
    """How often the left answer wins decisive live votes (a = left on every live vote)."""
    key = BoardKey(community=community, source="live")
    query = vote_filter(
        select(Vote.choice, func.count()).where(Vote.choice.in_(("a", "b"))).group_by(Vote.choice),
        session,
        key,
    )
    counts = dict(session.execute(query).tuples().all())
    decisive = counts.get("a", 0) + counts.get("b", 0)
    return {
        "decisive_votes": decisive,
        "left_wins": counts.get("a", 0),
        "left_win_rate": round(counts.get("a", 0) / decisive, 4) if decisive else None,
    }


def parse_anchor(text: str | None, separator: str) -> tuple[str, float] | None:
    """ "MODEL<separator>SCORE" (split at the last separator: model names may hold it)."""
    if not text:
        return None
    name, found, score = text.rpartition(separator)
    try:
        value = float(score)
    except ValueError:
        value = math.nan
    if not found or not name or not math.isfinite(value) or abs(value) > 1e6:
        raise InvalidInput(f"anchor must be MODEL{separator}SCORE, e.g. GPT-4{separator}1100")
    return name, value


def bt_leaderboard(board: Board, anchor=None, min_votes: int = DEFAULT_MIN_VOTES) -> dict:
    """The published board's JSON: best first, intervals, CI-aware ranks, preliminary flags."""
    if anchor is not None:
        if anchor[0] not in board.models:
            raise NotFound(f"There is no model called '{anchor[0]}' on this board.")
        shift = anchor[1] - float(board.scores[board.models.index(anchor[0])])
        board = Board(
            board.models,
            board.scores + shift,
            board.lower + shift,
            board.upper + shift,
            board.votes,
        )
    return {"method": "bt", "models": board.rows(min_votes)}

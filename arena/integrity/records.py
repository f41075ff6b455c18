"""What the detectors read and write: ballots in, flags out, and the settings in between."""

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import numpy as np
from scipy.stats import false_discovery_control

from arena.voting import bradley_terry

OUTCOMES = ("a", "b", "tie", "both_bad", "skipped")
TIES = frozenset({"tie", "both_bad"})


@dataclass(frozen=True)
class Ballot:
    """One battle served to a voter: the two models shown and what the voter did with it.

    `outcome` is a choice ('a', 'b', 'tie', 'both_bad') or 'skipped' (left unvoted); `at` is
    when it was cast or skipped, a datetime or seconds on any fixed clock.
    """

    voter_id: Hashable
    model_a: str
    model_b: str
    outcome: str
    at: datetime | float = 0.0

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {self.outcome!r}")

    @property
    def voted(self) -> bool:
        return self.outcome != "skipped"

    @property
    def seconds(self) -> float:
        return self.at.timestamp() if isinstance(self.at, datetime) else float(self.at)

    @property
    def pair(self) -> tuple[str, str]:
        return tuple(sorted((self.model_a, self.model_b)))

    def shows(self, model: str) -> bool:
        return model in (self.model_a, self.model_b)

    def opponent_of(self, model: str) -> str:
        return self.model_b if model == self.model_a else self.model_a

    def score_for(self, model: str) -> float:
        """1 for a vote for `model`, 0.5 for a tie or both-bad, 0 for a vote against it."""
        if self.outcome in TIES:
            return 0.5
        return 1.0 if self.winner == model else 0.0

    @property
    def winner(self) -> str | None:
        """The model voted for; None for ties, both-bad and skips."""
        return {"a": self.model_a, "b": self.model_b}.get(self.outcome)


@dataclass(frozen=True)
class Flag:
    """One finding against one voter, with the numbers a moderator needs to judge it.

    `subject` says what the finding is about: a model (affinity, selective), a bloc (bloc),
    or a time window (burst). Threshold rules (burst) have no p- or q-value.
    """

    voter_id: Hashable
    test: str
    subject: str
    p_value: float | None
    q_value: float | None
    evidence: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Each statistical test controls its false-discovery rate at `alpha` (Benjamini–Hochberg
    over all the cells it tests), and also needs an effect big enough to matter: with
    thousands of votes a tiny, honest lean becomes significant, and moderators should not
    see it."""

    alpha: float = 0.05
    # affinity: cells (voter × model) with fewer votes showing the model are not tested
    min_votes: int = 8
    # affinity: share of points won by the model minus the share the board predicts
    min_excess: float = 0.25
    # selective: skip rate when the model is shown minus when it is not (either sign)
    min_skip_gap: float = 0.4
    # burst: more than `burst_max_votes` votes within any `burst_window_seconds`
    burst_window_seconds: float = 300.0
    burst_max_votes: int = 15
    # bloc: pairs of voters with fewer matched votes on shared model pairs are not tested
    bloc_min_shared: int = 10
    # bloc: agreement share minus the share the board predicts
    bloc_min_excess: float = 0.25
    # the board is refitted without the flagged voters and the tests rerun, until the flags
    # repeat or this many fits were made: a large bloc drags the board its way, and against
    # a dragged board honest voters look like a bloc and the bloc looks ordinary
    board_fits: int = 4


DEFAULTS = Settings()


def board_odds(strengths: Mapping[str, float]) -> Callable[[str, str], float]:
    """chance(model, opponent): P(model beats opponent) on the board, ties counted as half.
    An unrated model gets the board's mean, i.e. no opinion about it."""
    fallback = float(np.mean(list(strengths.values()))) if strengths else 0.0

    @cache
    def chance(model: str, opponent: str) -> float:
        return bradley_terry.win_probability(
            strengths.get(model, fallback), strengths.get(opponent, fallback)
        )

    return chance


def tie_rate(ballots: Iterable[Ballot]) -> float:
    """Share of cast votes that are ties or both-bad."""
    votes = [b for b in ballots if b.voted]
    return sum(b.outcome in TIES for b in votes) / len(votes) if votes else 0.0


def q_values(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values over one family of tests."""
    p = np.asarray(p_values, dtype=float)
    return false_discovery_control(p, method="bh") if p.size else p


def voter_order(voter_id: Hashable) -> tuple[str, str]:
    """A sort key for voter ids of mixed types; integer ids sort as numbers (up to 20 digits)."""
    shown = f"{voter_id:>20}" if isinstance(voter_id, int) else str(voter_id)
    return type(voter_id).__name__, shown


def ballot_order(ballot: Ballot) -> tuple:
    return ballot.seconds, voter_order(ballot.voter_id), ballot.model_a, ballot.model_b


def sorted_flags(flags: Iterable[Flag]) -> list[Flag]:
    return sorted(flags, key=lambda f: (f.test, voter_order(f.voter_id), f.subject))


def fit_board(ballots: Iterable[Ballot], voter_weights: Mapping[Hashable, float]) -> dict:
    """The Bradley–Terry board (Elo scale) on the cast votes, each voter's votes counted with
    their weight (1.0 unless listed), ties and both-bad as half."""
    votes = [b for b in ballots if b.voted and voter_weights.get(b.voter_id, 1.0) > 0]
    models = sorted({m for b in votes for m in (b.model_a, b.model_b)})
    index = {m: i for i, m in enumerate(models)}
    tallies: dict[tuple[int, int], list[float]] = {}
    for ballot in votes:
        cell = tallies.setdefault((index[ballot.model_a], index[ballot.model_b]), [0.0] * 3)
        column = 2 if ballot.winner is None else int(ballot.winner == ballot.model_b)
        cell[column] += voter_weights.get(ballot.voter_id, 1.0)
    rows = [(*pair, *cell) for pair, cell in tallies.items()]
    counts = bradley_terry.PairCounts.from_rows(models, rows)
    return dict(zip(models, bradley_terry.fit(counts).tolist(), strict=True))

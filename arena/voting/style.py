"""Style control: a Bradley–Terry fit that also weighs answer length and markdown, as LMArena
publishes it, so a model is not ranked up only for writing longer or more decorated answers.

Each vote becomes a logistic-regression row: +1/-1 for the two models and, per style feature,
the normalised difference (a - b) / (a + b) of the two answers, standardised over the votes.
The model coefficients are the style-controlled scores; the style coefficients say how much
each feature sways voters. Only votes whose two answers we hold count (imported battles without
text do not).
"""

import re
from collections.abc import Callable

import numpy as np
from scipy import sparse
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session, aliased

from arena.models import LanguageModel, Response, Vote, VoterWeight
from arena.voting import bradley_terry
from arena.voting.bradley_terry import Board
from arena.voting.selection import vote_filter

FEATURES = ("length", "headers", "lists", "bold")
PATTERNS = {
    "headers": re.compile(r"^#{1,6}\s", re.MULTILINE),
    "lists": re.compile(r"^\s*(?:[-*+]|\d+[.)])\s", re.MULTILINE),
    "bold": re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__"),
}
NEWTON_STEPS = 30
TOLERANCE = 1e-6  # in natural-log strength: under a thousandth of a point
RIDGE = 1e-6


def style_features(text: str) -> np.ndarray:
    """Length in characters and counts of markdown headers, list items and bold spans."""
    counts = [len(text)] + [len(PATTERNS[name].findall(text)) for name in FEATURES[1:]]
    return np.asarray(counts, dtype=float)


def board(session: Session, key, cap_factor: Callable[[int, int, int], float]) -> Board:
    """The style-controlled board of the key's votes, each weighing what the board's integrity
    weights and caps leave of it (`cap_factor`: boards.cap_factors), like the plain board."""
    voted = _vote_rows(session, key)
    rows = [row[:5] for row in voted]
    models = sorted({row[0] for row in rows} | {row[1] for row in rows})
    names = dict(session.execute(select(LanguageModel.id, LanguageModel.name)).tuples().all())
    design, won, games = _design(rows, models)
    weight = np.array([integrity * cap_factor(voter, a, b) for a, b, *_, voter, integrity in voted])
    won, games = won * weight, games * weight
    strengths = _fit_rounds(design, won, games, len(models), key.rounds, key.seed)
    scores = bradley_terry._to_elo(strengths[0])
    samples = bradley_terry._to_elo(strengths[1:]) if key.rounds else scores[None, :]
    lower, upper = np.percentile(samples, [2.5, 97.5], axis=0)
    votes = np.bincount([models.index(r[0]) for r in rows], minlength=len(models)) + np.bincount(
        [models.index(r[1]) for r in rows], minlength=len(models)
    )
    return Board([names[m] for m in models], scores, lower, upper, votes)


def _vote_rows(session: Session, key) -> list[tuple]:
    """(model a, model b, choice, text a, text b, voter, integrity weight) of every vote with
    both answers held; the weight is the scan's on the published board (trust "counted"),
    else 1."""
    answer_a, answer_b = aliased(Response), aliased(Response)
    published = key.trust == "counted"
    weight = func.coalesce(VoterWeight.weight, 1.0) if published else literal(1.0)
    query = (
        select(
            Vote.model_a_id,
            Vote.model_b_id,
            Vote.choice,
            answer_a.text,
            answer_b.text,
            Vote.voter_id,
            weight,
        )
        .join(
            answer_a,
            (answer_a.prompt_id == Vote.prompt_id) & (answer_a.model_id == Vote.model_a_id),
        )
        .join(
            answer_b,
            (answer_b.prompt_id == Vote.prompt_id) & (answer_b.model_id == Vote.model_b_id),
        )
    )
    if published:
        query = query.outerjoin(
            VoterWeight,
            (VoterWeight.voter_id == Vote.voter_id)
            & (VoterWeight.community_id == Vote.community_id),
        )
    return session.execute(vote_filter(query, session, key)).tuples().all()


def _design(rows, models):
    """Sparse rows: model indicators (+1 a, -1 b) then standardised style differences."""
    position = {model: index for index, model in enumerate(models)}
    features: dict[str, np.ndarray] = {}  # a few hundred answers serve thousands of votes

    def of(text: str) -> np.ndarray:
        if text not in features:
            features[text] = style_features(text)
        return features[text]

    style = np.array([_difference(of(a), of(b)) for *_, a, b in rows]).reshape(-1, len(FEATURES))
    if len(rows):
        spread = style.std(axis=0)
        style = (style - style.mean(axis=0)) / np.where(spread > 0, spread, 1)
    number = np.arange(len(rows))
    indicators = sparse.csr_matrix(
        (
            np.r_[np.ones(len(rows)), -np.ones(len(rows))],
            (
                np.r_[number, number],
                [position[r[0]] for r in rows] + [position[r[1]] for r in rows],
            ),
        ),
        shape=(len(rows), len(models)),
    )
    design = sparse.hstack([indicators, sparse.csr_matrix(style)]).tocsr()
    choice = np.array([r[2] for r in rows])
    won = np.where(choice == "a", 1.0, np.where(choice == "b", 0.0, 0.5))
    return design, won, np.ones(len(rows))


def _fit_rounds(design, won, games, models: int, rounds: int, seed: int) -> np.ndarray:
    """Row 0: the fit on all votes; rows 1..rounds: fits on resampled votes."""
    rng = np.random.default_rng(seed)
    weights = [games] + list(
        rng.multinomial(len(games), np.full(len(games), 1 / len(games)), rounds)
    )
    full = _fit(design, won, games, models, np.zeros(design.shape[1]))
    # Resamples start from the full fit: a few Newton steps each instead of a dozen.
    return np.array(
        [full[:models]]
        + [_fit(design, won * w, games * w, models, full)[:models] for w in weights[1:]]
    )


def _fit(design, won, games, models: int, start: np.ndarray) -> np.ndarray:
    """Newton's method on one weighted logistic likelihood; model strengths centred."""
    parameters = start.copy()
    centring = np.zeros((design.shape[1], design.shape[1]))
    centring[:models, :models] = 1.0 / models
    for _ in range(NEWTON_STEPS):
        p = bradley_terry._sigmoid(design @ parameters)
        gradient = design.T @ (won - games * p) - RIDGE * parameters
        curvature = design.T @ sparse.diags(games * p * (1 - p)) @ design
        hessian = curvature.toarray() + RIDGE * np.eye(len(parameters)) + centring
        step = np.linalg.solve(hessian, gradient)
        parameters += step
        parameters[:models] -= parameters[:models].mean()
        if np.abs(step).max() < TOLERANCE:
            break
    return parameters


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total = a + b
    return np.divide(a - b, total, out=np.zeros_like(total), where=total > 0)

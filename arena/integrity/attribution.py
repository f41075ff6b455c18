"""Does an uploaded answer read like the model it is claimed for?

Shared chats name their models, and nobody can verify those names: "model X said Y" is a
rigging vector. Where the claimed model is a contestant this site runs in process, it can be
asked: the claimed answer's mean log-probability per token under the model, against the same
measure for the model's own answers to the same conversation. Text the model would hardly
write scores far lower (a few nats per token); an outlier goes to moderators, the vote log and
the answer stay as they are.
"""

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.custom.backends import available_models, embedded, generate
from arena.custom.backends.config import Catalogue
from arena.models import AttributionCheck, LanguageModel, Prompt, Response

OWN_SAMPLES = 2
# How much less likely (nats per token) than the model's own answers a claimed answer may be.
# Sampled answers of one model sit within about 0.5 of each other; other authors' text, even a
# close paraphrase, falls 1.5 to 6 below (tests/test_attribution.py).
MARGIN = 1.5


@dataclass(frozen=True)
class Outlier:
    response_id: int
    model: str
    prompt: str
    claimed_logprob: float
    own_logprob: float


def unchecked_claims(session: Session, slugs: list[str], limit: int) -> list[tuple]:
    """(response, prompt, model slug) of uploaded answers claimed as these models, unchecked."""
    return session.execute(
        select(Response, Prompt, LanguageModel.slug)
        .join(Prompt, Prompt.id == Response.prompt_id)
        .join(LanguageModel, LanguageModel.id == Response.model_id)
        .outerjoin(AttributionCheck, AttributionCheck.response_id == Response.id)
        .where(
            Prompt.origin == "shared_chat",
            LanguageModel.slug.in_(slugs),
            AttributionCheck.response_id.is_(None),
        )
        .order_by(Response.id)
        .limit(limit)
    ).all()


def check_claims(
    session: Session, catalogue: Catalogue, at: datetime, limit: int = 50
) -> list[AttributionCheck]:
    """Check up to `limit` unchecked claims on the in-process contestants; returns the checks."""
    runnable = {m.slug: m for m in available_models(catalogue) if m.backend == "embedded"}
    checks = []
    for response, prompt, slug in unchecked_claims(session, sorted(runnable), limit):
        conversation = [*(prompt.context or []), {"role": "user", "content": prompt.text}]
        check = score(runnable[slug], conversation, response.text)
        checks.append(
            AttributionCheck(
                response_id=response.id,
                model_id=response.model_id,
                claimed_logprob=check[0],
                own_logprob=check[1],
                outlier=check[0] < check[1] - MARGIN,
                checked_at=at,
            )
        )
    session.add_all(checks)
    session.flush()
    return checks


def score(config, conversation: list[dict], claimed: str) -> tuple[float, float]:
    """(claimed answer's score, the mean score of the model's own answers), nats per token."""
    own = [generate(config, conversation, seed=seed)[0] for seed in range(1, OWN_SAMPLES + 1)]
    own_scores = [embedded.answer_logprob(config, conversation, text) for text in own if text]
    return (
        embedded.answer_logprob(config, conversation, claimed),
        statistics.fmean(own_scores),
    )


def outliers(session: Session) -> list[Outlier]:
    """Claimed answers that do not read like their model, for moderators."""
    rows = session.execute(
        select(AttributionCheck, LanguageModel.name, Prompt.text)
        .join(Response, Response.id == AttributionCheck.response_id)
        .join(Prompt, Prompt.id == Response.prompt_id)
        .join(LanguageModel, LanguageModel.id == AttributionCheck.model_id)
        .where(AttributionCheck.outlier.is_(True))
        .order_by(AttributionCheck.response_id)
    ).all()
    return [
        Outlier(check.response_id, name, text[:200], check.claimed_logprob, check.own_logprob)
        for check, name, text in rows
    ]

"""What the site knows about one model: ratings per scope and live-answer speed per backend."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.core.errors import NotFound
from arena.core.i18n import N_
from arena.models import LanguageModel, Prompt, Rating, Response
from arena.voting.ratings import conservative_score


def model_profile(session: Session, slug: str) -> dict:
    model = session.scalar(select(LanguageModel).where(LanguageModel.slug == slug))
    if model is None:
        raise NotFound(N_("No model called '%(slug)s'."), slug=slug)
    ratings = session.scalars(
        select(Rating).where(Rating.model_id == model.id, Rating.votes > 0).order_by(Rating.scope)
    )
    speed = session.execute(
        select(
            Response.backend,
            func.count(),
            func.avg(Response.latency_seconds),
            func.avg(Response.time_to_first_token_seconds),
            func.avg(Response.tokens_per_second),
            func.avg(Response.completion_tokens),
        )
        .join(Prompt, Prompt.id == Response.prompt_id)
        # A custom battle's figures appear once it is voted on: earlier they would hint
        # which two models its asker got.
        .where(
            Response.model_id == model.id,
            Response.tokens_per_second.isnot(None),
            Prompt.is_active.is_(True),
        )
        .group_by(Response.backend)
    )
    return {
        "slug": model.slug,
        "name": model.name,
        "organization": model.organization,
        "active": model.is_active,
        "ratings": [
            {
                "scope": r.scope,
                "score": round(conservative_score(r.mu, r.sigma), 2),
                "mu": round(r.mu, 2),
                "sigma": round(r.sigma, 2),
                "votes": r.votes,
            }
            for r in ratings
        ],
        "speed": [
            {
                "backend": backend,
                "answers": answers,
                "latency_seconds": _round(latency),
                "time_to_first_token_seconds": _round(first),
                "tokens_per_second": _round(tps, 1),
                "completion_tokens": _round(tokens, 1),
            }
            for backend, answers, latency, first, tps, tokens in speed
        ],
    }


def _round(value, digits=2):
    return round(float(value), digits) if value is not None else None

"""Model leaderboards read from the derived ratings table."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.models import OVERALL, LanguageModel, Rating
from arena.voting.ratings import conservative_score


def model_leaderboard(session: Session, community_slug: str | None = None) -> dict:
    """Models ranked by the conservative TrueSkill score (mu - 3 sigma), best first."""
    scope = community_slug or OVERALL
    rows = session.execute(
        select(Rating, LanguageModel.name)
        .join(LanguageModel, LanguageModel.id == Rating.model_id)
        .where(Rating.scope == scope, Rating.votes > 0)
    ).all()
    models = [
        {
            "model": name,
            "score": round(conservative_score(rating.mu, rating.sigma), 3),
            "mu": round(rating.mu, 3),
            "sigma": round(rating.sigma, 3),
            "votes": rating.votes,
            "wins": rating.wins,
            "losses": rating.losses,
            "ties": rating.ties,
        }
        for rating, name in rows
    ]
    models.sort(key=lambda row: (-row["score"], row["model"]))
    return {"method": "trueskill", "community": community_slug, "models": models}


def with_ranks(models: list[dict]) -> list[dict]:
    """Standard competition ranks (1, 2, 2, 4): equal scores share a rank."""
    ranked, previous_score, rank = [], None, 0
    for position, row in enumerate(models, start=1):
        if row["score"] != previous_score:
            rank, previous_score = position, row["score"]
        ranked.append({**row, "rank": rank})
    return ranked

"""Automatic evaluation from the feedback inside shared chats (pipeline B)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.chats.mining import FeedbackEvent, summarise_feedback
from arena.models import Community, LanguageModel
from arena.models.chats import AnswerFeedback


def _events(session: Session, community_slug: str | None) -> list[FeedbackEvent]:
    query = select(AnswerFeedback, LanguageModel.name).join(
        LanguageModel, LanguageModel.id == AnswerFeedback.model_id
    )
    if community_slug:
        query = query.join(Community, Community.id == AnswerFeedback.community_id).where(
            Community.slug == community_slug
        )
    return [
        FeedbackEvent(
            chat_fingerprint=str(row.chat_id),
            prompt_id=row.prompt_key,
            message_id=row.message_key,
            model=name,
            rating=row.rating,
            regenerated=row.regenerated,
            completion_tokens=row.completion_tokens,
            generation_seconds=row.generation_seconds,
            self_identifies=row.self_identifies,
        )
        for row, name in session.execute(query.order_by(AnswerFeedback.id))
    ]


def _rounded(value, digits=3):
    return round(value, digits) if value is not None else None


def feedback_stats(session: Session, community_slug: str | None = None) -> dict:
    """Per model: thumbs, satisfaction with a Wilson 95 % interval, regenerations, implicit
    preferences and generation speed, most satisfying first."""
    models = []
    for name, stats in summarise_feedback(_events(session, community_slug)).items():
        interval = stats.satisfaction_interval
        models.append(
            {
                "model": name,
                "answers": stats.answers,
                "thumbs_up": stats.ups,
                "thumbs_down": stats.downs,
                "satisfaction": _rounded(stats.satisfaction),
                "satisfaction_interval": [_rounded(interval[0]), _rounded(interval[1])]
                if interval
                else None,
                "regeneration_rate": _rounded(stats.regeneration_rate),
                "preferred_over": stats.wins,
                "less_preferred_than": stats.losses,
                "tokens_per_second": _rounded(stats.tokens_per_second, 1),
                "timed_answers": stats.speed_count,
            }
        )
    models.sort(key=lambda m: (-(m["satisfaction_interval"] or [0])[0], m["model"]))
    return {"community": community_slug, "confidence": 0.95, "models": models}

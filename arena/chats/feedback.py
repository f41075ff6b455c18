"""Automatic evaluation from the feedback inside shared chats (pipeline B)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.chats.mining import FeedbackEvent, summarise_feedback
from arena.models import Community, LanguageModel
from arena.models.chats import ACCEPTED, AnswerFeedback, SharedChat

# Open WebUI's reason codes, as its rating form shows them.
REASON_LABELS = {
    "accurate_information": "Accurate information",
    "followed_instructions_perfectly": "Followed instructions perfectly",
    "showcased_creativity": "Showcased creativity",
    "positive_attitude": "Positive attitude",
    "attention_to_detail": "Attention to detail",
    "thorough_explanation": "Thorough explanation",
    "dont_like_the_style": "Don't like the style",
    "too_verbose": "Too verbose",
    "not_helpful": "Not helpful",
    "not_factually_correct": "Not factually correct",
    "didnt_fully_follow_instructions": "Didn't fully follow instructions",
    "refused_when_it_shouldnt_have": "Refused when it shouldn't have",
    "being_lazy": "Being lazy",
    "other": "Other",
}


def reason_label(code: str) -> str:
    """The words for a reason code; a code this list lacks (a newer version's) spelled out."""
    return REASON_LABELS.get(code) or code.replace("_", " ").capitalize()


def _events(session: Session, community_slug: str | None) -> list[FeedbackEvent]:
    # Only what auditors accepted counts: a model first seen in an upload appears nowhere until
    # a chat with its answers is accepted.
    query = (
        select(AnswerFeedback, LanguageModel.name)
        .join(LanguageModel, LanguageModel.id == AnswerFeedback.model_id)
        .join(SharedChat, SharedChat.id == AnswerFeedback.chat_id)
        .where(SharedChat.review_status == ACCEPTED)
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
            failed=row.failed,
            detail_rating=row.detail_rating,
            reason=row.reason,
            tags=row.feedback_tags or [],
        )
        for row, name in session.execute(query.order_by(AnswerFeedback.id))
    ]


def _rounded(value, digits=3):
    return round(value, digits) if value is not None else None


def feedback_stats(session: Session, community_slug: str | None = None) -> dict:
    """Per model: thumbs, satisfaction with a Wilson 95 % interval, the 1-10 ratings, reasons
    and tags, regenerations, failures, implicit preferences and generation speed (None when
    no answer reported tokens and time), most satisfying first."""
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
                "failures": stats.failures,
                "detail_rating": _rounded(stats.mean_detail_rating, 2),
                "detail_ratings": len(stats.detail_ratings),
                "reasons": [
                    {"code": code, "label": reason_label(code), "count": count}
                    for code, count in sorted(stats.reasons.items(), key=lambda r: (-r[1], r[0]))
                ],
                "tags": dict(sorted(stats.tags.items(), key=lambda t: (-t[1], t[0]))),
            }
        )
    models.sort(key=lambda m: (-(m["satisfaction_interval"] or [0])[0], m["model"]))
    return {"community": community_slug, "confidence": 0.95, "models": models}

"""What shared chats give the arena: blind pairs to vote on, and feedback statistics per model.

A prompt is a user message with at least one answer under it. Its context is the conversation
before it: the path from the first message down to the user message through parent_id. Every
message has exactly one parent, so there is one path and no branch to choose; the earlier
answer on that path is the one the user went on from (in Open WebUI, the answer on screen when
they typed the follow-up). System messages are left out of the context, which voters see.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

from scipy.stats import binomtest

from arena.chats.formats import ChatMessage, ParsedChat
from arena.chats.formats.fields import UNKNOWN_MODEL
from arena.chats.identity import self_identifies
from arena.core.language import turn_language

CONFIDENCE = 0.95


@dataclass
class MinedAnswer:
    message_id: str
    model: str | None
    text: str
    rating: int | None
    completion_tokens: int | None
    generation_seconds: float | None
    self_identifies: bool


@dataclass
class MinedPrompt:
    context: list[dict]  # [{"role": "user" | "assistant", "content": str}, ...], oldest first
    text: str
    answers: list[MinedAnswer]  # the answers under the user message, oldest first
    message_id: str = ""  # the user message
    context_self_identifies: bool = False  # an earlier answer in the context names its model

    @cached_property
    def language(self) -> str | None:
        """Detected when first asked for (drafts only count pairs)."""
        return turn_language(self.text, self.context)


@dataclass
class FeedbackEvent:
    """One answer with a known model, as feedback: its thumb, whether it was regenerated."""

    chat_fingerprint: str
    prompt_id: str | None  # the message answered; siblings share it
    message_id: str
    model: str
    rating: int | None
    regenerated: bool
    completion_tokens: int | None
    generation_seconds: float | None
    self_identifies: bool
    failed: bool = False  # an error or no text: counted as a failure, not as an answer
    detail_rating: int | None = None
    reason: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class ModelFeedback:
    model: str
    answers: int = 0
    ups: int = 0
    downs: int = 0
    regenerated: int = 0
    wins: dict[str, int] = field(default_factory=dict)  # opponent → times preferred over it
    losses: dict[str, int] = field(default_factory=dict)  # opponent → times it was preferred
    speeds: list[float] = field(default_factory=list)  # tokens per second, one per timed answer
    failures: int = 0
    detail_ratings: list[int] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)

    @property
    def mean_detail_rating(self) -> float | None:
        ratings = self.detail_ratings
        return sum(ratings) / len(ratings) if ratings else None

    @property
    def satisfaction(self) -> float | None:
        """Share of thumbs that were up; None without thumbs."""
        rated = self.ups + self.downs
        return self.ups / rated if rated else None

    @property
    def satisfaction_interval(self) -> tuple[float, float] | None:
        """Wilson score interval (95 %) for the satisfaction rate."""
        rated = self.ups + self.downs
        if not rated:
            return None
        interval = binomtest(self.ups, rated).proportion_ci(CONFIDENCE, method="wilson")
        return float(interval.low), float(interval.high)

    @property
    def regeneration_rate(self) -> float | None:
        return self.regenerated / self.answers if self.answers else None

    @property
    def tokens_per_second(self) -> float | None:
        """Mean generation speed over the answers that report tokens and time."""
        return sum(self.speeds) / len(self.speeds) if self.speeds else None

    @property
    def speed_count(self) -> int:
        return len(self.speeds)


def mine_prompts(chat: ParsedChat) -> list[MinedPrompt]:
    """Every user message that has non-empty answers, with its context, in tree order."""
    by_id = {message.id: message for message in chat.messages}
    children = _children(chat)
    prompts = []
    for message in chat.messages:
        if message.role != "user" or not message.content.strip():
            continue
        replies = [m for m in children.get(message.id, []) if m.role == "assistant"]
        answers = [_mined_answer(m) for m in replies if not m.failed]
        if not answers:
            continue
        path = [m for m in _path_to(message, by_id) if m.role in ("user", "assistant")]
        prompts.append(
            MinedPrompt(
                context=[{"role": m.role, "content": m.content} for m in path],
                text=message.content,
                answers=answers,
                message_id=message.id,
                context_self_identifies=any(
                    m.role == "assistant" and self_identifies(m.content) for m in path
                ),
            )
        )
    return prompts


def candidate_pairs(prompt: MinedPrompt) -> list[tuple[MinedAnswer, MinedAnswer]]:
    """Blind pairs: one answer per model, every two models once.

    A model's answer is its rated-up one, else its latest; answers that name their model, and
    answers without a (known) model, take no part. Regenerations by one model never pair up.
    """
    chosen: dict[str, tuple[tuple[bool, int], MinedAnswer]] = {}
    for position, answer in enumerate(prompt.answers):
        if answer.model in (None, UNKNOWN_MODEL) or answer.self_identifies:
            continue
        preference = (answer.rating == 1, position)
        if answer.model not in chosen or preference > chosen[answer.model][0]:
            chosen[answer.model] = (preference, answer)
    return list(combinations([answer for _, answer in chosen.values()], 2))


def feedback_events(chat: ParsedChat) -> list[FeedbackEvent]:
    """One event per answer with a model, in tree order; failed answers are events too.

    An answer counts as regenerated when a later sibling comes from the same model: the user
    asked that model again (after a failure too). Answers of other models side by side (Open
    WebUI's multi-model chats) are not regenerations of each other.
    """
    children = _children(chat)
    events = []
    for message in chat.messages:
        if message.role != "assistant" or message.model in (None, UNKNOWN_MODEL):
            continue
        siblings = children[message.parent_id]
        later = siblings[siblings.index(message) + 1 :]
        events.append(
            FeedbackEvent(
                chat_fingerprint=chat.fingerprint,
                prompt_id=message.parent_id,
                message_id=message.id,
                model=message.model,
                rating=message.rating,
                regenerated=any(m.role == "assistant" and m.model == message.model for m in later),
                completion_tokens=message.completion_tokens,
                generation_seconds=message.generation_seconds,
                self_identifies=self_identifies(message.content),
                failed=message.failed,
                detail_rating=message.detail_rating,
                reason=message.reason,
                tags=list(message.feedback_tags),
            )
        )
    return events


def preference_pairs(events: list[FeedbackEvent]) -> list[tuple[str, str]]:
    """(winner, loser) models where, under one message, the user rated an answer of one model
    up and an answer of another model down; once per message and pair of models."""
    groups: dict[tuple[str, str | None], list[FeedbackEvent]] = defaultdict(list)
    for event in events:
        groups[(event.chat_fingerprint, event.prompt_id)].append(event)
    pairs = []
    for siblings in groups.values():
        ups = _unique(e.model for e in siblings if e.rating == 1)
        downs = _unique(e.model for e in siblings if e.rating == -1)
        pairs += [(winner, loser) for winner in ups for loser in downs if winner != loser]
    return pairs


def summarise_feedback(events: list[FeedbackEvent]) -> dict[str, ModelFeedback]:
    """Feedback per model, ordered by model name. Self-identifying answers count here too."""
    stats: dict[str, ModelFeedback] = {}
    for event in events:
        model = stats.setdefault(event.model, ModelFeedback(event.model))
        if event.failed:
            model.failures += 1
            continue
        _count_answer(model, event)
    for winner, loser in preference_pairs([e for e in events if not e.failed]):
        stats[winner].wins[loser] = stats[winner].wins.get(loser, 0) + 1
        stats[loser].losses[winner] = stats[loser].losses.get(winner, 0) + 1
    return dict(sorted(stats.items()))


def _count_answer(model: ModelFeedback, event: FeedbackEvent) -> None:
    model.answers += 1
    model.ups += event.rating == 1
    model.downs += event.rating == -1
    model.regenerated += event.regenerated
    if event.completion_tokens and event.generation_seconds:
        model.speeds.append(event.completion_tokens / event.generation_seconds)
    if event.detail_rating is not None:
        model.detail_ratings.append(event.detail_rating)
    if event.reason:
        model.reasons[event.reason] = model.reasons.get(event.reason, 0) + 1
    for tag in event.tags:
        model.tags[tag] = model.tags.get(tag, 0) + 1


def _mined_answer(message: ChatMessage) -> MinedAnswer:
    return MinedAnswer(
        message_id=message.id,
        model=message.model,
        text=message.content,
        rating=message.rating,
        completion_tokens=message.completion_tokens,
        generation_seconds=message.generation_seconds,
        self_identifies=self_identifies(message.content),
    )


def _children(chat: ParsedChat) -> dict[str | None, list[ChatMessage]]:
    """Children per parent id, in tree order (which is sibling order)."""
    children: dict[str | None, list[ChatMessage]] = defaultdict(list)
    for message in chat.messages:
        children[message.parent_id].append(message)
    return children


def _path_to(message: ChatMessage, by_id: dict[str, ChatMessage]) -> list[ChatMessage]:
    """The messages before this one on its branch, first message first."""
    path = []
    parent_id = message.parent_id
    while parent_id is not None:
        parent = by_id[parent_id]
        path.append(parent)
        parent_id = parent.parent_id
    return path[::-1]


def _unique(models) -> list[str]:
    return list(dict.fromkeys(models))

"""Every table, imported in one place so the metadata is complete wherever models are used.

Votes are facts; ratings, points and badges are derived from them and can be rebuilt.
"""

from arena.models.accounts import ApiToken, User
from arena.models.auditing import Audit, CommunityRole, ContentFlag, QuestionAnswer
from arena.models.base import CHOICES, OVERALL, Base, utcnow
from arena.models.chats import AnswerFeedback, ChatDraft, SharedChat, SharedMessage
from arena.models.game import PointEvent, PointTotal, UserBadge, VoteVerdict, VotingStreak
from arena.models.integrity import (
    Appeal,
    AttributionCheck,
    IntegrityClock,
    IntegrityFlag,
    VoterWeight,
)
from arena.models.library import PromptComment, PromptShare, PromptUpvote
from arena.models.voting import (
    Battle,
    Community,
    Exposure,
    LanguageModel,
    PairTally,
    Prompt,
    Rating,
    RatingSetting,
    Response,
    Vote,
    VoterStanding,
)

__all__ = [
    "CHOICES",
    "OVERALL",
    "AnswerFeedback",
    "Appeal",
    "AttributionCheck",
    "Audit",
    "CommunityRole",
    "ContentFlag",
    "QuestionAnswer",
    "ApiToken",
    "Base",
    "Battle",
    "ChatDraft",
    "Community",
    "Exposure",
    "IntegrityClock",
    "IntegrityFlag",
    "LanguageModel",
    "PairTally",
    "PointEvent",
    "PointTotal",
    "Prompt",
    "PromptComment",
    "PromptShare",
    "PromptUpvote",
    "Rating",
    "RatingSetting",
    "Response",
    "SharedChat",
    "SharedMessage",
    "User",
    "UserBadge",
    "Vote",
    "VoteVerdict",
    "VoterStanding",
    "VoterWeight",
    "VotingStreak",
    "utcnow",
]

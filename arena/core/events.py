"""Domain events: one small type per Socket.IO event, published only after their commit.

Each type names its wire event and its audience; `realtime.publish` routes by audience, so an
event cannot reach a room it was not meant for. Private events carry `user_id` for routing
only: it never travels in the payload.
"""

from dataclasses import asdict, dataclass, field
from typing import ClassVar

SCOPED, PRIVATE, BROADCAST = "scoped", "private", "broadcast"


@dataclass(frozen=True)
class Event:
    wire_name: ClassVar[str]
    audience: ClassVar[str]

    def payload(self) -> dict:
        body = asdict(self)
        if self.audience == PRIVATE:
            body.pop("user_id")
        return body


@dataclass(frozen=True)
class ScopedEvent(Event):
    """Something changed on the boards of these scopes ("overall" or community slugs)."""

    audience = SCOPED
    scopes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LeaderboardChanged(ScopedEvent):
    wire_name = "leaderboard_changed"


@dataclass(frozen=True)
class PeopleChanged(ScopedEvent):
    wire_name = "people_changed"


@dataclass(frozen=True)
class PointsChanged(Event):
    wire_name = "points"
    audience = PRIVATE
    user_id: int
    delta: int
    points: int
    points_this_week: int


@dataclass(frozen=True)
class BadgeAwarded(Event):
    wire_name = "badge_awarded"
    audience = PRIVATE
    user_id: int
    badge: str
    name: str
    tier: str
    icon: str
    description: str


@dataclass(frozen=True)
class Activity(Event):
    """Anonymous: what happened, never who. `text` is the sentence in English; `template` (a
    catalogue string) and `values` let each page say it in its reader's language."""

    wire_name = "activity"
    audience = BROADCAST
    text: str
    template: str = ""
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomEvent(Event):
    """The live answers of a custom battle, for its asker only: never a model's identity."""

    audience = PRIVATE
    user_id: int
    token: str


@dataclass(frozen=True)
class CustomChunk(CustomEvent):
    wire_name = "custom_chunk"
    side: str
    text: str


@dataclass(frozen=True)
class CustomReady(CustomEvent):
    wire_name = "custom_ready"
    url: str


@dataclass(frozen=True)
class CustomFailed(CustomEvent):
    wire_name = "custom_failed"
    message: str

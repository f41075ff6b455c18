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
class LeaderboardChanged(Event):
    wire_name = "leaderboard_changed"
    audience = SCOPED
    scopes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PeopleChanged(Event):
    wire_name = "people_changed"
    audience = SCOPED
    scopes: list[str] = field(default_factory=list)


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
    """Anonymous: what happened, never who."""

    wire_name = "activity"
    audience = BROADCAST
    text: str


@dataclass(frozen=True)
class CustomChunk(Event):
    """A piece of a live answer for its asker only: token, side and text, never a model."""

    wire_name = "custom_chunk"
    audience = PRIVATE
    user_id: int
    token: str
    side: str
    text: str


@dataclass(frozen=True)
class CustomReady(Event):
    wire_name = "custom_ready"
    audience = PRIVATE
    user_id: int
    token: str
    url: str


@dataclass(frozen=True)
class CustomFailed(Event):
    wire_name = "custom_failed"
    audience = PRIVATE
    user_id: int
    token: str
    message: str

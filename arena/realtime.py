"""The only module that emits Socket.IO events. Events carry no model identity of open battles.

Rooms: "scope:<overall|community slug>" for boards, "user:<id>" for one person's events.
"""

import threading
import time

from redis.exceptions import RedisError
from socketio import RedisManager

from arena.core.events import BROADCAST, PRIVATE, SCOPED, Event
from arena.extensions import socketio

# Sent to this process's clients when events from other processes stop or start reaching them.
LIVE_STATUS = "live_status"
# An unreachable (not refusing) Redis would otherwise hold a vote for redis-py's 5 s default.
REDIS_TIMEOUT_SECONDS = 1.0
# After a failure, events are dropped for this long instead of each waiting on Redis again, and
# the listener tries to subscribe again this often (the library's retry doubles up to 60 s, so
# live updates could stay silent for a minute after Redis returned).
RETRY_SECONDS = 2.0


def scope_room(scope: str) -> str:
    return f"scope:{scope}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def publish(events: list[Event]) -> None:
    """Emit domain events after their transaction committed (every worker, via Redis if set).

    With Redis away, this process's own clients still get them and the rest are dropped: a
    request never fails because live updates could not be sent."""
    for event in events:
        if event.audience == SCOPED:
            for scope in event.scopes:
                socketio.emit(event.wire_name, event.payload(), to=scope_room(scope))
        elif event.audience == PRIVATE:
            socketio.emit(event.wire_name, event.payload(), to=user_room(event.user_id))
        elif event.audience == BROADCAST:
            socketio.emit(event.wire_name, event.payload())
        else:
            raise ValueError(f"unknown audience of {event!r}: refusing to emit it")


def message_queue(url: str | None, channel: str) -> "RedisQueue | None":
    """The Socket.IO client manager for REDIS_URL (None: events stay in this process)."""
    if not url:
        return None
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    return RedisQueue(url, channel)


def live_updates_flowing() -> bool:
    """False while this process cannot reach the message queue (its clients miss events)."""
    manager = getattr(socketio.server, "manager", None)
    return not isinstance(manager, RedisQueue) or manager.live


class RedisQueue(RedisManager):
    """Redis as the message queue, for a site that keeps working while Redis is away.

    Publishing fails fast and then pauses for RETRY_SECONDS; the listener subscribes again every
    RETRY_SECONDS; each change of `live` is told to this process's clients as LIVE_STATUS.
    """

    def __init__(self, url: str, channel: str):
        timeouts = {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_TIMEOUT_SECONDS,  # a blocking subscription ignores it
        }
        super().__init__(url, channel=channel, redis_options=timeouts)
        self._state = threading.Lock()
        self._publishing_fails = self._listening_fails = False
        self._paused_until = 0.0
        self._told_live = True

    @property
    def live(self) -> bool:
        return not (self._publishing_fails or self._listening_fails)

    def _publish(self, data):
        if time.monotonic() < self._paused_until:
            return None
        try:
            if not self.connected:
                self._redis_connect()
            delivered = self.redis.publish(self.channel, self.json.dumps(data))
        except RedisError as error:
            self.connected = False
            self._paused_until = time.monotonic() + RETRY_SECONDS
            self._get_logger().error("Live updates paused: cannot publish to Redis (%s)", error)
            self._record(publishing_fails=True)
            return None
        self._record(publishing_fails=False)
        return delivered

    def _redis_listen_with_retries(self):
        while True:
            client = self._get_redis_module().Redis.from_url(self.redis_url, **self.redis_options)
            subscription = client.pubsub(ignore_subscribe_messages=True)
            try:
                subscription.subscribe(self.channel)
                self._record(listening_fails=False, publishing_fails=False)
                yield from subscription.listen()
            except RedisError as error:
                self._get_logger().error("Live updates paused: Redis subscription lost (%s)", error)
                self._record(listening_fails=True)
                time.sleep(RETRY_SECONDS)
            finally:
                subscription.close()
                client.close()

    def _record(self, **fails: bool) -> None:
        with self._state:
            if "publishing_fails" in fails:
                self._publishing_fails = fails["publishing_fails"]
                if not self._publishing_fails:
                    self._paused_until = 0.0
            self._listening_fails = fails.get("listening_fails", self._listening_fails)
            changed = self.live != self._told_live
            self._told_live = self.live
        if changed and self.server is not None:
            self.server.emit(LIVE_STATUS, {"live": self._told_live}, ignore_queue=True)

"""Slack re-delivers an event when it does not see an ack in 3 s (HTTP header X-Slack-Retry-Num, Socket Mode
`retry_attempt`), and a message in a channel can arrive as more than one event. Each question is answered once:
the first delivery wins, later copies are acknowledged and dropped.

In memory per process by default (one `mka slack` process). With MKA_REDIS_URL several bot processes behind a
load balancer share the record in Redis (SET NX with a TTL: whichever process stores the key first answers), so
Slack's retries landing on another process are still answered once (docs/team-servers.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("assistant.slack")


class Seen(Protocol):
    def first_time(self, key: str) -> bool: ...


class SeenEvents:
    """A bounded, thread-safe set of keys that forgets each key `ttl_seconds` after it was first seen."""

    def __init__(
        self, ttl_seconds: float = 3600.0, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds: must be positive, got {ttl_seconds}")
        if max_keys < 1:
            raise ValueError(f"max_keys: must be at least 1, got {max_keys}")
        self._ttl = ttl_seconds
        self._max = max_keys
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()  # key -> first seen, oldest first
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is offered (within the TTL), False for every repeat."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._seen:
                return False
            self._seen[key] = now
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
            return True

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._seen)

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest_key, first_seen = next(iter(self._seen.items()))
            if now - first_seen < self._ttl:
                break
            del self._seen[oldest_key]


class RedisUnavailableError(RuntimeError):
    """Redis (MKA_REDIS_URL) cannot be reached when the bot starts; the message says which server."""


class RedisSeenEvents:
    """The same contract as SeenEvents, shared by every process using one Redis: `SET key 1 NX EX ttl`.

    If Redis goes away while the bot runs, a key is decided by this process's memory instead (logged): a
    retry reaching another process may then be answered twice, which beats answering nothing."""

    def __init__(self, client: Redis, namespace: str, ttl_seconds: float = 3600.0) -> None:
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds: must be at least 1 (Redis expiry is in whole seconds), got {ttl_seconds}")
        self._redis = client
        self._prefix = f"mka:slack:{namespace}:"
        self._ttl = int(ttl_seconds)
        self._fallback = SeenEvents(ttl_seconds)

    def first_time(self, key: str) -> bool:
        from redis.exceptions import RedisError

        try:
            return bool(self._redis.set(self._prefix + key, b"1", nx=True, ex=self._ttl))
        except RedisError as exc:
            log.error("slack: Redis unavailable for de-duplication (%s); using this process's memory", exc)
            return self._fallback.first_time(key)


def redis_client(url: str) -> Redis:
    """A client for MKA_REDIS_URL, checked with a PING so a wrong URL is reported at start-up."""
    import redis
    from redis.exceptions import RedisError

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        client.ping()
    except (RedisError, ValueError) as exc:
        shown = url.split("@")[-1]  # never a password in a message
        raise RedisUnavailableError(f"cannot reach Redis at {shown} (MKA_REDIS_URL): {exc}") from exc
    return client


def seen_events(redis_url: str | None, namespace: str, ttl_seconds: float = 3600.0) -> Seen:
    """Redis-backed when MKA_REDIS_URL is set, otherwise in this process's memory."""
    if redis_url:
        return RedisSeenEvents(redis_client(redis_url), namespace, ttl_seconds)
    return SeenEvents(ttl_seconds)

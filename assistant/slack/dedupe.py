"""Slack re-delivers an event when it does not see an ack in 3 s (HTTP header X-Slack-Retry-Num, Socket Mode
`retry_attempt`), and a message in a channel can arrive as more than one event. Each question is answered once:
the first delivery wins, later copies are acknowledged and dropped.

In memory, per process: a single `mka slack` process is the deployment unit. Several processes behind a load
balancer would share this through Redis or the conversation database instead (see README, scale-out).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


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

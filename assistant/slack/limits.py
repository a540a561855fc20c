"""Back-pressure for the bot: a per-user rate limit and a bounded queue of questions waiting for the agent.

An answer takes seconds to minutes (the embedded model answers one at a time, in its own line), while Slack
delivers as many events as people send. Without limits one person, or a loop of bots, fills an unbounded queue
and everyone else waits forever; with them an excess question gets an immediate "try again" instead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("assistant.slack")


class RateLimiter:
    """At most `limit` accepted questions per key (a Slack user) in any sliding `window_s` seconds; thread-safe."""

    def __init__(self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError(f"limit: must be at least 1, got {limit}")
        if window_s <= 0:
            raise ValueError(f"window_s: must be positive, got {window_s}")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """0.0 when `key` may go ahead now (and counts it); else the seconds until it may ask again."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.001, self.window_s - (now - hits[0]))
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle users so the table stays small
                self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < self.window_s}
            return 0.0


class WorkQueue:
    """`workers` threads answering queued jobs; at most `max_waiting` wait beyond the running ones.

    `submit` never blocks: a job beyond that capacity is refused at once so its sender can be told.
    """

    def __init__(self, workers: int, max_waiting: int, name: str = "mka-slack-worker") -> None:
        if workers < 1:
            raise ValueError(f"workers: must be at least 1, got {workers}")
        if max_waiting < 0:
            raise ValueError(f"max_waiting: must be 0 or more, got {max_waiting}")
        self.capacity = workers + max_waiting
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._pending = 0  # running + waiting; never above capacity
        self._lock = threading.Lock()
        self._closed = False
        self._threads = [threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def submit(self, job: Callable[[], None]) -> bool:
        """Queue `job`; False (and nothing queued) when the workers are busy and the queue is full."""
        with self._lock:
            if self._closed or self._pending >= self.capacity:
                return False
            self._pending += 1
        self._jobs.put(job)
        return True

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # one answer's bug must not kill the worker
                log.exception("slack: a queued answer failed")
            finally:
                with self._lock:
                    self._pending -= 1

    def close(self, wait: bool = True) -> None:
        """Refuse new jobs, let queued and running ones finish, then stop the workers."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for _ in self._threads:
            self._jobs.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

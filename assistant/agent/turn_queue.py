"""A fair, bounded first-in-first-out line for turns that must run one at a time (the embedded llama.cpp model).

The embedded model is one llama.cpp context on one decoding thread (assistant/llm/llamacpp/thread.py): two turns
interleaving their calls would evict each other's cached prompt prefixes and both get slower. So such turns line
up here, are served in arrival order, and each waiting turn can see how many are ahead of it and about how long
that takes (a running average of recent turn durations). A line already holding `max_waiting` turns refuses the
next one at once, so its asker gets "busy, try again" instead of an endless wait.

Remote providers (OpenAI, an OpenAI-compatible server) serve requests concurrently: the agent uses no line then.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


class QueueFullError(RuntimeError):
    """`max_waiting` turns already wait; the caller should answer "busy, try again in a minute"."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"the turn queue is full: {waiting} questions are already waiting (MKA_QUEUE_MAX)")
        self.waiting = waiting


@dataclass(frozen=True)
class Ticket:
    number: int
    joined_at: float


class TurnQueue:
    """One turn at a time, in the order they joined. Thread-safe.

    `join()` takes a place (or raises QueueFullError); `wait(ticket, timeout)` blocks until the ticket's turn or
    until the line moves, returning how many turns are still ahead (0: go); `leave(ticket)` ends a turn, or gives
    up a place, and lets the next one go."""

    def __init__(self, max_waiting: int, history: int = 20, clock: Callable[[], float] = time.monotonic) -> None:
        if max_waiting < 0:
            raise ValueError(f"max_waiting: must be 0 or more, got {max_waiting}")
        if history < 1:
            raise ValueError(f"history: must be at least 1, got {history}")
        self.max_waiting = max_waiting
        self._clock = clock
        self._line: deque[Ticket] = deque()  # the head is the running turn (or the one about to run)
        self._started_at: float | None = None  # when the head's turn started, once it has
        self._durations: deque[float] = deque(maxlen=history)
        self._numbers = itertools.count(1)
        self._changed = threading.Condition()

    def join(self) -> Ticket:
        with self._changed:
            waiting = max(0, len(self._line) - 1)
            if self._line and waiting >= self.max_waiting:
                raise QueueFullError(waiting)
            ticket = Ticket(next(self._numbers), self._clock())
            self._line.append(ticket)
            return ticket

    def ahead(self, ticket: Ticket) -> int:
        """Turns before this one (the running one included); 0 when it is this ticket's turn."""
        with self._changed:
            return self._position(ticket)

    def _position(self, ticket: Ticket) -> int:
        try:
            return self._line.index(ticket)
        except ValueError:
            raise ValueError(f"ticket {ticket.number} is not in the line (it left already)") from None

    def wait(self, ticket: Ticket, timeout: float | None = None) -> int:
        """Block until it is this ticket's turn, the line moves, or `timeout` seconds pass; the turns still ahead.

        Returning 0 starts the ticket's turn (its duration counts from here)."""
        with self._changed:
            before = self._position(ticket)
            if before:
                self._changed.wait_for(lambda: self._position(ticket) != before, timeout)
            ahead = self._position(ticket)
            if ahead == 0 and self._started_at is None:
                self._started_at = self._clock()
            return ahead

    def leave(self, ticket: Ticket, *, record: bool = True) -> None:
        """The ticket's turn ended (with `record`, its duration joins the average: not a model warm-up's), or it
        gave up its place while waiting."""
        with self._changed:
            if not self._line or ticket not in self._line:
                return
            if self._line[0] == ticket:
                if self._started_at is not None and record:
                    self._durations.append(self._clock() - self._started_at)
                self._started_at = None
            self._line.remove(ticket)
            self._changed.notify_all()

    def expected_wait(self, ahead: int) -> float | None:
        """Seconds until a turn with `ahead` turns before it starts: the running turn's expected remainder plus a
        whole average turn for each waiting one. None until a turn has finished (nothing to average yet)."""
        with self._changed:
            if not self._durations or ahead <= 0:
                return None if not self._durations else 0.0
            average = sum(self._durations) / len(self._durations)
            running_for = self._clock() - self._started_at if self._started_at is not None else 0.0
            remainder = max(average - running_for, 0.0)
            return remainder + average * (ahead - 1)

    @property
    def average_s(self) -> float | None:
        with self._changed:
            return sum(self._durations) / len(self._durations) if self._durations else None

    @property
    def length(self) -> int:
        """Turns in the line, the running one included."""
        with self._changed:
            return len(self._line)

"""Run one agent turn for the UI: events through a queue, heartbeats while nothing happens, friendly errors.

The agent's generator runs to completion in its own thread even if the browser goes away, so a closed tab
never keeps its place in the embedded model's line; the UI side only reads the queue.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.agent.events import AgentEvent

log = logging.getLogger("mka.ui")


@dataclass(frozen=True)
class Heartbeat:
    """Nothing new for a while: re-render (elapsed time, 'still working')."""


@dataclass(frozen=True)
class TurnFailed:
    message: str


_DONE = object()


def friendly_error(exc: BaseException) -> str:
    """What a marketer should read for an exception raised while answering (details go to the server log)."""
    from assistant.agent.runner import QuestionError
    from assistant.core.workspace import WorkspaceMissingError
    from assistant.llm.factory import LLMUnavailableError

    if isinstance(exc, QuestionError):
        return f"I could not take that question: {exc}"
    if isinstance(exc, LLMUnavailableError):
        return f"The language model is not available: {exc}"
    if isinstance(exc, WorkspaceMissingError):
        return f"There is no data to answer from yet: {exc}"
    if any(_is_connection_problem(e) for e in _chain(exc)):
        return (
            f"The language model did not answer ({type(exc).__name__}). If you use a model server "
            "(MKA_LLM_BASE_URL), check that it is running, then ask again."
        )
    first_line = (str(exc).splitlines() or [""])[0][:200]
    return f"Something went wrong while answering ({type(exc).__name__}: {first_line}). Please try again."


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it (client libraries wrap a refused connection several times)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _is_connection_problem(exc: BaseException) -> bool:
    name = type(exc).__name__
    return isinstance(exc, ConnectionError | TimeoutError) or "Connection" in name or "Timeout" in name


def run_turn(
    start: Callable[[], Iterator[AgentEvent]], heartbeat_s: float = 1.0
) -> Iterator[AgentEvent | Heartbeat | TurnFailed]:
    """Yield the turn's events as they happen, a Heartbeat every `heartbeat_s` of silence, TurnFailed on error."""
    events: queue.Queue[object] = queue.Queue()

    def work() -> None:
        try:
            for event in start():
                events.put(event)
        except Exception as exc:
            log.exception("agent turn failed")
            events.put(TurnFailed(friendly_error(exc)))
        finally:
            events.put(_DONE)

    threading.Thread(target=work, name="mka-ui-turn", daemon=True).start()
    while True:
        try:
            item = events.get(timeout=heartbeat_s)
        except queue.Empty:
            yield Heartbeat()
            continue
        if item is _DONE:
            return
        yield item  # type: ignore[misc]

"""One chat turn as Gradio chat messages, rebuilt from the agent's events as they arrive.

Order within a turn: each tool step as a collapsible "thought" (tool, arguments, duration, status), then what
the step produced (its table as markdown, its charts, its CSV export), then the narration as it streams.
When the turn ends, the streamed narration is replaced by the checked one from the final result (grounding
may have removed a sentence), and any flags are listed in a closed "Checks" note.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.agent.events import AgentEvent, AgentResult, Final, Queued, StepFinished, StepStarted, Token
from assistant.render.charts import ChartError, chart_data_uri
from tools.base import ChartSpec

logger = logging.getLogger("mka.ui")  # not `log`: the step messages have a "log" field

Message = dict[str, Any]
SLOW_AFTER_S = 20.0


@dataclass
class StepView:
    tool: str
    args: dict[str, Any]
    started_at: float
    finished: StepFinished | None = None
    charts: list[tuple[str, str]] = field(default_factory=list)  # (title, PNG data URI), drawn once


@dataclass
class TurnView:
    """Accumulates one turn's events; `messages()` renders them (call it as often as you like)."""

    clock: Callable[[], float] = time.monotonic
    steps: list[StepView] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    result: AgentResult | None = None
    problem: str | None = None
    started_at: float = 0.0
    queued: Queued | None = None  # the turn's place in the embedded model's line, until its turn starts

    def __post_init__(self) -> None:
        self.started_at = self.clock()

    @property
    def done(self) -> bool:
        return self.result is not None or self.problem is not None

    def apply(self, event: AgentEvent) -> None:
        if isinstance(event, Queued):
            self.queued = event
            return
        self.queued = None  # anything else means the turn has started
        if isinstance(event, StepStarted):
            self.steps.append(StepView(tool=event.tool, args=event.args, started_at=self.clock()))
        elif isinstance(event, StepFinished):
            step = self._open_step(event.tool)
            step.finished = event
            step.charts = drawn_charts(event.charts) if event.ok else []
        elif isinstance(event, Token):
            self.tokens.append(event.text)
        elif isinstance(event, Final):
            self.result = event.result

    def fail(self, message: str) -> None:
        """End the turn with a message for the marketer (what went wrong and what to do)."""
        self.problem = message

    def _open_step(self, tool: str) -> StepView:
        for step in reversed(self.steps):
            if step.tool == tool and step.finished is None:
                return step
        step = StepView(tool=tool, args={}, started_at=self.clock())  # a finish without a start: show it anyway
        self.steps.append(step)
        return step

    def narration(self) -> str:
        """The streamed text so far; once finished, the checked narration from the final answer."""
        streamed = "".join(self.tokens).strip()
        if self.result is None:
            return streamed
        shown = [s.finished.markdown for s in self.steps if s.finished and s.finished.ok and s.finished.markdown]
        shown += [f"**{s.tool} failed:** {s.finished.error}" for s in self.steps if s.finished and not s.finished.ok]
        prefix = "\n\n".join(shown).strip()
        answer = self.result.answer.strip()
        if prefix and answer.startswith(prefix):
            return answer[len(prefix) :].strip()
        return answer if not shown else streamed

    def exports(self) -> list[str]:
        """CSV files the turn's tools wrote (e.g. a segment export), newest last."""
        paths = []
        for step in self.steps:
            result = step.finished.result if step.finished and step.finished.ok else None
            path = (result or {}).get("export_path")
            if isinstance(path, str) and Path(path).is_file():
                paths.append(path)
        return paths

    def copy_results(self) -> list[dict[str, Any]]:
        """Results of the copywriting tool in this turn (drafts to show side by side)."""
        return [
            s.finished.result
            for s in self.steps
            if s.finished
            and s.finished.ok
            and s.finished.result
            and isinstance(s.finished.result.get("variants"), list)
        ]

    def messages(self, now: float | None = None) -> list[Message]:
        now = self.clock() if now is None else now
        out: list[Message] = []
        for i, step in enumerate(self.steps):
            out.append(step_message(step, i, now))
            if step.finished and step.finished.ok:
                if step.finished.markdown:
                    out.append({"role": "assistant", "content": step.finished.markdown})
                out.extend({"role": "assistant", "content": plot(title, uri)} for title, uri in step.charts)
                path = (step.finished.result or {}).get("export_path")
                if isinstance(path, str) and Path(path).is_file():
                    out.append({"role": "assistant", "content": {"path": path, "alt_text": Path(path).name}})
        text = self.narration()
        if text:
            out.append({"role": "assistant", "content": text})
        if not self.done and self.queued is not None:
            out.append(queued_message(self.queued))
        elif not self.done and not text and all(s.finished for s in self.steps):
            out.append(working_message(now - self.started_at, after_tools=bool(self.steps)))
        if self.result is not None and self.result.flags:
            out.append(
                {
                    "role": "assistant",
                    "content": "\n".join(f"- {flag}" for flag in self.result.flags),
                    "metadata": {"title": "Checks on this answer", "status": "done"},
                }
            )
        if self.problem:
            out.append({"role": "assistant", "content": f"**Sorry —** {self.problem}"})
        return out


def step_message(step: StepView, index: int, now: float) -> Message:
    args = json.dumps(step.args, ensure_ascii=False, indent=1) if step.args else "{}"
    body = f"```json\n{args}\n```"
    if step.finished is None:
        return {
            "role": "assistant",
            "content": body,
            "metadata": {
                "title": f"Tool: {step.tool}",
                "id": f"step-{index}",
                "status": "pending",
                "log": f"running {now - step.started_at:.0f} s",
            },
        }
    ok = step.finished.ok
    if not ok:
        body += f"\n\n**Error:** {step.finished.error}"
    return {
        "role": "assistant",
        "content": body,
        "metadata": {
            "title": f"Tool: {step.tool}" if ok else f"Tool failed: {step.tool}",
            "id": f"step-{index}",
            "status": "done",
            "duration": round(step.finished.ms / 1000, 2),
            "log": "ok" if ok else "failed",
        },
    }


def working_message(elapsed: float, after_tools: bool) -> Message:
    """A spinner while the model routes or starts the narration (no tool is running, no text yet)."""
    log = f"{elapsed:.0f} s"
    if elapsed >= SLOW_AFTER_S:
        log += " — the model is slow on this machine; the answer is still coming"
    doing = "Working from the results so far…" if after_tools else "Reading your question and choosing a tool…"
    return {"role": "assistant", "content": doing, "metadata": {"title": "Working", "status": "pending", "log": log}}


def queued_message(queued: Queued) -> Message:
    """The turn waits for the embedded model, which answers one question at a time: its place in the line."""
    return {
        "role": "assistant",
        "content": f"Waiting for the model: {queued.text()}.",
        "metadata": {"title": "In line", "status": "pending", "log": queued.text()},
    }


def drawn_charts(charts: list[ChartSpec]) -> list[tuple[str, str]]:
    """(title, PNG data URI) of each chart; one that cannot be drawn is left out (the table has its numbers)."""
    drawn = []
    for spec in charts:
        try:
            drawn.append((spec.title, chart_data_uri(spec)))
        except ChartError as exc:
            logger.warning("ui: chart %r not drawn: %s", spec.title, exc)
        except Exception:  # our own bug: one missing chart, not a failed turn
            logger.exception("ui: drawing chart %r failed", spec.title)
    return drawn


def plot(title: str, data_uri: str) -> Any:
    """A chart for the chat: a Gradio Plot holding the already-drawn PNG (not redrawn on every streamed token)."""
    import gradio as gr
    from gradio.components.plot import PlotData

    return gr.Plot(value=PlotData(type="matplotlib", plot=data_uri), label=title, show_label=False)

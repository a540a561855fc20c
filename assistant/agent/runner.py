"""The Agent: one object the CLI, Gradio, Slack and evals share. `stream()` yields events; `ask()` one result."""

from __future__ import annotations

import contextvars
import dataclasses
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

import prompts
from assistant.agent.auditing import turn_record
from assistant.agent.events import (
    AgentEvent,
    AgentResult,
    Final,
    Queued,
    Step,
    StepFinished,
    Timings,
    Token,
    TokenUsage,
)
from assistant.agent.graph import build_graph
from assistant.agent.routing import warm_up
from assistant.agent.state import AgentDeps, AgentState, StepRecord
from assistant.agent.turn_queue import QueueFullError, Ticket, TurnQueue
from assistant.agent.understanding import Understander, message
from assistant.core.audit import Channel, open_audit_log
from assistant.core.llm_client import LLMClient, Usage, count_usage_in
from assistant.core.offline import apply_offline_env, install_tiktoken_cache
from assistant.core.privacy import mask_pii
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.factory import build_chat_model
from assistant.understand.vocabulary import Vocabulary
from tools.base import ChartSpec, Tool
from tools.context import ToolContext
from tools.families import load_tools

MAX_QUESTION_CHARS = 4000
QUEUE_REFRESH_S = 5.0  # a waiting turn re-announces its place this often, so the expected wait counts down
SERIAL_MODELS = frozenset({"llama-cpp"})  # one context on one decoding thread: one turn at a time


class QuestionError(ValueError):
    """The question itself is unusable (empty, too long)."""


class Agent:
    def __init__(
        self,
        settings: Settings,
        *,
        chat_model: BaseChatModel | None = None,
        tools: dict[str, Tool[Any]] | None = None,
        checkpointer: Any | None = None,
        ctx: ToolContext | None = None,
        understand: bool = True,
        serial: bool | None = None,
    ) -> None:
        """`serial`: turns wait in a fair FIFO line (`TurnQueue`) and run one at a time; default for the embedded
        llama.cpp model only. Remote providers serve concurrent requests, so their turns run side by side."""
        workspace = Workspace(settings.home)
        install_tiktoken_cache(workspace.tiktoken_dir)
        apply_offline_env(workspace.tiktoken_dir)
        self.settings = settings
        self.ctx = ctx or ToolContext.from_settings(settings)
        self.chat_model = chat_model or build_chat_model(settings)
        self.llm = LLMClient(self.chat_model, log_path=settings.log_prompts)
        self.ctx.llm = self.llm  # the copywriter tool writes through the same client
        self.tools = tools if tools is not None else load_tools()
        if checkpointer is None:
            from assistant.agent.memory import conversation_checkpointer

            checkpointer = conversation_checkpointer(settings)
        self.deps = AgentDeps(
            llm=self.llm,
            tools=self.tools,
            ctx=self.ctx,
            memory_tokens=settings.memory_tokens,
            examples=prompts.load_yaml("route_examples.yaml"),
            understander=_understander(self.ctx) if understand else None,
        )
        self.graph = build_graph(self.deps, checkpointer)
        self.audit = open_audit_log(settings)  # who asked what, which tools and exports (docs/team-servers.md)
        if serial is None:
            serial = getattr(self.chat_model, "_llm_type", "") in SERIAL_MODELS
        self.turns: TurnQueue | None = TurnQueue(settings.queue_max) if serial else None

    @property
    def model_name(self) -> str:
        return self.llm.model_name

    def warm_up(self) -> float | None:
        """Load the local model and process the fixed routing prompt (~3,500 tokens: about a minute on 2 cores)
        now rather than during the first question. Seconds taken; None when there is nothing to warm."""
        if getattr(self.chat_model, "_llm_type", "") != "llama-cpp":
            return None  # remote servers and the scripted test model keep no state here worth preparing
        with self._model_turn():
            started = time.perf_counter()
            warm_up(self.deps)  # its tokens count for no turn
            return round(time.perf_counter() - started, 1)

    @contextmanager
    def _model_turn(self) -> Iterator[None]:
        """Hold the embedded model for work outside a question (warm-up): first in line, not in the average."""
        if self.turns is None:
            yield
            return
        ticket = self.turns.join()
        try:
            while self.turns.wait(ticket):
                pass
            yield
        finally:
            self.turns.leave(ticket, record=False)

    def stream(
        self, question: str, thread_id: str | None = None, *, user: str | None = None, channel: Channel = "cli"
    ) -> Iterator[AgentEvent]:
        """Run one turn, yielding tool steps and answer tokens as they happen, then a Final result. `user` and
        `channel` say who asked, for the audit log."""
        question = (question or "").strip()
        if not question:
            raise QuestionError("question: empty; ask something about your customers, products or reviews")
        if len(question) > MAX_QUESTION_CHARS:
            raise QuestionError(f"question: {len(question):,} characters, the limit is {MAX_QUESTION_CHARS:,}")
        thread_id = thread_id or uuid.uuid4().hex
        masked = mask_pii(question)
        config = {"configurable": {"thread_id": thread_id}, "recursion_limit": 40}
        turn: AgentState = {
            "messages": [HumanMessage(content=masked)],
            "question": masked,
            "steps": [],
            "plan": [],
            "next_tool": None,
            "pending": None,
            "feedback": None,
            "retried": False,
            "clarify": None,
            "answer": "",
            "flags": [],
            "notes": [],
        }
        queued_at = time.perf_counter()
        turn_context = contextvars.copy_context()
        events: Iterator[Any] | None = None
        ticket: Ticket | None = None
        if self.turns is not None:
            try:
                ticket = self.turns.join()
            except QueueFullError as exc:
                yield Final(result=self._busy(question, thread_id, exc))
                return
        try:
            if ticket is not None:
                yield from self._wait_in_line(ticket)
            started = time.perf_counter()
            timings = Timings(queued_ms=round((started - queued_at) * 1000, 1) if ticket is not None else 0.0)
            # The turn's own context: its token usage is counted there (LLMClient reads a context variable), and
            # LangGraph's node threads copy it. Every step of the graph runs inside it, whichever thread resumes
            # this generator (a UI worker may resume it on a different thread each time).
            usage = Usage()
            turn_context.run(count_usage_in, usage)
            events = self.graph.stream(turn, config, stream_mode=["custom", "values"])
            final_state: AgentState = {}
            while True:
                item = turn_context.run(next, events, None)
                if item is None:
                    break
                mode, payload = item
                if mode == "values":
                    final_state = payload
                    continue
                elapsed = round((time.perf_counter() - started) * 1000, 1)
                if isinstance(payload, Token):
                    timings.first_token_ms = timings.first_token_ms or elapsed
                    timings.first_content_ms = timings.first_content_ms or elapsed
                elif isinstance(payload, StepFinished) and payload.ok and payload.markdown:
                    timings.first_content_ms = timings.first_content_ms or elapsed
                yield payload
            timings.total_ms = round((time.perf_counter() - started) * 1000, 1)
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                turn_context.run(close)  # a consumer that stopped early: LangGraph cleans up in the turn's context
            if ticket is not None and self.turns is not None:
                self.turns.leave(ticket)  # also when the consumer went away: the next turn must not wait forever
        steps = final_state.get("steps", [])
        result = AgentResult(
            question=question,
            answer=mask_pii(final_state.get("answer", "")),
            steps=[_step(s) for s in steps],
            model=self.model_name,
            timings=timings,
            tokens=TokenUsage(prompt=usage.prompt, completion=usage.completion),
            charts=[ChartSpec.model_validate(c) for s in steps if s["ok"] for c in s["charts"]],
            flags=final_state.get("flags", []),
            thread_id=thread_id,
        )
        self.audit.record(turn_record(result, user=user, channel=channel))
        yield Final(result=result)

    def _wait_in_line(self, ticket: Ticket) -> Iterator[Queued]:
        """Announce the ticket's place when it joins, whenever the line moves, and every QUEUE_REFRESH_S; return
        when its turn starts."""
        assert self.turns is not None
        ahead = self.turns.wait(ticket, timeout=0)  # at the head already: this starts the turn's clock
        while ahead:
            yield Queued(ahead=ahead, expected_wait_s=_rounded(self.turns.expected_wait(ahead)))
            ahead = self.turns.wait(ticket, timeout=QUEUE_REFRESH_S)

    def _busy(self, question: str, thread_id: str, exc: QueueFullError) -> AgentResult:
        """The answer when the line is full: nothing ran, nothing is remembered; the marketer asks again later."""
        from assistant.understand.language import request_language

        return AgentResult(
            question=question,
            answer=message("busy", request_language(question)),
            steps=[],
            model=self.model_name,
            timings=Timings(),
            tokens=TokenUsage(),
            flags=[f"busy: {exc}"],
            thread_id=thread_id,
        )

    def ask(
        self, question: str, thread_id: str | None = None, *, user: str | None = None, channel: Channel = "cli"
    ) -> AgentResult:
        for event in self.stream(question, thread_id, user=user, channel=channel):
            if isinstance(event, Final):
                return event.result
        raise RuntimeError("the agent finished without a result")


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _understander(ctx: ToolContext) -> Understander | None:
    """Code's reading of requests, from the workspace's own values; None when there is no warehouse yet."""
    if not ctx.workspace.warehouse_path.exists():
        return None
    from tools.metrics import MetricsConfigError, catalog_for
    from tools.metrics.catalog import default_metric_names

    try:
        metrics = tuple(catalog_for(ctx).names())
    except MetricsConfigError:  # query_metrics reports the broken file when asked; routing keeps the shipped ones
        metrics = default_metric_names()
    vocabulary = dataclasses.replace(Vocabulary.from_connection(ctx.warehouse()), metrics=metrics)
    return Understander.from_vocabulary(vocabulary)


def _step(record: StepRecord) -> Step:
    result = record["result"] if record["ok"] else {"error": record["error"]}
    return Step(tool=record["tool"], args=record["args"], ok=record["ok"], ms=record["ms"], result=result)

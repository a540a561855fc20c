"""The Agent: one object the CLI, Gradio, Slack and evals share. `stream()` yields events; `ask()` one result."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

import prompts
from assistant.agent.auditing import turn_record
from assistant.agent.events import (
    AgentEvent,
    AgentResult,
    Final,
    Step,
    StepFinished,
    Timings,
    Token,
    TokenUsage,
)
from assistant.agent.graph import build_graph
from assistant.agent.routing import warm_up
from assistant.agent.state import AgentDeps, AgentState, StepRecord
from assistant.agent.understanding import Understander
from assistant.core.audit import Channel, open_audit_log
from assistant.core.llm_client import LLMClient
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
    ) -> None:
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
        self._turn_lock = threading.Lock()  # usage counters are per turn; turns run one at a time

    @property
    def model_name(self) -> str:
        return self.llm.model_name

    def warm_up(self) -> float | None:
        """Load the local model and process the fixed routing prompt (~3,500 tokens: about a minute on 2 cores)
        now rather than during the first question. Seconds taken; None when there is nothing to warm."""
        if getattr(self.chat_model, "_llm_type", "") != "llama-cpp":
            return None  # remote servers and the scripted test model keep no state here worth preparing
        with self._turn_lock:
            started = time.perf_counter()
            warm_up(self.deps)
            self.llm.reset_usage()
            return round(time.perf_counter() - started, 1)

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
        with self._turn_lock:
            self.llm.reset_usage()
            started = time.perf_counter()
            timings = Timings()
            final_state: AgentState = {}
            for mode, payload in self.graph.stream(turn, config, stream_mode=["custom", "values"]):
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
            steps = final_state.get("steps", [])
            result = AgentResult(
                question=question,
                answer=mask_pii(final_state.get("answer", "")),
                steps=[_step(s) for s in steps],
                model=self.model_name,
                timings=timings,
                tokens=TokenUsage(prompt=self.llm.prompt_tokens, completion=self.llm.completion_tokens),
                charts=[ChartSpec.model_validate(c) for s in steps if s["ok"] for c in s["charts"]],
                flags=final_state.get("flags", []),
                thread_id=thread_id,
            )
        self.audit.record(turn_record(result, user=user, channel=channel))
        yield Final(result=result)

    def ask(
        self, question: str, thread_id: str | None = None, *, user: str | None = None, channel: Channel = "cli"
    ) -> AgentResult:
        for event in self.stream(question, thread_id, user=user, channel=channel):
            if isinstance(event, Final):
                return event.result
        raise RuntimeError("the agent finished without a result")


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

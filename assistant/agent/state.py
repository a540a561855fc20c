"""The graph's state, its step record and the dependencies its nodes share.

Steps live in the state, so in every checkpoint: `StepRecord` is a TypedDict (plain JSON values) because
LangGraph's msgpack serde warns on, and in strict mode refuses to revive, unregistered classes such as a
pydantic model; a plain dict round-trips through SqliteSaver and InMemorySaver unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

from assistant.core.llm_client import LLMClient

if TYPE_CHECKING:
    from assistant.agent.understanding import Understander
from tools.base import Tool
from tools.context import ToolContext


class StepRecord(TypedDict):
    """One tool call of the current turn."""

    tool: str
    args: dict[str, Any]  # as validated, defaults left out
    ok: bool
    error: str | None  # first line of the failure, when not ok
    ms: float
    result: dict[str, Any] | None  # the tool's output as JSON, when ok
    markdown: str  # what the marketer sees ("" when not ok)
    charts: list[dict[str, Any]]  # ChartSpec dumps
    facts: NotRequired[list[dict[str, Any]]]  # tools.facts.Fact dumps, ids unique across the turn


class PendingCall(TypedDict):
    """The call routing chose, for `act` to run."""

    tool: str
    args: dict[str, Any]


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]  # conversation memory, persisted per thread
    question: str
    steps: list[StepRecord]
    plan: list[str]
    next_tool: str | None
    pending: PendingCall | None
    feedback: str | None
    retried: bool
    outcome: str
    clarify: str | None
    answer: str
    flags: list[str]
    notes: list[str]  # shown under the answer: values left out because the request never gave them
    language: str  # the request's language by name ("Spanish"): the narration is written in it
    language_code: str  # the same as a code ("es"): picks fixed replies


@dataclass
class AgentDeps:
    llm: LLMClient
    tools: dict[str, Tool[Any]]
    ctx: ToolContext
    memory_tokens: int = 1500
    examples: list[dict[str, Any]] | None = None
    understander: Understander | None = None  # code's reading of requests; None = the model alone

"""What the agent streams to its front doors (CLI, Gradio, Slack, evals) while it works."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.base import ChartSpec


class StepStarted(BaseModel):
    type: Literal["step_started"] = "step_started"
    tool: str
    args: dict[str, Any]


class StepFinished(BaseModel):
    type: Literal["step_finished"] = "step_finished"
    tool: str
    args: dict[str, Any]
    ok: bool
    ms: float
    markdown: str = ""
    charts: list[ChartSpec] = Field(default_factory=list)
    error: str | None = None
    result: dict[str, Any] | None = None


class Token(BaseModel):
    type: Literal["token"] = "token"
    text: str


class Step(BaseModel):
    """One tool call in the `--json` contract: {"tool", "args", "ok", "result", "ms"}."""

    tool: str
    args: dict[str, Any]
    ok: bool
    result: Any
    ms: float


class Timings(BaseModel):
    first_content_ms: float | None = None
    first_token_ms: float | None = None
    total_ms: float = 0.0


class TokenUsage(BaseModel):
    prompt: int = 0
    completion: int = 0


class AgentResult(BaseModel):
    """The `mka ask --json` contract (docs/architecture.md)."""

    question: str
    answer: str
    steps: list[Step]
    model: str
    timings: Timings
    tokens: TokenUsage
    charts: list[ChartSpec] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list, description="Grounding corrections, refusals, errors.")
    thread_id: str | None = None


class Final(BaseModel):
    type: Literal["final"] = "final"
    result: AgentResult


AgentEvent = StepStarted | StepFinished | Token | Final

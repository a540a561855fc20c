"""What the agent streams to its front doors (CLI, Gradio, Slack, evals) while it works.

Personal data is masked before it leaves the agent: a tool's result once, where it leaves the tool
(`masked_result`, called by the act node), and the text that streams or is returned here (tokens, the question).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator

from assistant.core.privacy import mask_data, mask_pii
from tools.base import ChartSpec

R = TypeVar("R", bound=BaseModel)


def masked_result(result: R) -> tuple[R, dict[str, Any]]:
    """A tool's result with every string masked, rebuilt as its own model (so its table, charts and facts are made
    from masked data), and its JSON dump. A model that refuses the masked values keeps its type unmasked and
    only its dump is masked: the act node masks its table and charts then."""
    dumped: dict[str, Any] = result.model_dump(mode="json")
    masked: dict[str, Any] = mask_data(dumped)
    if masked == dumped:
        return result, dumped
    try:
        return type(result).model_validate(masked), masked
    except ValidationError:
        return result, masked


def masked_chart(chart: ChartSpec) -> ChartSpec:
    """A chart whose title, labels and series names are masked (a label can be a review's words)."""
    return ChartSpec.model_validate(mask_data(chart.model_dump(mode="json")))


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

    @field_validator("text")
    @classmethod
    def _masked(cls, value: str) -> str:
        return mask_pii(value)


class Step(BaseModel):
    """One tool call in the `--json` contract: {"tool", "args", "ok", "result", "ms"}."""

    tool: str
    args: dict[str, Any]
    ok: bool
    result: Any
    ms: float


class Queued(BaseModel):
    """The turn waits for the embedded model (one turn at a time, first come first served). Sent when it joins the
    line and whenever the line moves; `ahead` counts the turns before it, the running one included."""

    type: Literal["queued"] = "queued"
    ahead: int = Field(ge=1)
    expected_wait_s: float | None = Field(default=None, description="From recent turns' durations; None: unknown.")

    def text(self) -> str:
        """What a front door shows: "2 questions ahead of you, about 20 s"."""
        return queue_text(self.ahead, self.expected_wait_s)


def queue_text(ahead: int, expected_wait_s: float | None) -> str:
    what = "1 question" if ahead == 1 else f"{ahead} questions"
    if expected_wait_s is None:
        return f"{what} ahead of you"
    if expected_wait_s >= 90:
        return f"{what} ahead of you, about {round(expected_wait_s / 60)} min"
    return f"{what} ahead of you, about {max(1, round(expected_wait_s))} s"


class Timings(BaseModel):
    first_content_ms: float | None = None
    first_token_ms: float | None = None
    total_ms: float = 0.0
    queued_ms: float = Field(default=0.0, description="Waiting for the embedded model before the turn started.")


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

    @field_validator("question")
    @classmethod
    def _masked(cls, value: str) -> str:
        """Reports and `--json` output store the question: the marketer may have pasted a customer's email. (The
        runner masks the answer; an eval's `no_pii` check must still see an answer as given to it.)"""
        return mask_pii(value)


class Final(BaseModel):
    type: Literal["final"] = "final"
    result: AgentResult


AgentEvent = Queued | StepStarted | StepFinished | Token | Final

"""The one declaration of a tool, and the shapes every tool result can offer the front doors.

A tool family (a package under tools/) exports `TOOLS: list[Tool]`; the agent's registry, the graph's policies,
the CLI's tool commands and the evals all read that one declaration. Tools return pydantic models that front
doors (agent, Gradio, Slack) render deterministically: `to_markdown()` for text and tables, `charts()` for what a
marketer would rather look at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, Field

from tools.context import ToolContext

InputT = TypeVar("InputT", bound=BaseModel)


@dataclass(frozen=True)
class PriorStep:
    """What a carry-over hook sees of an earlier, successful step of the same request."""

    tool: str
    args: dict[str, Any]
    result: dict[str, Any]


# Fill a later tool's missing arguments from earlier steps of the same request (segment -> recommend -> copy),
# so a small model need not copy long ids between steps: (the model's args, earlier steps) -> args.
CarryOver = Callable[[dict[str, Any], Sequence[PriorStep]], dict[str, Any]]


@dataclass(frozen=True)
class Tool(Generic[InputT]):
    """A tool the agent can route to and the CLI can run: a typed function over the workspace."""

    name: str
    input_model: type[InputT]
    run: Callable[[InputT, ToolContext], BaseModel]
    description: str  # one line the routing model reads
    carry_over: CarryOver | None = None
    narrate: bool = True  # False: the result is the answer itself (a copy draft); nothing to narrate
    errors: tuple[type[Exception], ...] = ()  # raised for bad arguments or data; shown as one line, never a trace


class Series(BaseModel):
    name: str
    values: list[float]


class ChartSpec(BaseModel):
    """A small, library-neutral chart: categories on x, one or more numeric series.

    A heat map reads the series as its rows (each series' name labels a row; NaN is an empty cell)."""

    kind: Literal["bar", "line", "barh", "pie", "heatmap"] = "bar"
    title: str
    x: list[str]
    series: list[Series]
    x_label: str | None = None
    y_label: str | None = None


class Table(BaseModel):
    """A table for display: column names and rows of cells (already rounded for people)."""

    title: str | None = None
    columns: list[str]
    rows: list[list[str | int | float | None]]
    note: str | None = Field(default=None, description="Where the numbers come from.")

    def to_markdown(self, max_rows: int = 30) -> str:
        def cell(v: object) -> str:
            if v is None:
                return ""
            if isinstance(v, float):
                return f"{v:,.2f}"
            if isinstance(v, int):
                return f"{v:,}"
            return str(v).replace("|", "\\|").replace("\n", " ")

        lines = [f"**{self.title}**", ""] if self.title else []
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        for row in self.rows[:max_rows]:
            lines.append("| " + " | ".join(cell(v) for v in row) + " |")
        if len(self.rows) > max_rows:
            lines.append(f"\n… {len(self.rows) - max_rows} more rows")
        if self.note:
            lines.append(f"\n_{self.note}_")
        return "\n".join(lines)


@runtime_checkable
class Renderable(Protocol):
    """What the agent and the front doors call on a tool result."""

    def to_markdown(self) -> str: ...

    def charts(self) -> list[ChartSpec]: ...

"""Shapes every tool result can offer the front doors: a chart spec and a markdown rendering.

Tools return pydantic models. Front doors (agent, Gradio, Slack) render them deterministically:
`to_markdown()` for text and tables, `charts()` for what a marketer would rather look at.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field


class Series(BaseModel):
    name: str
    values: list[float]


class ChartSpec(BaseModel):
    """A small, library-neutral chart: categories on x, one or more numeric series."""

    kind: Literal["bar", "line", "barh", "pie"] = "bar"
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

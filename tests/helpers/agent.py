"""Shared pieces for agent tests: a small deterministic tool over the demo warehouse, and an agent builder."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, Field

from assistant.agent.runner import Agent
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.scripted import ScriptedChatModel
from tools.base import ChartSpec, Series, Table, Tool
from tools.context import ToolContext
from tools.families import Family, load_tools


class CountryInput(BaseModel):
    """Customers and revenue in one country."""

    country: str = Field(min_length=2, max_length=60, description="Country name")


class CountryResult(BaseModel):
    country: str
    customers: int
    revenue: float

    def to_markdown(self) -> str:
        return Table(
            columns=["country", "customers", "revenue"], rows=[[self.country, self.customers, self.revenue]]
        ).to_markdown()

    def charts(self) -> list[ChartSpec]:
        return [
            ChartSpec(title="Customers", x=[self.country], series=[Series(name="customers", values=[self.customers])])
        ]


def country_stats(args: CountryInput, ctx: ToolContext) -> CountryResult:
    con = ctx.warehouse()
    row = con.execute(
        """SELECT count(DISTINCT o.customer_id), round(sum(l.quantity * l.unit_price), 2)
           FROM orders o JOIN order_lines l USING (order_id)
           WHERE o.status = 'completed' AND o.customer_id IS NOT NULL AND o.country = ?""",
        [args.country],
    ).fetchone()
    if row is None or not row[0]:
        raise ValueError(f"country: no customers in {args.country!r}")
    return CountryResult(country=args.country, customers=int(row[0]), revenue=float(row[1]))


def sample_tools() -> dict[str, Tool[Any]]:
    tools = {"country_stats": Tool("country_stats", CountryInput, country_stats, "Customers and revenue by country")}
    tools.update(load_tools((Family("tools.copywriter"),)))
    return tools


def make_agent(
    workspace: Workspace,
    *outputs: Any,
    tools: dict[str, Tool[Any]] | None = None,
    memory_tokens: int = 1500,
    understand: bool = True,
) -> tuple[Agent, ScriptedChatModel]:
    """`understand=False`: the model alone, without code's reading of the request (to test the model's paths)."""
    model = ScriptedChatModel(outputs=list(outputs))
    settings = Settings(home=workspace.home, llm="scripted", memory_tokens=memory_tokens)
    agent = Agent(
        settings, chat_model=model, tools=tools or sample_tools(), checkpointer=InMemorySaver(), understand=understand
    )
    return agent, model


def expected_country(workspace: Workspace, country: str) -> tuple[int, float]:
    con = workspace.connect()
    row = con.execute(
        """SELECT count(DISTINCT o.customer_id), round(sum(l.quantity * l.unit_price), 2)
           FROM orders o JOIN order_lines l USING (order_id)
           WHERE o.status = 'completed' AND o.customer_id IS NOT NULL AND o.country = ?""",
        [country],
    ).fetchone()
    con.close()
    assert row is not None
    return int(row[0]), float(row[1])

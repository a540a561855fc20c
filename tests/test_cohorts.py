"""cohort_retention: the cohort matrix equals an independent pandas computation from the raw warehouse tables (on the
demo shop here, on the real data in the integration test), narrowed by segment and country; the heat map draws."""

from __future__ import annotations

import pandas as pd
import pytest

from assistant.core.workspace import Workspace
from assistant.render.charts import render_png
from assistant.slack.formatting import markdown_blocks
from tools.analysis import AnalysisError, CohortRetentionInput, cohort_retention
from tools.analysis.cohorts import CohortRetentionResult
from tools.context import ToolContext
from tools.segments.spec import SegmentName


def pandas_cohorts(ctx: ToolContext, customers: set[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(active customers, revenue) by cohort month x months since the first completed order, from raw tables."""
    con = ctx.workspace.connect(read_only=True)
    try:
        orders = con.execute("SELECT order_id, customer_id, ordered_at, status FROM orders").df()
        lines = con.execute("SELECT order_id, quantity, unit_price FROM order_lines").df()
    finally:
        con.close()
    orders = orders[(orders["status"] == "completed") & orders["customer_id"].notna()].copy()
    lines["amount"] = lines["quantity"] * lines["unit_price"]
    orders = orders.merge(lines.groupby("order_id", as_index=False)["amount"].sum(), on="order_id", how="left")
    orders["amount"] = orders["amount"].fillna(0.0)
    orders["customer_id"] = orders["customer_id"].astype(str)
    if customers is not None:
        orders = orders[orders["customer_id"].isin(customers)]
    orders["month"] = pd.to_datetime(orders["ordered_at"]).dt.to_period("M")
    orders["cohort"] = orders.groupby("customer_id")["month"].transform("min")
    orders["age"] = (orders["month"] - orders["cohort"]).map(lambda d: d.n)
    active = orders.groupby(["cohort", "age"])["customer_id"].nunique().unstack(fill_value=0)
    revenue = orders.groupby(["cohort", "age"])["amount"].sum().unstack(fill_value=0.0)
    return active, revenue


def assert_same(result: CohortRetentionResult, active: pd.DataFrame, revenue: pd.DataFrame) -> None:
    assert [c.cohort for c in result.cohorts] == [str(p) for p in active.index]
    checked = 0
    for c in result.cohorts:
        row = active.loc[pd.Period(c.cohort, "M")]
        assert c.customers == row[0]
        for m, share in enumerate(c.retention):
            if share is None:  # months after the data ends
                assert m not in row.index or row[m] == 0
                continue
            assert share == pytest.approx(row.get(m, 0) / row[0], abs=1e-12), (c.cohort, m)
            rev = revenue.loc[pd.Period(c.cohort, "M")].get(m, 0.0)
            assert c.revenue[m] == pytest.approx(round(float(rev), 2), abs=0.006), (c.cohort, m)
            checked += 1
    assert checked >= len(result.cohorts)
    assert result.customers == int(active[0].sum())


def test_cohort_matrix_equals_pandas_on_the_demo_shop(demo_ctx: ToolContext) -> None:
    result = cohort_retention(CohortRetentionInput(months=24), demo_ctx)
    assert_same(result, *pandas_cohorts(demo_ctx))
    assert all(c.retention[0] == 1.0 for c in result.cohorts)


def test_segment_and_country_narrow_the_cohorts(demo_ctx: ToolContext) -> None:
    con = demo_ctx.workspace.connect(read_only=True)
    try:
        segment = str(con.execute("SELECT segment FROM customer_rfm GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0])
        members = {
            str(r[0])
            for r in con.execute("SELECT customer_id FROM customer_rfm WHERE segment = ?", [segment]).fetchall()
        }
        country = str(con.execute("SELECT country FROM customers GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0])
        local = {
            str(r[0]) for r in con.execute("SELECT customer_id FROM customers WHERE country = ?", [country]).fetchall()
        }
    finally:
        con.close()
    result = cohort_retention(CohortRetentionInput(segment=SegmentName(segment)), demo_ctx)
    assert_same(result, *pandas_cohorts(demo_ctx, members))
    assert result.scope == f"RFM segment {segment}"
    assert sum(c.share for c in result.cohorts) == pytest.approx(1.0)
    by_country = cohort_retention(CohortRetentionInput(country=country), demo_ctx)
    assert_same(by_country, *pandas_cohorts(demo_ctx, local))
    with pytest.raises(AnalysisError, match="country: no customers with completed orders"):
        cohort_retention(CohortRetentionInput(country="Atlantis"), demo_ctx)


def test_since_until_and_rendering(demo_ctx: ToolContext) -> None:
    full = cohort_retention(CohortRetentionInput(months=6), demo_ctx)
    middle = full.cohorts[len(full.cohorts) // 2].cohort
    since = pd.Timestamp(middle).date()
    part = cohort_retention(CohortRetentionInput(months=6, since=since, until=since), demo_ctx)
    assert [c.cohort for c in part.cohorts] == [middle]
    assert part.cohorts[0].retention == next(c for c in full.cohorts if c.cohort == middle).retention
    (chart,) = full.charts()
    assert chart.kind == "heatmap" and len(chart.series) == len(full.cohorts) and len(chart.x) == 6
    assert render_png(chart).startswith(b"\x89PNG")
    blocks = markdown_blocks(full.to_markdown())
    assert any("Retention by cohort" in str(b["text"]["text"]) for b in blocks)


@pytest.mark.integration
def test_cohort_matrix_equals_pandas_on_the_real_data(real_ctx: ToolContext) -> None:
    result = cohort_retention(CohortRetentionInput(months=12), real_ctx)
    assert_same(result, *pandas_cohorts(real_ctx))
    assert result.cohorts[0].cohort == "2010-12" and len(result.cohorts) == 13


def test_the_agent_routes_renders_and_cites_a_cohort_result(demo_workspace: Workspace) -> None:
    """The generic path every front door uses: the tool's table and heat map reach the answer, its facts the
    narration (with the real tools, the scripted model)."""
    from tests.helpers.agent import make_agent
    from tools.families import load_tools

    tools = {name: tool for name, tool in load_tools().items() if name == "cohort_retention"}
    agent, model = make_agent(
        demo_workspace, {"tool": "cohort_retention", "args": {}}, "The cohorts hold {f1}.", tools=tools
    )
    result = agent.ask("Show customer retention by monthly cohort of first order")
    step = result.steps[0]
    assert step.tool == "cohort_retention" and step.ok
    total = step.result["customers"]
    assert f"The cohorts hold {total:,} customers in the cohorts." in result.answer
    assert "**Retention by cohort (%)**" in result.answer
    assert [c.kind for c in result.charts] == ["heatmap"]
    model.assert_complete()

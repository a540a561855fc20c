"""query_metrics on the demo shop: bound parameters, compile errors, workspace overrides, incompatible pairs,
top-n and sort, charts and facts. Truths are SQL written here from the raw tables, not by the tool's compiler."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.agent.decision import decision_schema
from assistant.cli import app
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from tools.context import ToolContext
from tools.facts import facts_from_result
from tools.families import load_tools
from tools.metrics import MetricsConfigError, MetricsError, MetricsQuery, load_catalog, query_metrics

SALES = """FROM orders o JOIN order_lines l ON l.order_id = o.order_id
LEFT JOIN customers c ON c.customer_id = o.customer_id"""


def one(ctx: ToolContext, sql: str, params: list[object] | None = None) -> float:
    row = ctx.warehouse().execute(sql, params or []).fetchone()
    assert row is not None
    return float(row[0])


def run(ctx: ToolContext, **kwargs: object) -> object:
    return query_metrics(MetricsQuery.model_validate(kwargs), ctx)


@pytest.fixture
def ctx_with(demo_workspace: Workspace, tmp_path: Path) -> Iterator[object]:
    """A ToolContext over the demo warehouse whose workspace metrics file is `text` (written to a temp file)."""
    made: list[ToolContext] = []

    def make(text: str) -> ToolContext:
        path = tmp_path / f"metrics-{len(made)}.yaml"
        path.write_text(text, encoding="utf-8")
        ctx = ToolContext.from_settings(Settings(home=demo_workspace.home, llm="scripted", metrics_file=path))
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def test_revenue_by_month_equals_hand_sql_and_is_a_line(demo_ctx: ToolContext) -> None:
    result = run(demo_ctx, metric="revenue", group_by="month")
    truth = (
        demo_ctx.warehouse()
        .execute(
            "SELECT strftime(date_trunc('month', o.ordered_at), '%Y-%m'), round(sum(l.quantity * l.unit_price), 2) "
            f"{SALES} "
            "WHERE o.status = 'completed' GROUP BY 1 ORDER BY 1"
        )
        .fetchall()
    )
    assert [(r[0], r[1]) for r in result.table.rows] == [(m, pytest.approx(v)) for m, v in truth]
    assert result.total == pytest.approx(
        one(demo_ctx, f"SELECT sum(l.quantity * l.unit_price) {SALES} WHERE o.status = 'completed'")
    )
    (chart,) = result.charts()
    assert chart.kind == "line" and chart.x == [m for m, _ in truth]


def test_values_are_bound_parameters_never_sql_text(demo_ctx: ToolContext) -> None:
    hostile = "Germany'); DROP TABLE orders; --"
    result = run(demo_ctx, metric="orders", group_by="category", countries=[hostile], category="Dress' OR 1=1 --")
    assert hostile not in result.sql and "1=1" not in result.sql
    assert result.params["countries"] == [hostile]
    assert "$countries" in result.sql and "$category_0" in result.sql
    assert result.table is not None and result.table.rows == []
    assert result.total == 0
    assert "DROP TABLE" in result.sql_inline.replace("''", "'")  # shown quoted, as a literal
    assert one(demo_ctx, "SELECT count(*) FROM orders") > 0


def test_copyable_sql_gives_the_same_rows(demo_ctx: ToolContext) -> None:
    result = run(demo_ctx, metric="units", group_by="country", countries=["Germany", "France"], date_from="2024-03-01")
    rows = demo_ctx.warehouse().execute(result.sql_inline).fetchall()
    assert [[r[0], r[2]] for r in rows] == [[row[0], row[-1]] for row in result.table.rows]


def test_top_n_and_sort(demo_ctx: ToolContext) -> None:
    hand = (
        demo_ctx.warehouse()
        .execute(
            f"SELECT l.product_id, sum(l.quantity * l.unit_price) AS v {SALES} WHERE o.status = 'completed' "
            "GROUP BY 1 ORDER BY v DESC"
        )
        .fetchall()
    )
    top = run(demo_ctx, metric="revenue", group_by="product", top_n=3)
    assert [r[0] for r in top.table.rows] == [p for p, _ in hand[:3]]
    assert top.table.columns == ["product", "name", "revenue"]
    low = run(demo_ctx, metric="revenue", group_by="product", top_n=2, sort="value_asc")
    assert [r[-1] for r in low.table.rows] == [
        pytest.approx(v, abs=0.01) for _, v in sorted(hand, key=lambda r: r[1])[:2]
    ]
    assert low.charts()[0].kind == "barh"
    assert low.params["limit"] == 2


def test_repeat_rate_by_country_is_computed_per_customer(demo_ctx: ToolContext) -> None:
    result = run(demo_ctx, metric="repeat_rate", group_by="country")
    truth = dict(
        demo_ctx.warehouse()
        .execute(
            "SELECT c.country, avg(CASE WHEN n >= 2 THEN 1.0 ELSE 0.0 END) FROM (SELECT customer_id, count(*) AS n "
            "FROM orders WHERE status = 'completed' AND customer_id IS NOT NULL GROUP BY 1) x "
            "JOIN customers c USING (customer_id) GROUP BY 1"
        )
        .fetchall()
    )
    assert {r[0]: r[1] for r in result.table.rows} == {k: pytest.approx(v, abs=1e-6) for k, v in truth.items()}


def test_two_dimensions_make_a_heat_map(demo_ctx: ToolContext) -> None:
    result = run(demo_ctx, metric="average_rating", group_by="weekday", then_by="category")
    (chart,) = result.charts()
    assert chart.kind == "heatmap" and chart.x[0] == "Monday"
    truth = one(
        demo_ctx,
        "SELECT avg(r.rating) FROM reviews r JOIN products p USING (product_id) "
        "WHERE isodow(r.created_at) = 1 AND p.category = ?",
        [chart.series[0].name],
    )
    assert chart.series[0].values[0] == pytest.approx(truth, abs=1e-4)
    from assistant.render.charts import render_png

    assert render_png(chart).startswith(b"\x89PNG")


def test_incompatible_pairs_name_the_metric_and_the_dimension(demo_ctx: ToolContext) -> None:
    with pytest.raises(MetricsError, match=r"average_rating .*country.*reviews are not linked"):
        run(demo_ctx, metric="average_rating", group_by="country")
    with pytest.raises(MetricsError, match=r"review_count .*segment"):
        run(demo_ctx, metric="review_count", segment="champions")
    # The demo catalogue has no division / department / class paths: no number, an error naming both.
    with pytest.raises(MetricsError, match=r"average_rating by department: .*read from products.description"):
        run(demo_ctx, metric="average_rating", group_by="department")
    with pytest.raises(MetricsError, match=r"revenue by age_band: .*read from customers.age"):
        run(demo_ctx, metric="revenue", group_by="age_band")
    with pytest.raises(MetricsError, match=r"unknown metric 'profit'; known: revenue, orders"):
        run(demo_ctx, metric="profit")


def test_input_rules() -> None:
    with pytest.raises(ValueError, match="then_by needs group_by"):
        MetricsQuery(metric="revenue", then_by="month")
    with pytest.raises(ValueError, match="then_by must differ"):
        MetricsQuery(metric="revenue", group_by="month", then_by="month")
    with pytest.raises(ValueError, match="after date_to"):
        MetricsQuery.model_validate({"metric": "revenue", "date_from": "2024-05-01", "date_to": "2024-04-01"})


def test_workspace_metric_changes_every_answer_that_uses_it(ctx_with: object, demo_ctx: ToolContext) -> None:
    ctx = ctx_with(  # type: ignore[operator]
        """
metrics:
  revenue:
    label: revenue net of cancellations
    source: sales
    unit: money
    sql: "sum({LINE_AMOUNT}) FILTER (WHERE {COMPLETED}) - coalesce(sum({LINE_AMOUNT}) FILTER (WHERE {CANCELLED}), 0)"
  known_orders:
    label: orders of known customers
    source: sales
    unit: orders
    per_customer: "count(DISTINCT o.order_id) FILTER (WHERE {COMPLETED})"
    sql: "sum(customer_value)"
"""
    )
    completed = one(demo_ctx, f"SELECT sum(l.quantity * l.unit_price) {SALES} WHERE o.status = 'completed'")
    cancelled = one(demo_ctx, f"SELECT sum(l.quantity * l.unit_price) {SALES} WHERE o.status = 'cancelled'")
    orders = one(demo_ctx, "SELECT count(*) FROM orders WHERE status = 'completed'")
    assert cancelled > 0
    net = run(ctx, metric="revenue")
    assert net.total == pytest.approx(completed - cancelled, abs=0.01)
    assert net.label == "revenue net of cancellations" and "workspace" in net.definition
    aov = run(ctx, metric="average_order_value")  # refers to {revenue}: follows the workspace's definition
    assert aov.total == pytest.approx((completed - cancelled) / orders, abs=0.01)
    assert run(demo_ctx, metric="average_order_value").total == pytest.approx(completed / orders, abs=0.01)
    known = one(demo_ctx, "SELECT count(*) FROM orders WHERE status = 'completed' AND customer_id IS NOT NULL")
    assert run(ctx, metric="known_orders").total == known


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics:\n  revenue:\n    source: sales\n    sql: x\n", r"metrics\.revenue\.label: Field required"),
        ("metrics:\n  m:\n    label: m\n    source: shop\n    sql: count(*)\n", r"metrics\.m\.source"),
        (
            "metrics:\n  m:\n    label: m\n    source: sales\n    sql: '{nope}'\n",
            r"metrics\.m\.sql: unknown placeholder \{nope\}",
        ),
        ("metrics:\n  m:\n    label: m\n    source: sales\n    sql: (SELECT 1)\n", r"metrics\.m\.sql: .*one aggregate"),
        ("metrics:\n  m:\n    label: m\n    source: sales\n    sql: '{m} + 1'\n", r"metrics\.m\.sql: refers to itself"),
        (
            "metrics:\n  m:\n    label: m\n    source: reviews\n    sql: '{revenue}'\n",
            r"metrics\.m\.sql: \{revenue\} cannot",
        ),
        ("metrics:\n  Bad-Name:\n    label: m\n    source: sales\n    sql: count(*)\n", r"metrics\.Bad-Name: a name"),
        ("metrics: [1, 2\n", r"not valid YAML"),
    ],
)
def test_bad_metrics_files_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MetricsConfigError, match=message) as caught:
        load_catalog(path)
    assert str(path) in str(caught.value)


def test_a_metric_whose_sql_fails_names_its_file(ctx_with: object) -> None:
    ctx = ctx_with("metrics:\n  broken:\n    label: b\n    source: sales\n    sql: sum(o.no_such_column)\n")  # type: ignore[operator]
    with pytest.raises(MetricsError, match=r"broken \(defined in .*metrics-0\.yaml\): the SQL failed"):
        run(ctx, metric="broken")


def test_facts_name_the_rows(demo_ctx: ToolContext) -> None:
    result = run(demo_ctx, metric="cancellation_rate", group_by="country", countries=["Germany", "France"])
    facts = facts_from_result("query_metrics", result)
    assert facts[0].label == "of orders cancelled (Germany or France)" and facts[0].unit == "percent"
    by_key = {f.key: f.value for f in facts[1:]}
    truth = one(
        demo_ctx,
        "SELECT count(*) FILTER (WHERE o.status = 'cancelled') / count(*) FROM orders o "  # a guest order: its own
        "LEFT JOIN customers c ON c.customer_id = o.customer_id WHERE coalesce(c.country, o.country) = 'Germany'",
    )
    assert by_key["Germany"] == pytest.approx(truth, abs=1e-6)
    assert all(f.source == "query_metrics: SQL 'cancellation_rate by country'" for f in facts)


def test_routing_schema_offers_the_metrics_and_dimensions() -> None:
    tools = load_tools()
    branch = next(b for b in decision_schema(tools)["anyOf"] if b["properties"]["tool"].get("const") == "query_metrics")
    props = branch["properties"]["args"]["properties"]
    assert "revenue" in props["metric"]["enum"] and "average_rating" in props["metric"]["enum"]
    assert "weekday" in json.dumps(props["group_by"]) and "age_band" in json.dumps(props["then_by"])
    custom = decision_schema(tools, {"metric": ["revenue", "net_revenue"]})
    branch = next(b for b in custom["anyOf"] if b["properties"]["tool"].get("const") == "query_metrics")
    assert branch["properties"]["args"]["properties"]["metric"]["enum"] == ["revenue", "net_revenue"]


def test_cli_metrics_command(demo_workspace: Workspace, mka_home: Path, cli: CliRunner) -> None:
    env = {"MKA_HOME": str(demo_workspace.home)}
    out = cli.invoke(app, ["metrics", "customers", "--by", "segment", "--top", "2", "--json"], env=env)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert len(data["table"]["rows"]) == 2 and data["params"]["limit"] == 2
    bad = cli.invoke(app, ["metrics", "review_count", "--by", "country"], env=env)
    assert bad.exit_code != 0 and "review_count cannot be broken down or filtered by country" in bad.output


def test_the_agent_routes_runs_and_cites_a_metric(demo_workspace: Workspace, demo_ctx: ToolContext) -> None:
    from tests.helpers.agent import make_agent

    # Code reads the whole request (a metric by a group only query_metrics breaks down): no routing call.
    agent, model = make_agent(demo_workspace, "Across the shop an order is worth {f1}.", tools=load_tools())
    result = agent.ask("What is the average order value in each country?")
    step = result.steps[0]
    assert step.tool == "query_metrics" and step.ok, step.result
    assert step.args == {"metric": "average_order_value", "group_by": "country"}
    revenue = one(demo_ctx, f"SELECT sum(l.quantity * l.unit_price) {SALES} WHERE o.status = 'completed'")
    orders = one(demo_ctx, "SELECT count(*) FROM orders WHERE status = 'completed'")
    assert f"{revenue / orders:,.2f} average order value" in result.answer
    assert "| country | average order value |" in result.answer and "```sql" in result.answer
    assert result.charts and result.charts[0].kind == "bar"
    model.assert_complete()

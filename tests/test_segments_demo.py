"""Segments on the synthetic demo shop: the build step's tables and model, the tools, the CLI and TOOLS.

Expected numbers come from plain pandas over the warehouse's canonical tables (no SQL logic shared).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.workspace import Workspace
from tests.test_segments_real import reference_rfm
from tools.base import Renderable
from tools.context import ToolContext
from tools.segments import (
    TOOLS,
    CustomerOverviewInput,
    ExplainSegmentInput,
    SegmentName,
    SegmentSpec,
    customer_overview,
    explain_segment,
    segment_customer_ids,
    segment_query,
)
from tools.segments.rfm import SEGMENT_GRID


@pytest.fixture(scope="module")
def tables(demo_workspace: Workspace) -> dict[str, pd.DataFrame]:
    con = demo_workspace.connect()
    frames = {t: con.execute(f"SELECT * FROM {t}").df() for t in ("orders", "order_lines", "customers", "products")}
    frames["clusters"] = con.execute("SELECT * FROM customer_clusters").df()
    last = con.execute("SELECT value FROM meta WHERE key = 'last_order_at'").fetchone()
    con.close()
    assert last is not None
    orders = frames["orders"]
    done = orders[(orders["status"] == "completed") & orders["customer_id"].notna()]
    lines = frames["order_lines"].merge(done[["order_id", "customer_id", "ordered_at"]], on="order_id")
    lines["amount"] = lines["quantity"] * lines["unit_price"]
    frames["lines"] = lines
    as_of = date.fromisoformat(str(last[0])[:10])
    frames["rfm"] = reference_rfm(lines, as_of).join(frames["customers"].set_index("customer_id")["country"])
    return frames


def test_segment_grid_covers_every_score_pair_with_all_eleven_segments() -> None:
    cells = [SEGMENT_GRID[r][fm - 1] for r in range(1, 6) for fm in range(1, 6)]
    assert set(cells) == set(SegmentName)


def test_build_step_tables_and_model(demo_workspace: Workspace, tables: dict[str, pd.DataFrame]) -> None:
    con = demo_workspace.connect()
    stored = con.execute("SELECT customer_id, segment, monetary FROM customer_rfm").df().set_index("customer_id")
    profiles = con.execute("SELECT * FROM cluster_profiles ORDER BY cluster").df()
    con.close()
    rfm = tables["rfm"]
    assert len(stored) == len(rfm)
    assert (stored["segment"] == rfm["segment"].reindex(stored.index)).all()
    assert stored["monetary"].sum() == pytest.approx(rfm["monetary"].sum(), abs=0.01)
    model = json.loads((demo_workspace.models_dir / "segments" / "kmeans.json").read_text())
    assert model["k"] == len(profiles) and 3 <= model["k"] <= 8
    assert model["silhouette"] == max(model["silhouette_by_k"].values())
    assert set(tables["clusters"]["customer_id"]) == set(rfm.index)
    assert list(profiles["avg_monetary"]) == sorted(profiles["avg_monetary"], reverse=True)
    assert all(profiles["label"].str.count(",") == 2)
    manifest = demo_workspace.manifest()
    assert manifest["steps"]["segments"]["customers"] == len(rfm)


@pytest.mark.parametrize(
    ("spec", "select"),
    [
        ({}, lambda r: r.index == r.index),
        ({"segments": ["loyal", "new"]}, lambda r: r["segment"].isin(["loyal", "new"])),
        ({"countries": ["FRANCE", "spain"]}, lambda r: r["country"].isin(["France", "Spain"])),
        ({"frequency_min": 2, "recency_days_max": 60}, lambda r: (r["frequency"] >= 2) & (r["recency_days"] <= 60)),
        ({"monetary_max": 100}, lambda r: r["monetary"] <= 100),
    ],
)
def test_filters_equal_pandas(
    spec: dict[str, Any], select: Callable[[pd.DataFrame], Any], demo_ctx: ToolContext, tables: dict[str, pd.DataFrame]
) -> None:
    rfm = tables["rfm"]
    expected = rfm[select(rfm)]
    result = segment_query(SegmentSpec.model_validate(spec), demo_ctx)
    assert result.customers == len(expected) > 0
    assert result.revenue == pytest.approx(expected["monetary"].sum(), abs=0.01)
    assert result.share_of_customers == pytest.approx(len(expected) / len(rfm), abs=1e-4)
    assert result.avg_order_value == pytest.approx(expected["monetary"].sum() / expected["frequency"].sum(), abs=0.006)
    # listed in the spec's sort order (monetary, highest first)
    top = expected.sort_values(["monetary"], ascending=False).index[:5]
    assert result.sample_customer_ids[:5] == list(top)


def test_category_and_cluster_filters(demo_ctx: ToolContext, tables: dict[str, pd.DataFrame]) -> None:
    products = tables["products"]
    dresses = set(products.loc[products["category"] == "Dresses", "product_id"])
    lines = tables["lines"]
    buyers = lines[lines["product_id"].isin(dresses)].groupby("customer_id")["amount"].sum()
    clusters = tables["clusters"].set_index("customer_id")["cluster"]
    expected = buyers[buyers.index.isin(clusters.index[clusters == 1])]
    result = segment_query(SegmentSpec(bought_category="dresses", cluster=1, group_by="cluster"), demo_ctx)
    assert result.customers == len(expected)
    assert result.bought_revenue == pytest.approx(expected.sum(), abs=0.01)
    assert [r.key for r in result.breakdown] == ["1"]
    assert result.matched_products_total == len(dresses)


def test_prediction_filters_equal_pandas(
    demo_ctx: ToolContext, demo_workspace: Workspace, tables: dict[str, pd.DataFrame]
) -> None:
    """'High-value customers with churn risk over 70 %': the stored predictions joined to RFM, checked in pandas."""
    con = demo_workspace.connect()
    predictions = con.execute("SELECT * FROM customer_predictions").df().set_index("customer_id")
    con.close()
    rfm = tables["rfm"].join(predictions[["churn_probability", "expected_spend"]], how="inner")
    spend = float(rfm["monetary"].median())
    risky = rfm[(rfm["churn_probability"] >= 0.7) & (rfm["monetary"] >= spend)]
    result = segment_query(SegmentSpec(churn_probability_min=0.7, monetary_min=spend), demo_ctx)
    assert result.customers == len(risky) > 0
    assert result.revenue == pytest.approx(risky["monetary"].sum(), abs=0.01)
    assert "predicted churn probability at least 0.7" in result.definition
    valuable = rfm[(rfm["expected_spend"] >= 100) & (rfm["churn_probability"] <= 0.3)]
    result = segment_query(SegmentSpec(expected_spend_min=100, churn_probability_max=0.3), demo_ctx)
    assert result.customers == len(valuable)
    with pytest.raises(ValueError, match="churn_probability_min"):
        SegmentSpec(churn_probability_min=0.8, churn_probability_max=0.2)
    with pytest.raises(ValueError, match="churn_probability_min"):
        SegmentSpec(churn_probability_min=1.5)
    earlier = date.fromisoformat(str(tables["orders"]["ordered_at"].min())[:10])
    with pytest.raises(Exception, match=r"churn_probability_min.*as of"):
        segment_query(SegmentSpec(churn_probability_min=0.5, as_of=earlier), demo_ctx)


def test_segment_customer_ids_and_export(demo_ctx: ToolContext, tables: dict[str, pd.DataFrame]) -> None:
    spec = SegmentSpec(segments=["at_risk"], sort="customer_id", export=True, limit=3)
    ids = segment_customer_ids(spec, demo_ctx)
    rfm = tables["rfm"]
    assert ids == sorted(rfm.index[rfm["segment"] == "at_risk"])
    result = segment_query(spec, demo_ctx)
    assert result.sample_customer_ids == ids[:3]
    assert result.export_path is not None
    with open(result.export_path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["customer_id"] for r in rows] == ids
    assert {r["segment"] for r in rows} == {"at_risk"}
    Path(result.export_path).unlink()


def test_result_shows_its_sql_with_bound_values(demo_ctx: ToolContext) -> None:
    result = segment_query(SegmentSpec(countries=["Germany"], monetary_min=50, group_by="month"), demo_ctx)
    summary = result.queries[[q.purpose for q in result.queries].index("summary")]
    assert "$countries" in summary.sql and "Germany" not in summary.sql
    assert summary.params["countries"] == ["Germany"] and summary.params["monetary_min"] == 50
    assert "Germany" in result.definition
    assert result.breakdown and all(len(r.key) == 7 for r in result.breakdown)  # YYYY-MM
    assert isinstance(result, Renderable)
    assert result.charts()[0].kind == "line"
    assert "**Segment:**" in result.to_markdown()


def test_overview_equals_pandas(demo_ctx: ToolContext, tables: dict[str, pd.DataFrame]) -> None:
    rfm = tables["rfm"]
    result = customer_overview(CustomerOverviewInput(countries=["Germany"], top_n=3), demo_ctx)
    germany = rfm[rfm["country"] == "Germany"]
    assert result.customers == len(germany)
    assert result.repeat_rate == pytest.approx((germany["frequency"] >= 2).mean(), abs=1e-4)
    assert result.avg_order_value == pytest.approx(germany["monetary"].sum() / germany["frequency"].sum(), abs=0.006)
    assert len(result.top_products.rows) == 3
    assert sum(int(row[1] or 0) for row in result.segments.rows) == len(germany)
    assert any("Reviewers by age band" in (t.title or "") for t in result.demographics)
    assert len(result.charts()) == 3


def test_explain_beats_majority_and_gives_rules(demo_ctx: ToolContext, tables: dict[str, pd.DataFrame]) -> None:
    result = explain_segment(ExplainSegmentInput(segment="Can't lose"), demo_ctx)
    assert result.members == int((tables["rfm"]["segment"] == "cant_lose").sum())
    assert result.depth <= 3
    assert result.balanced_accuracy > 0.8 and result.accuracy >= result.majority_baseline
    assert result.rules and all(1 <= len(r.conditions) <= 3 for r in result.rules)
    assert "days since last order" in " ".join(c for r in result.rules for c in r.conditions)
    assert sum(r.members for r in result.rules) <= result.members
    cluster = explain_segment(ExplainSegmentInput(cluster=0, max_depth=2), demo_ctx)
    assert cluster.depth <= 2 and cluster.rules


def test_tools_are_registered_for_the_agent() -> None:
    names = [t.name for t in TOOLS]
    assert names == ["segment_query", "customer_overview", "explain_segment"]
    for tool in TOOLS:
        model = tool.input_model
        assert model.__doc__ and tool.description and callable(tool.run)
        schema = model.model_json_schema()
        assert all("description" in p for p in schema["properties"].values()), model.__name__


def test_cli_segment_commands(
    mka_home: Path, cli: CliRunner, demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.core.settings import get_settings

    monkeypatch.setenv("MKA_HOME", str(demo_workspace.home))
    get_settings.cache_clear()
    out = cli.invoke(app, ["segment", "query", "-s", "champions", "--group-by", "country", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["customers"] > 0 and data["breakdown"] and data["queries"]
    overview = cli.invoke(app, ["segment", "overview", "--json", "--top", "2"])
    assert overview.exit_code == 0 and json.loads(overview.stdout)["customers"] > 0
    explain = cli.invoke(app, ["segment", "explain", "-s", "lost"])
    assert explain.exit_code == 0 and "IF " in explain.stdout
    bad = cli.invoke(app, ["segment", "query", "--country", "Germny"])
    assert bad.exit_code == 1 and "countries" in bad.output and "Germany" in bad.output
    inverted = cli.invoke(app, ["segment", "query", "--recency-min", "90", "--recency-max", "10"])
    assert inverted.exit_code == 1 and "recency_days_min" in inverted.output

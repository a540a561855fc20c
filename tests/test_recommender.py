"""recommend_products on the synthetic demo shop: every mode, reasons checked against the warehouse, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.workspace import Workspace
from tools.base import Renderable
from tools.context import ToolContext
from tools.recommend.evaluate import ranking_metrics, top_k
from tools.recommend.tool import (
    TOOLS,
    RecommendationError,
    RecommendProductsInput,
    RecommendProductsResult,
    recommend_products,
)


def _customer_with_history(ctx: ToolContext, at_least: int) -> tuple[str, set[str]]:
    row = (
        ctx.warehouse()
        .execute(
            """SELECT o.customer_id, list(DISTINCT l.product_id) FROM orders o JOIN order_lines l USING (order_id)
               WHERE o.status = 'completed' AND o.customer_id IS NOT NULL
               GROUP BY 1 HAVING count(DISTINCT l.product_id) >= ? ORDER BY 1 LIMIT 1""",
            [at_least],
        )
        .fetchone()
    )
    assert row is not None
    return str(row[0]), set(row[1])


def _co_buyers(ctx: ToolContext, a: str, b: str) -> int:
    row = (
        ctx.warehouse()
        .execute(
            """WITH bought AS (SELECT DISTINCT o.customer_id, l.product_id FROM orders o JOIN order_lines l
                 USING (order_id) WHERE o.status = 'completed' AND o.customer_id IS NOT NULL)
               SELECT count(*) FROM bought x JOIN bought y USING (customer_id)
               WHERE x.product_id = ? AND y.product_id = ?""",
            [a, b],
        )
        .fetchone()
    )
    return int(row[0]) if row else 0


def _product_id(ctx: ToolContext, name: str) -> str:
    row = ctx.warehouse().execute("SELECT product_id FROM products WHERE name = ?", [name]).fetchone()
    assert row is not None
    return str(row[0])


def test_customer_recommendations_leave_out_purchases_and_give_reasons(demo_ctx: ToolContext) -> None:
    customer, bought = _customer_with_history(demo_ctx, at_least=3)
    result = recommend_products(RecommendProductsInput(customer_id=customer, k=5), demo_ctx)
    assert result.mode == "customer"
    assert result.model.startswith("hybrid (ease")
    assert 1 <= len(result.items) <= 5
    assert [r.rank for r in result.items] == list(range(1, len(result.items) + 1))
    assert not {r.product_id for r in result.items} & bought
    scores = [r.score for r in result.items]
    assert scores == sorted(scores, reverse=True)
    assert all(r.reason for r in result.items)
    assert isinstance(result, Renderable)
    assert result.items[0].name in result.to_markdown()


def test_including_purchases_can_return_bought_products(demo_ctx: ToolContext) -> None:
    customer, bought = _customer_with_history(demo_ctx, at_least=8)
    kept = recommend_products(RecommendProductsInput(customer_id=customer, k=40, exclude_purchased=False), demo_ctx)
    left_out = recommend_products(RecommendProductsInput(customer_id=customer, k=40), demo_ctx)
    assert {r.product_id for r in kept.items} & bought
    assert len(left_out.items) <= 41 - len(bought)


def test_bought_together_counts_match_the_warehouse(demo_ctx: ToolContext) -> None:
    basket = _product_id(demo_ctx, "White Hanging Heart Lantern")
    result = recommend_products(RecommendProductsInput(product_ids=[basket], k=5), demo_ctx)
    assert result.mode == "basket"
    assert basket not in {r.product_id for r in result.items}
    checked = 0
    for item in result.items:
        match = re.fullmatch(r"bought together with (.+) by ([\d,]+) customers", item.reason)
        if match:
            assert match.group(1) == "White Hanging Heart Lantern"
            assert int(match.group(2).replace(",", "")) == _co_buyers(demo_ctx, basket, item.product_id)
            checked += 1
    assert checked >= 1


def test_basket_accepts_names_and_names_unknown_entries(demo_ctx: ToolContext) -> None:
    result = recommend_products(RecommendProductsInput(product_ids=["white hanging heart lantern", "NOPE-1"]), demo_ctx)
    assert result.target.startswith("a basket of White Hanging Heart Lantern")
    assert any("'NOPE-1'" in note for note in result.notes)


def test_unknown_products_only_is_a_clear_error(demo_ctx: ToolContext) -> None:
    with pytest.raises(RecommendationError, match=r"product_ids: 'NOPE-1' is not a known .*; 'NOPE-2' is not a known"):
        recommend_products(RecommendProductsInput(product_ids=["NOPE-1", "NOPE-2"]), demo_ctx)


def test_vague_product_name_lists_the_candidates(demo_ctx: ToolContext) -> None:
    with pytest.raises(RecommendationError, match=r"'dress' matches \d+ products \(e\.g\. D1"):
        recommend_products(RecommendProductsInput(product_ids=["dress"]), demo_ctx)


def test_unknown_customer_is_named(demo_ctx: ToolContext) -> None:
    with pytest.raises(RecommendationError, match=r"customer_id: unknown customer 'NOBODY-42'"):
        recommend_products(RecommendProductsInput(customer_id="NOBODY-42"), demo_ctx)


def test_customer_without_purchases_falls_back_and_says_so(demo_ctx: ToolContext) -> None:
    row = (
        demo_ctx.warehouse()
        .execute(
            "SELECT customer_id FROM customers EXCEPT SELECT customer_id FROM orders WHERE status = 'completed' "
            "ORDER BY 1 LIMIT 1"
        )
        .fetchone()
    )
    assert row is not None, "the demo shop should have a customer with only cancelled orders"
    result = recommend_products(RecommendProductsInput(customer_id=str(row[0]), k=3), demo_ctx)
    assert result.model == "seasonal_popularity (cold start)"
    assert any("cold start" in note for note in result.notes)
    assert len(result.items) == 3


def test_segment_recommendations_report_lift_from_the_data(demo_ctx: ToolContext) -> None:
    result = recommend_products(RecommendProductsInput(segment="at_risk", k=5), demo_ctx)
    assert result.mode == "segment"
    assert result.segment_customers and result.segment_customers > 0
    assert result.lifts is not None and len(result.lifts) == len(result.items)
    assert any(lift > 1.0 for lift in result.lifts)
    chart = result.charts()[0]
    assert chart.series[0].values == result.lifts
    for item, lift in zip(result.items, result.lifts, strict=True):
        assert f"({lift}× lift)" in item.reason


def test_segment_errors_name_the_field(demo_ctx: ToolContext) -> None:
    with pytest.raises(RecommendationError, match=r"^segment: 'big spenders' is not understood"):
        recommend_products(RecommendProductsInput(segment="big spenders"), demo_ctx)
    with pytest.raises(RecommendationError, match=r"^country: "):
        recommend_products(RecommendProductsInput(country="Atlantis"), demo_ctx)


def test_interest_matches_product_names(demo_ctx: ToolContext) -> None:
    result = recommend_products(RecommendProductsInput(interest="summer dress", k=3), demo_ctx)
    assert result.mode == "interest"
    assert any("Dress" in r.name for r in result.items)
    assert all(r.reason.startswith("matches 'summer dress'") for r in result.items)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"customer_id": "x", "k": 0}, "k"),
        ({"customer_id": "x", "k": 10_000}, "k"),
        ({"product_ids": []}, "product_ids"),
        ({}, "exactly one of"),
        ({"customer_id": "x", "interest": "mugs"}, "got: customer_id, interest"),
        ({"interest": "   "}, "interest must not be blank"),
    ],
)
def test_bad_input_names_the_field(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RecommendProductsInput.model_validate(fields)


def test_segment_and_country_together_are_one_target() -> None:
    both = RecommendProductsInput.model_validate({"segment": "champions", "country": "Germany"})
    assert (both.segment, both.country) == ("champions", "Germany")
    with pytest.raises(ValidationError, match="got: segment/country, interest"):
        RecommendProductsInput.model_validate({"country": "Germany", "interest": "mugs"})


def test_numeric_customer_ids_are_accepted() -> None:
    assert RecommendProductsInput.model_validate({"customer_id": 12347.0}).customer_id == "12347"


def test_tool_registration_shape() -> None:
    (tool,) = TOOLS
    assert tool.name == "recommend_products" and tool.input_model is RecommendProductsInput
    assert tool.run is recommend_products and tool.carry_over is not None
    assert tool.description and tool.input_model.__doc__
    assert all(f.description for f in RecommendProductsInput.model_fields.values())


def test_ranking_metrics_by_hand() -> None:
    scores = np.array([[0.9, 0.8, 0.1, 0.0], [0.1, 0.2, 0.3, 0.4]], dtype=np.float32)
    ranked = top_k(scores, 2)
    assert ranked.tolist() == [[0, 1], [3, 2]]
    metrics = ranking_metrics(ranked, [np.array([1]), np.array([0, 1])], np.array([1, 3]), n_items=4)
    # customer 1: hit at rank 2 of 1 target -> recall 1, ndcg 1/log2(3); customer 2: no hit of 3 targets.
    assert metrics.recall == pytest.approx(0.5)
    assert metrics.ndcg == pytest.approx(round((1 / np.log2(3)) / 2, 4))
    assert metrics.hit_rate == pytest.approx(0.5)
    assert metrics.coverage == pytest.approx(1.0)


def test_cli_recommend_json_and_errors(demo_workspace: Workspace, mka_home: Path, cli: CliRunner) -> None:
    env = {"MKA_HOME": str(demo_workspace.home)}
    ok = cli.invoke(app, ["recommend", "--segment", "champions", "--k", "3", "--json"], env=env)
    assert ok.exit_code == 0, ok.output
    payload = RecommendProductsResult.model_validate(json.loads(ok.stdout))
    assert payload.mode == "segment" and len(payload.items) == 3
    bad = cli.invoke(app, ["recommend", "--customer", "NOBODY-42"], env=env)
    assert bad.exit_code == 1
    assert "unknown customer 'NOBODY-42'" in bad.output


def test_bench_runs_on_the_demo(demo_workspace: Workspace, mka_home: Path, cli: CliRunner, tmp_path: Path) -> None:
    dump = tmp_path / "recs.jsonl"
    env = {"MKA_HOME": str(demo_workspace.home)}
    args = ["bench", "recommender", "--cutoff", "2024-10-01", "--k", "5", "--json", "--dump", str(dump)]
    result = cli.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for name in ("popularity", "item_knn", "ease", "als", "content", "hybrid"):
        for protocol in ("all", "new"):
            assert 0.0 <= report["models"][name][protocol]["ndcg"] <= 1.0
    assert report["latency"]["calls"] > 0
    lines = [json.loads(line) for line in dump.read_text().splitlines()]
    assert len(lines) == report["test_customers"]["all"]
    assert all(len(line["items"]) == 5 for line in lines)

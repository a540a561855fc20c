"""recommend_products on the real data (UCI Online Retail + clothing reviews), built with every build step."""

from __future__ import annotations

import re

import pytest

from tools.context import ToolContext
from tools.recommend.tool import RecommendProductsInput, recommend_products

pytestmark = pytest.mark.integration


def test_what_sells_with_the_white_hanging_heart(real_ctx: ToolContext) -> None:
    result = recommend_products(
        RecommendProductsInput(product_ids=["white hanging heart t-light holder"], k=5), real_ctx
    )
    assert result.target == "a basket of WHITE HANGING HEART T-LIGHT HOLDER"
    assert "85123A" not in {r.product_id for r in result.items}
    checked = 0
    for item in result.items:
        match = re.search(r"with WHITE HANGING HEART T-LIGHT HOLDER by ([\d,]+) customers", item.reason)
        if not match:
            continue
        checked += 1
        row = (
            real_ctx.warehouse()
            .execute(
                """WITH bought AS (SELECT DISTINCT o.customer_id, l.product_id FROM orders o
                     JOIN order_lines l USING (order_id) WHERE o.status = 'completed' AND o.customer_id IS NOT NULL)
                   SELECT count(*) FROM bought a JOIN bought b USING (customer_id)
                   WHERE a.product_id = '85123A' AND b.product_id = ?""",
                [item.product_id],
            )
            .fetchone()
        )
        assert row is not None and int(match.group(1).replace(",", "")) == row[0]
    assert checked >= 1, [r.reason for r in result.items]  # at least one co-purchase count was checked


def test_email_for_customer_12347_leaves_out_what_they_bought(real_ctx: ToolContext) -> None:
    bought = {
        r[0]
        for r in real_ctx.warehouse()
        .execute(
            "SELECT DISTINCT l.product_id FROM orders o JOIN order_lines l USING (order_id) "
            "WHERE o.customer_id = '12347' AND o.status = 'completed'"
        )
        .fetchall()
    }
    result = recommend_products(RecommendProductsInput(customer_id="12347", k=10), real_ctx)
    assert len(result.items) == 10 and result.model.startswith("hybrid")
    assert not {r.product_id for r in result.items} & bought


def test_unsold_review_product_falls_back_to_names(real_ctx: ToolContext) -> None:
    # Clothing products come only from reviews: never sold, so only the content model can place them.
    result = recommend_products(RecommendProductsInput(product_ids=["1078"], k=3), real_ctx)
    assert result.model == "content (cold start)"
    assert any("cold start" in note for note in result.notes)
    assert len(result.items) == 3 and all(r.reason.startswith("similar to Dresses #1078") for r in result.items)


def test_interest_in_vintage_kitchenware(real_ctx: ToolContext) -> None:
    result = recommend_products(RecommendProductsInput(interest="vintage kitchenware", k=5), real_ctx)
    assert any(r.category == "Kitchen & dining" for r in result.items)

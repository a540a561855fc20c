"""recommend_products on the real data (UCI Online Retail + clothing reviews), built with every build step."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from tools.context import ToolContext
from tools.recommend.tool import RecommendProductsInput, recommend_products

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ctx(real_workspace: Workspace) -> Iterator[ToolContext]:
    context = ToolContext.from_settings(Settings(home=real_workspace.home, llm="scripted"))
    yield context
    context.close()


def test_what_sells_with_the_white_hanging_heart(ctx: ToolContext) -> None:
    result = recommend_products(RecommendProductsInput(product_ids=["white hanging heart t-light holder"], k=5), ctx)
    assert result.target == "a basket of WHITE HANGING HEART T-LIGHT HOLDER"
    assert "85123A" not in {r.product_id for r in result.items}
    for item in result.items:
        match = re.search(r"with WHITE HANGING HEART T-LIGHT HOLDER by ([\d,]+) customers", item.reason)
        if not match:
            continue
        row = (
            ctx.warehouse()
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


def test_email_for_customer_12347_leaves_out_what_they_bought(ctx: ToolContext) -> None:
    bought = {
        r[0]
        for r in ctx.warehouse()
        .execute(
            "SELECT DISTINCT l.product_id FROM orders o JOIN order_lines l USING (order_id) "
            "WHERE o.customer_id = '12347' AND o.status = 'completed'"
        )
        .fetchall()
    }
    result = recommend_products(RecommendProductsInput(customer_id="12347", k=10), ctx)
    assert len(result.items) == 10 and result.model.startswith("hybrid")
    assert not {r.product_id for r in result.items} & bought


def test_unsold_review_product_falls_back_to_names(ctx: ToolContext) -> None:
    # Clothing products come only from reviews: never sold, so only the content model can place them.
    result = recommend_products(RecommendProductsInput(product_ids=["1078"], k=3), ctx)
    assert result.model == "content (cold start)"
    assert any("cold start" in note for note in result.notes)
    assert all(r.reason.startswith("similar to Dresses #1078") for r in result.items)


def test_interest_in_vintage_kitchenware(ctx: ToolContext) -> None:
    result = recommend_products(RecommendProductsInput(interest="vintage kitchenware", k=5), ctx)
    assert any(r.category == "Kitchen & dining" for r in result.items)

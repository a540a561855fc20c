"""Churn and recommender results warn when the shop has too little repeat buying to learn from, and stay
quiet when customers come back."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.progress import Progress

from assistant.core.settings import Settings
from assistant.ingest.pipeline import Sources, run_ingest
from tools.context import ToolContext
from tools.predict import PredictChurnInput, predict_churn
from tools.recommend.tool import RecommendProductsInput, recommend_products
from tools.sales import MIN_REPEAT_SHARE, repeat_buying

MAPPING = (
    "orders:\n  file: orders.csv\n  columns: {order_id: Id, customer_id: Customer, ordered_at: Date,"
    " product_id: SKU, quantity: Qty, unit_price: Price}\n"
)


def write_shop(directory: Path, customers: int, repeaters: int, seed: int = 3) -> Path:
    """Orders over a year: every customer buys once, `repeaters` of them three or four more times."""
    rng = random.Random(seed)
    rows = ["Id,Customer,Date,SKU,Qty,Price"]
    order = 0
    for c in range(customers):
        visits = 1 + (rng.randint(3, 4) if c < repeaters else 0)
        for _ in range(visits):
            order += 1
            day = date(2023, 1, 1) + timedelta(days=rng.randint(0, 364))
            for sku in rng.sample(range(12), 2):
                rows.append(f"O{order},C{c:04d},{day},P{sku:02d},{rng.randint(1, 3)},{rng.randint(5, 40)}.00")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (directory / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return directory / "mapping.yaml"


def _shop(tmp_path_factory: pytest.TempPathFactory, repeaters: int) -> ToolContext:
    mapping = write_shop(tmp_path_factory.mktemp("export"), customers=300, repeaters=repeaters)
    settings = Settings(home=tmp_path_factory.mktemp("home"), llm="scripted", data_dir=None)
    with Progress(disable=True) as progress:
        run_ingest(Sources(mapping=mapping), settings, progress, skip_steps=frozenset({"sentiment", "index"}))
    return ToolContext.from_settings(settings)


@pytest.fixture(scope="module")
def one_off_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolContext]:
    ctx = _shop(tmp_path_factory, repeaters=15)  # 5 % come back
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def loyal_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolContext]:
    ctx = _shop(tmp_path_factory, repeaters=150)  # half come back
    yield ctx
    ctx.close()


def test_repeat_share_is_measured_on_completed_orders(one_off_shop: ToolContext) -> None:
    stats = repeat_buying(one_off_shop.warehouse(), date(2023, 12, 31))
    assert stats.customers == 300 and stats.repeat_customers == 15
    assert stats.share < MIN_REPEAT_SHARE and stats.warning("churn predictions")


def test_churn_and_recommendations_warn_without_repeat_buying(one_off_shop: ToolContext) -> None:
    churn = predict_churn(PredictChurnInput(), one_off_shop)
    assert churn.warnings and "Too little repeat buying" in churn.warnings[0]
    assert "Warning:" in churn.to_markdown() and "15 of 300 customers" in churn.to_markdown()
    recs = recommend_products(RecommendProductsInput(product_ids=["P01"]), one_off_shop)
    assert recs.warnings and "Warning:" in recs.to_markdown()


def test_no_warning_when_customers_come_back(loyal_shop: ToolContext) -> None:
    assert predict_churn(PredictChurnInput(), loyal_shop).warnings == []
    assert recommend_products(RecommendProductsInput(product_ids=["P01"]), loyal_shop).warnings == []

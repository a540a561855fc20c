"""One definition of orders, revenue and cancellations (tools/sales.py): overview, segments, forecast and the
predictions' order history agree with each other and with figures recomputed from the raw export files, on a
synthetic shop with cancellations by guests and by customers who never completed an order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from rich.progress import Progress

from assistant.core.settings import Settings
from assistant.ingest.pipeline import Sources, run_ingest
from assistant.ingest.synthetic_exports import write_export
from tools.context import ToolContext
from tools.predict.common import customer_orders
from tools.predict.forecast import daily_series
from tools.segments import CustomerOverviewInput, SegmentSpec, customer_overview, segment_query

AS_OF = date(2024, 10, 31)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ToolContext, Path]]:
    """The normalised synthetic export ingested (warehouse only), and the directory of its raw files."""
    export = tmp_path_factory.mktemp("export")
    mapping = write_export("normalised", export, n_orders=400)
    settings = Settings(home=tmp_path_factory.mktemp("home"), llm="scripted", data_dir=None)
    with Progress(disable=True) as progress:
        run_ingest(Sources(mapping=mapping), settings, progress, skip_steps=frozenset({"all"}))
    ctx = ToolContext.from_settings(settings)
    yield ctx, export
    ctx.close()


def raw_figures(export: Path, as_of: date) -> dict[str, float]:
    """The definitions recomputed with pandas from the raw files (no SQL shared with the tools)."""
    orders = pd.read_csv(export / "orders.csv", dtype=str, keep_default_na=False)
    orders = orders[pd.to_datetime(orders["purchased_at"]) < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    items = pd.read_csv(export / "order_items.csv.gz", dtype=str, keep_default_na=False)
    delivered = orders[orders["status"] == "delivered"]
    cancelled = orders[orders["status"] == "canceled"]
    buyers = set(delivered.loc[delivered["customer_id"] != "", "customer_id"])
    revenue = items.loc[items["order_id"].isin(set(delivered["order_id"])), "price"].astype(float).sum()
    member_revenue = items.loc[
        items["order_id"].isin(set(delivered.loc[delivered["customer_id"] != "", "order_id"])), "price"
    ].astype(float)
    return {
        "placed": len(orders),
        "orders": len(delivered),
        "revenue": round(revenue, 2),
        "customer_revenue": round(member_revenue.sum(), 2),
        "cancelled": len(cancelled),
        "customer_cancelled": int((cancelled["customer_id"] != "").sum()),
        "guest_cancelled": int((cancelled["customer_id"] == "").sum()),
        "cancelled_by_non_buyers": int(
            ((cancelled["customer_id"] != "") & ~cancelled["customer_id"].isin(buyers)).sum()
        ),
    }


def test_the_shop_has_the_hard_cases(shop: tuple[ToolContext, Path]) -> None:
    raw = raw_figures(shop[1], AS_OF)
    assert raw["guest_cancelled"] > 0 and raw["cancelled_by_non_buyers"] > 0


def test_overview_counts_every_cancellation_and_the_whole_shops_revenue(shop: tuple[ToolContext, Path]) -> None:
    ctx, export = shop
    raw = raw_figures(export, AS_OF)
    result = customer_overview(CustomerOverviewInput(as_of=AS_OF), ctx)
    assert result.cancelled_orders == raw["cancelled"]  # guests' and non-buyers' cancellations included
    assert result.cancellation_rate == pytest.approx(raw["cancelled"] / raw["placed"], abs=1e-4)
    assert result.shop_revenue == pytest.approx(raw["revenue"], abs=0.01)
    assert result.shop_orders == raw["orders"]
    assert result.revenue == pytest.approx(raw["customer_revenue"], abs=0.01)
    assert f"Cancelled orders: {raw['cancelled']:,}" in result.to_markdown()


def test_overview_segments_forecast_and_predictions_agree(shop: tuple[ToolContext, Path]) -> None:
    ctx, export = shop
    raw = raw_figures(export, AS_OF)
    overview = customer_overview(CustomerOverviewInput(as_of=AS_OF), ctx)
    segments = segment_query(SegmentSpec(as_of=AS_OF), ctx)
    revenue = daily_series(ctx, "revenue", None)
    orders = daily_series(ctx, "orders", None)
    upto = revenue.index <= pd.Timestamp(AS_OF)
    # forecast history: completed orders' lines, cancellations not subtracted, guests included
    assert float(revenue[upto].sum()) == pytest.approx(overview.shop_revenue, abs=0.01)
    assert int(orders[upto].sum()) == overview.shop_orders
    # segments: the customers' share of the same revenue
    assert segments.revenue == pytest.approx(overview.revenue, abs=0.01)
    assert segments.orders == overview.orders
    # predictions' order history: every customer cancellation, orders without lines included
    history = customer_orders(ctx.warehouse())
    history = history[history["ordered_at"] < pd.Timestamp(AS_OF) + pd.Timedelta(days=1)]
    assert int((history["status"] == "cancelled").sum()) == raw["customer_cancelled"]
    done = history[history["status"] == "completed"]
    assert round(float(done["amount"].sum()), 2) == pytest.approx(overview.revenue, abs=0.01)
    assert overview.cancelled_orders == raw["customer_cancelled"] + raw["guest_cancelled"]

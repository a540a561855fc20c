"""The digest on the real data as of several past dates: KPIs and RFM segment sizes recomputed independently in
pandas from the warehouse tables, the reviews said to be undated, the forecast checked against what happened."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from assistant.proactive.digest import PeriodKind, build_digest
from assistant.proactive.metrics import ShopMetrics
from bench.segments import pandas_rfm
from tests.helpers.proactive import pandas_kpis

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def metrics(real_shop_metrics: ShopMetrics) -> ShopMetrics:
    return real_shop_metrics


@pytest.fixture(scope="module")
def frames(metrics: ShopMetrics) -> dict[str, pd.DataFrame]:
    return {
        "orders": metrics.con.execute("SELECT order_id, customer_id, ordered_at, status FROM orders").df(),
        "order_lines": metrics.con.execute("SELECT order_id, product_id, quantity, unit_price FROM order_lines").df(),
    }


@pytest.mark.parametrize(
    ("kind", "as_of"),
    [("week", date(2010, 12, 30)), ("month", date(2011, 9, 30)), ("day", date(2011, 12, 9))],
)  # fmt: skip
def test_real_digest_as_of_past_dates(
    metrics: ShopMetrics, frames: dict[str, pd.DataFrame], kind: PeriodKind, as_of: date
) -> None:
    digest = build_digest(metrics, kind, as_of)
    for kpis, period in ((digest.now, digest.period), (digest.before, digest.previous)):
        got = {"revenue": kpis.revenue, "orders": kpis.orders, "cancellations": kpis.cancellations,
               "customers": kpis.customers, "new_customers": kpis.new_customers, "aov": kpis.aov or 0.0}  # fmt: skip
        assert got == pytest.approx(pandas_kpis(frames, period.start, period.end), abs=0.011), period
    for day, column in ((digest.period.end, "now"), (digest.previous.end, "before")):
        sizes = pandas_rfm(frames["orders"], frames["order_lines"], day)["segment"].value_counts().to_dict()
        assert {s.segment: getattr(s, column) for s in digest.segments if getattr(s, column)} == sizes
    reviews = int(metrics.con.execute("SELECT count(*) FROM reviews").fetchone()[0])  # type: ignore[index]
    markdown = digest.to_markdown()
    assert f"The {reviews:,} reviews in this workspace carry no dates" in markdown  # the clothing reviews are undated
    if as_of == date(2010, 12, 30):
        assert digest.now.orders == 0 and "Orders | 0 |" in markdown  # the shop's Christmas closure
        assert "needs 8 weeks of sales before the period" in markdown  # the data starts on 2010-12-01
    else:
        assert [f.metric for f in digest.forecasts] == ["revenue", "orders"]
        assert digest.forecasts[0].actual == pytest.approx(digest.now.revenue, abs=0.01)
        assert digest.forecasts[1].actual == digest.now.orders
        assert all(f.low <= f.forecast <= f.high for f in digest.forecasts)
    html = digest.to_html()
    assert "<script" not in html and html.count("<table>") == len(markdown.split("\n|---")) - 1

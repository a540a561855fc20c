"""Real data: segment queries equal an independent pandas computation from the raw UCI Online Retail file.

The reference below re-implements the documented rules (the ingest rules in README.md, tools/segments/rfm.py
definitions) in plain pandas, starting from the raw CSV, without the ingest code or any SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

import pandas as pd
import pytest

from assistant.ingest.categories import categorise
from tests.conftest import RETAIL_CSV, require_real_data
from tools.context import ToolContext
from tools.segments import SegmentResult, SegmentSpec, customer_overview, segment_query
from tools.segments.overview import CustomerOverviewInput
from tools.segments.rfm import SEGMENT_GRID

pytestmark = pytest.mark.integration

NON_PRODUCT = {"POST", "DOT", "C2", "D", "M", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "CARRIAGE"}
LAST_DAY = date(2011, 12, 9)


def _mode(frame: pd.DataFrame, key: str, value: str) -> pd.Series:
    """Most frequent non-empty value per key; ties go to the alphabetically first value."""
    f = frame[frame[value] != ""]
    counts = f.groupby([key, value]).size().rename("n").reset_index()
    counts = counts.sort_values([key, "n", value], ascending=[True, False, True])
    return counts.drop_duplicates(key).set_index(key)[value]


@cache
def raw_reference() -> dict[str, pd.DataFrame]:
    """Completed lines of known customers (with order id/time/amount), customer countries, product names."""
    require_real_data()
    raw = pd.read_csv(RETAIL_CSV, dtype=str, keep_default_na=False)
    raw = raw[~raw.duplicated()]
    code = raw["StockCode"].str.strip().str.upper()
    invoice = raw["InvoiceNo"].str.strip().str.upper()
    quantity = pd.to_numeric(raw["Quantity"])
    price = pd.to_numeric(raw["UnitPrice"])
    cancelled = invoice.str.startswith("C")
    keep = (
        ~(code.isin(NON_PRODUCT) | code.str.startswith("GIFT_"))
        & (price > 0)
        & (((cancelled) & (quantity < 0)) | ((~cancelled) & (quantity > 0)))
    )
    kept = pd.DataFrame(
        {
            "order_id": invoice,
            "product_id": code,
            "quantity": quantity.abs(),
            "unit_price": price,
            "at": pd.to_datetime(raw["InvoiceDate"]),
            "customer_id": raw["CustomerID"].str.strip().str.replace(r"^(\d+)\.0+$", r"\1", regex=True),
            "country": raw["Country"].str.replace(r"\s+", " ", regex=True).str.strip(),
            "name": raw["Description"].str.replace(r"\s+", " ", regex=True).str.strip(),
            "cancelled": cancelled,
        }
    )[keep]
    order_customer = _mode(kept, "order_id", "customer_id")
    order_time = kept.groupby("order_id")["at"].min()
    country = _mode(kept[kept["customer_id"] != ""], "customer_id", "country")
    names = _mode(kept, "product_id", "name")
    done = kept[~kept["cancelled"]].copy()
    done["customer_id"] = done["order_id"].map(order_customer)
    done["ordered_at"] = done["order_id"].map(order_time)
    done = done[done["customer_id"].notna()]
    done["amount"] = done["quantity"] * done["unit_price"]
    products = pd.DataFrame({"name": names})
    products["category"] = categorise(products["name"])
    return {
        "lines": done[["customer_id", "order_id", "ordered_at", "product_id", "amount"]],
        "country": country.rename("country").to_frame(),
        "products": products,
    }


def reference_rfm(lines: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """RFM by the documented definitions: per customer recency/frequency/monetary, min-rank quintiles, grid."""
    cut = lines[lines["ordered_at"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    orders = cut.groupby("order_id").agg(
        customer_id=("customer_id", "first"), ordered_at=("ordered_at", "first"), amount=("amount", "sum")
    )
    c = orders.groupby("customer_id").agg(
        frequency=("amount", "size"),
        monetary=("amount", "sum"),
        first_order_at=("ordered_at", "min"),
        last_order_at=("ordered_at", "max"),
    )
    c["monetary"] = c["monetary"].round(3)
    c["recency_days"] = (pd.Timestamp(as_of) - c["last_order_at"].dt.normalize()).dt.days
    n = len(c)
    scores = {}
    for column, ascending in (("recency_days", False), ("frequency", True), ("monetary", True)):
        rank = c[column].rank(method="min", ascending=ascending).astype(int)
        scores[column] = 1 + (5 * (rank - 1)) // n
    fm = (scores["frequency"] + scores["monetary"] + 1) // 2
    c["segment"] = [SEGMENT_GRID[r][f - 1].value for r, f in zip(scores["recency_days"], fm, strict=True)]
    return c


def bought(lines: pd.DataFrame, product_ids: set[str], as_of: date) -> pd.Series:
    """Revenue per customer from the given products, in completed orders up to as_of."""
    cut = lines[(lines["ordered_at"] < pd.Timestamp(as_of) + pd.Timedelta(days=1))]
    hit = cut[cut["product_id"].isin(product_ids)]
    return hit.groupby("customer_id")["amount"].sum()


@pytest.fixture(scope="module")
def ref() -> dict[str, pd.DataFrame]:
    data = raw_reference()
    rfm = reference_rfm(data["lines"], LAST_DAY).join(data["country"])
    return {**data, "rfm": rfm}


def assert_matches(result: SegmentResult, expected: pd.DataFrame, total: pd.DataFrame) -> None:
    assert result.customers == len(expected)
    assert result.total_customers == len(total)
    assert result.revenue == pytest.approx(expected["monetary"].sum(), abs=0.01)
    assert result.orders == int(expected["frequency"].sum())
    if len(expected):
        assert result.avg_recency_days == pytest.approx(expected["recency_days"].mean(), abs=0.006)
    assert set(result.sample_customer_ids) <= set(expected.index)


FILTERS: dict[str, tuple[dict[str, Any], Callable[[pd.DataFrame], Any]]] = {
    "all customers": ({}, lambda r: r.index == r.index),
    "champions": ({"segments": ["champions"]}, lambda r: r["segment"] == "champions"),
    "at risk or can't lose": (
        {"segments": ["at_risk", "Can't Lose"]},
        lambda r: r["segment"].isin(["at_risk", "cant_lose"]),
    ),
    "germany (any case)": ({"countries": ["germany"]}, lambda r: r["country"] == "Germany"),
    "lapsed frequent buyers": (
        {"recency_days_min": 180, "frequency_min": 6},
        lambda r: (r["recency_days"] >= 180) & (r["frequency"] >= 6),
    ),
    "spend 1000..5000": (
        {"monetary_min": 1000, "monetary_max": 5000},
        lambda r: r["monetary"].between(1000, 5000),
    ),
    "not ordered since september": (
        {"not_ordered_since": "2011-09-01"},
        lambda r: r["last_order_at"] < pd.Timestamp("2011-09-01"),
    ),
    "first order in sep-oct": (
        {"first_order_from": "2011-09-01", "first_order_to": "2011-10-31"},
        lambda r: (
            (r["first_order_at"] >= pd.Timestamp("2011-09-01")) & (r["first_order_at"] < pd.Timestamp("2011-11-01"))
        ),
    ),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_filters_equal_pandas_from_raw(name: str, real_ctx: ToolContext, ref: dict[str, pd.DataFrame]) -> None:
    spec, select = FILTERS[name]
    result = segment_query(SegmentSpec.model_validate({**spec, "limit": 50}), real_ctx)
    rfm = ref["rfm"]
    assert_matches(result, rfm[select(rfm)], rfm)


def test_as_of_recomputes_rfm(real_ctx: ToolContext, ref: dict[str, pd.DataFrame]) -> None:
    as_of = date(2011, 6, 30)
    rfm = reference_rfm(ref["lines"], as_of)
    result = segment_query(SegmentSpec(as_of=as_of, segments=["lost"], group_by="segment"), real_ctx)
    assert result.as_of == as_of
    assert_matches(result, rfm[rfm["segment"] == "lost"], rfm)
    assert "customer_rfm" not in result.queries[0].sql  # the stored table is only valid for the data's last day


def test_group_by_segment_in_france(real_ctx: ToolContext, ref: dict[str, pd.DataFrame]) -> None:
    rfm = ref["rfm"]
    france = rfm[rfm["country"] == "France"]
    result = segment_query(SegmentSpec(countries=["France"], group_by="segment"), real_ctx)
    expected = france.groupby("segment").agg(customers=("frequency", "size"), revenue=("monetary", "sum"))
    got = {row.key: (row.customers, row.revenue) for row in result.breakdown}
    assert set(got) == set(expected.index)
    for segment, row in expected.iterrows():
        assert got[str(segment)][0] == row["customers"]
        assert got[str(segment)][1] == pytest.approx(row["revenue"], abs=0.01)


def test_group_by_country(real_ctx: ToolContext, ref: dict[str, pd.DataFrame]) -> None:
    rfm = ref["rfm"]
    result = segment_query(SegmentSpec(group_by="country"), real_ctx)
    expected = rfm.groupby("country")["monetary"].agg(["size", "sum"]).sort_values("sum", ascending=False)
    assert [r.key for r in result.breakdown[:5]] == list(expected.index[:5])
    for row in result.breakdown:
        assert row.customers == expected.loc[row.key, "size"]
        assert row.revenue == pytest.approx(expected.loc[row.key, "sum"], abs=0.01)


def test_category_by_segment_counts_buyers_and_category_revenue(
    real_ctx: ToolContext, ref: dict[str, pd.DataFrame]
) -> None:
    products = ref["products"]
    ids = set(products.index[products["category"] == "Christmas"])
    spend = bought(ref["lines"], ids, LAST_DAY)
    rfm = ref["rfm"].join(spend.rename("bought"), how="inner")
    result = segment_query(SegmentSpec(bought_category="christmas", group_by="segment"), real_ctx)
    assert result.customers == len(rfm)
    assert result.bought_revenue == pytest.approx(spend.sum(), abs=0.01)
    expected = rfm.groupby("segment")["bought"].sum()
    got = {row.key: row.bought_revenue for row in result.breakdown}
    assert got == pytest.approx(expected.to_dict(), abs=0.01)


def test_product_text_match(real_ctx: ToolContext, ref: dict[str, pd.DataFrame]) -> None:
    names = ref["products"]["name"].str.upper()
    ids = set(names.index[names.str.contains("HEART") & names.str.contains("LANTERN")])
    assert ids  # the data has heart lanterns
    spend = bought(ref["lines"], ids, LAST_DAY)
    result = segment_query(SegmentSpec(bought_product="Heart LANTERN"), real_ctx)
    assert result.customers == len(spend)
    assert result.bought_revenue == pytest.approx(spend.sum(), abs=0.01)
    assert {m.product_id for m in result.matched_products} == ids
    assert result.matched_products_total == len(ids)


def test_month_breakdown_of_champions(real_ctx: ToolContext, ref: dict[str, pd.DataFrame]) -> None:
    champions = set(ref["rfm"].index[ref["rfm"]["segment"] == "champions"])
    lines = ref["lines"][ref["lines"]["customer_id"].isin(champions)]
    month = lines["ordered_at"].dt.strftime("%Y-%m")
    expected = (
        lines.assign(month=month)
        .groupby("month")
        .agg(customers=("customer_id", "nunique"), orders=("order_id", "nunique"), revenue=("amount", "sum"))
    )
    result = segment_query(SegmentSpec(segments=["champions"], group_by="month"), real_ctx)
    assert [r.key for r in result.breakdown] == list(expected.index)
    for row in result.breakdown:
        assert (row.customers, row.orders) == tuple(expected.loc[row.key, ["customers", "orders"]])
        assert row.revenue == pytest.approx(expected.loc[row.key, "revenue"], abs=0.01)


def test_clusters_partition_the_customers(real_ctx: ToolContext, ref: dict[str, pd.DataFrame]) -> None:
    result = segment_query(SegmentSpec(group_by="cluster"), real_ctx)
    assert sum(r.customers for r in result.breakdown) == len(ref["rfm"])
    assert 3 <= len(result.breakdown) <= 8
    first = segment_query(SegmentSpec(cluster=0), real_ctx)
    assert first.avg_monetary == max(r.avg_monetary or 0 for r in result.breakdown)  # ids ordered by spend


def test_overview_equals_pandas(real_ctx: ToolContext, ref: dict[str, pd.DataFrame]) -> None:
    rfm = ref["rfm"]
    result = customer_overview(CustomerOverviewInput(top_n=5), real_ctx)
    assert result.customers == len(rfm)
    assert result.repeat_customers == int((rfm["frequency"] >= 2).sum())
    assert result.orders == int(rfm["frequency"].sum())
    assert result.revenue == pytest.approx(rfm["monetary"].sum(), abs=0.01)
    by_product = ref["lines"].groupby("product_id")["amount"].sum().sort_values(ascending=False)
    assert [row[0] for row in result.top_products.rows] == list(by_product.index[:5])
    active = ref["lines"].groupby(ref["lines"]["ordered_at"].dt.strftime("%Y-%m"))["customer_id"].nunique()
    assert {row[0]: row[1] for row in result.monthly.rows} == active.to_dict()
    assert "no customer demographics" in result.to_markdown()

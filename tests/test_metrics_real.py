"""Every shipped metric x every dimension on the real data, against SQL written here from the raw tables.

The truths use their own formulation (CASE instead of FILTER, keys spelled another way), so they check the
compiler's output rather than repeat it. A pair the data cannot answer (reviews have no country; retail products
have no department) must be an error naming the metric and the dimension, never a number.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from tools.context import ToolContext
from tools.metrics import Dimension, MetricsError, MetricsQuery, query_metrics
from tools.metrics.catalog import default_metric_names
from tools.metrics.query import MAX_ROWS

pytestmark = pytest.mark.integration

# Sales truths: over `base` (one row per order line, or per order without lines) with its group key `k`.
SALES: dict[str, str] = {
    "revenue": "sum(CASE WHEN status = 'completed' THEN quantity * unit_price END)",
    "orders": "count(DISTINCT CASE WHEN status = 'completed' THEN order_id END)",
    "customers": "count(DISTINCT CASE WHEN status = 'completed' THEN customer_id END)",
    "units": "sum(CASE WHEN status = 'completed' THEN quantity END)",
    "average_order_value": "sum(CASE WHEN status = 'completed' THEN quantity * unit_price END) "
    "/ nullif(count(DISTINCT CASE WHEN status = 'completed' THEN order_id END), 0)",
    "cancellation_rate": "count(DISTINCT CASE WHEN status = 'cancelled' THEN order_id END) / count(DISTINCT order_id)",
    "cancelled_orders": "count(DISTINCT CASE WHEN status = 'cancelled' THEN order_id END)",
    "revenue_per_customer": "sum(CASE WHEN status = 'completed' AND customer_id IS NOT NULL THEN quantity * unit_price "
    "END) / nullif(count(DISTINCT CASE WHEN status = 'completed' THEN customer_id END), 0)",
}
REPEAT = """SELECT k, CASE WHEN sum(CASE WHEN n >= 1 THEN 1 ELSE 0 END) > 0 THEN
  sum(CASE WHEN n >= 2 THEN 1 ELSE 0 END) / sum(CASE WHEN n >= 1 THEN 1 ELSE 0 END) END
FROM (SELECT k, customer_id, count(DISTINCT CASE WHEN status = 'completed' THEN order_id END) AS n
      FROM base WHERE customer_id IS NOT NULL GROUP BY k, customer_id) per GROUP BY k"""
REVIEWS: dict[str, str] = {
    "review_count": "count(*)",
    "average_rating": "avg(rating)",
    "recommend_rate": "avg(CASE WHEN recommended THEN 1.0 WHEN NOT recommended THEN 0.0 END)",
    "negative_share": "avg(CASE WHEN label = 'negative' THEN 1.0 WHEN label IS NOT NULL THEN 0.0 END)",
    "positive_share": "avg(CASE WHEN label = 'positive' THEN 1.0 WHEN label IS NOT NULL THEN 0.0 END)",
    "negative_reviews": "sum(CASE WHEN label = 'negative' THEN 1 ELSE 0 END)",
    "positive_reviews": "sum(CASE WHEN label = 'positive' THEN 1 ELSE 0 END)",
}
# Sales pairs are asked for a half year (both period bounds exercised, and each query stays small).
PERIOD = {"date_from": "2011-06-01", "date_to": "2011-11-30"}
IN_PERIOD = "o.ordered_at >= TIMESTAMP '2011-06-01' AND o.ordered_at < TIMESTAMP '2011-12-01'"
WEEKDAYS = "['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']"


def band(age: str) -> str:
    return (
        f"CASE WHEN {age} < 25 THEN 'under 25' WHEN {age} < 35 THEN '25-34' WHEN {age} < 45 THEN '35-44' "
        f"WHEN {age} < 55 THEN '45-54' WHEN {age} < 65 THEN '55-64' WHEN {age} >= 65 THEN '65+' END"
    )


def level(i: int) -> str:
    return (
        f"nullif(trim(CASE WHEN contains(p.description, ' / ') THEN string_split(p.description, ' / ')[{i}] END), '')"
    )


def key(dim: Dimension | None, source: str) -> str | None:
    """The group key written independently of tools/metrics/dimensions.py; None: the source has no such key."""
    t = "o.ordered_at" if source == "sales" else "r.created_at"
    keys = {
        None: "'all'",
        Dimension.day: f"CAST(CAST({t} AS DATE) AS VARCHAR)",
        Dimension.week: f"CAST(CAST({t} AS DATE) - CAST(isodow({t}) - 1 AS INTEGER) AS VARCHAR)",
        Dimension.month: f"printf('%04d-%02d', year({t}), month({t}))",
        Dimension.quarter: f"printf('%04d-Q%d', year({t}), quarter({t}))",
        Dimension.year: f"CAST(year({t}) AS VARCHAR)",
        Dimension.weekday: f"({WEEKDAYS})[isodow({t})]",
        Dimension.product: "l.product_id" if source == "sales" else "r.product_id",
        Dimension.category: "CASE WHEN p.category <> '' THEN p.category END",
        Dimension.division: level(1),
        Dimension.department: level(2),
        Dimension.product_class: level(3),
        Dimension.age_band: band("c.age" if source == "sales" else "r.reviewer_age"),
    }
    if source == "sales":
        keys[Dimension.country] = "CASE WHEN c.country IS NOT NULL THEN c.country ELSE o.country END"
        keys[Dimension.segment] = "f.segment"
        keys[Dimension.cluster] = "CAST(k.cluster AS VARCHAR)"
    return keys.get(dim)


def truth(ctx: ToolContext, metric: str, dim: Dimension | None) -> dict[str, Any]:
    source = "reviews" if metric in REVIEWS else "sales"
    k = key(dim, source)
    assert k is not None
    if source == "sales":
        base = f"""WITH base AS (
  SELECT o.order_id, o.customer_id, o.status, l.quantity, l.unit_price, {k} AS k
  FROM orders o LEFT JOIN order_lines l ON l.order_id = o.order_id
  LEFT JOIN products p ON p.product_id = l.product_id
  LEFT JOIN customers c ON c.customer_id = o.customer_id
  LEFT JOIN customer_rfm f ON f.customer_id = o.customer_id
  LEFT JOIN customer_clusters k ON k.customer_id = o.customer_id
  WHERE {IN_PERIOD})"""
        body = REPEAT if metric == "repeat_rate" else f"SELECT k, {SALES[metric]} FROM base GROUP BY k"
    else:
        base = f"""WITH base AS (
  SELECT r.rating, r.recommended, s.label, {k} AS k
  FROM reviews r LEFT JOIN products p ON p.product_id = r.product_id
  LEFT JOIN review_sentiment s ON s.review_id = r.review_id)"""
        body = f"SELECT k, {REVIEWS[metric]} FROM base GROUP BY k"
    rows = ctx.warehouse().execute(f"{base}\n{body}").fetchall()
    return {str(r[0]): r[1] for r in rows if r[0] is not None}


PAIRS = [(m, d) for m in default_metric_names() for d in [None, *Dimension]]


def test_every_shipped_metric_has_a_hand_written_truth() -> None:
    assert set(default_metric_names()) == {*SALES, *REVIEWS, "repeat_rate"}


def close(got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(float(got), float(want), rel_tol=1e-6, abs_tol=0.006)  # money is rounded to cents


@pytest.mark.parametrize(("metric", "dim"), PAIRS, ids=[f"{m}-{d.value if d else 'total'}" for m, d in PAIRS])
def test_metric_by_dimension_equals_hand_sql(real_ctx: ToolContext, metric: str, dim: Dimension | None) -> None:
    source = "reviews" if metric in REVIEWS else "sales"
    query = MetricsQuery.model_validate({"metric": metric, "group_by": dim, **(PERIOD if source == "sales" else {})})
    if key(dim, source) is None:  # reviews are not linked to customers
        with pytest.raises(MetricsError, match=rf"{metric} cannot be broken down or filtered by {dim.value}"):
            query_metrics(query, real_ctx)
        return
    want = truth(real_ctx, metric, dim)
    if not want:  # the data has no value of this dimension for this source
        with pytest.raises(MetricsError, match=rf"{metric} by {dim.value}: no .* has a {dim.value}"):
            query_metrics(query, real_ctx)
        return
    result = query_metrics(query, real_ctx)
    if dim is None:
        assert close(result.total, want["all"]), (result.total, want["all"])
        return
    assert result.table is not None
    got = {str(r[0]): r[-1] for r in result.table.rows}
    assert len(got) == min(len(want), MAX_ROWS), (len(got), len(want))
    wrong = {k: (v, want.get(k)) for k, v in got.items() if k not in want or not close(v, want[k])}
    assert not wrong, list(wrong.items())[:5]
    if result.truncated:  # highest first: nothing left out beats what is shown
        left_out = [v for k, v in want.items() if k not in got and v is not None]
        assert min(v for v in got.values() if v is not None) >= max(left_out) - 1e-6  # shown values are rounded

"""The figures proactive reports are made of, read from the warehouse.

Orders, revenue and cancellations go through tools.sales (the one definition every tool uses): a period's totals
are the difference of the shop's running totals "as of" its last day and "as of" the day before it starts, and
the daily series groups the same fragments by day. Segments are tools.segments.rfm's RFM, scored as of each date
asked for (the quintiles are recomputed from the orders up to that day, not read from today's table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pandas as pd
from pydantic import BaseModel

from tools.sales import CANCELLED, COMPLETED, ORDER_AMOUNTS, UP_TO_AS_OF, shop_totals_sql
from tools.segments.rfm import RFM_CTES

DAILY_SALES_SQL = f"""SELECT CAST(o.ordered_at AS DATE) AS day,
       count(*) FILTER (WHERE {COMPLETED}) AS orders,
       coalesce(sum(t.amount) FILTER (WHERE {COMPLETED}), 0) AS revenue,
       count(*) FILTER (WHERE {CANCELLED}) AS cancellations
FROM orders o LEFT JOIN {ORDER_AMOUNTS} t ON t.order_id = o.order_id
GROUP BY 1 ORDER BY 1"""

# Known customers with a completed order in [$start, $as_of], and those whose first completed order is in it.
CUSTOMERS_SQL = f"""WITH firsts AS (
    SELECT o.customer_id, min(o.ordered_at) AS first_at FROM orders o
    WHERE {COMPLETED} AND o.customer_id IS NOT NULL GROUP BY 1
)
SELECT (SELECT count(DISTINCT o.customer_id) FROM orders o
        WHERE {COMPLETED} AND o.customer_id IS NOT NULL AND o.ordered_at >= CAST($start AS DATE) AND {UP_TO_AS_OF})
         AS customers,
       (SELECT count(*) FROM firsts
        WHERE first_at >= CAST($start AS DATE) AND first_at < CAST($as_of AS DATE) + INTERVAL 1 DAY) AS new_customers"""

SEGMENT_OF_CUSTOMERS_SQL = f"WITH {RFM_CTES}\nSELECT customer_id, segment FROM rfm"

# Reviews with a date, scored by the sentiment build step: per day, how many and how many negative.
DAILY_REVIEWS_SQL = """SELECT CAST(r.created_at AS DATE) AS day, count(*) AS reviews,
       count(*) FILTER (WHERE s.label = 'negative') AS negative
FROM reviews r JOIN review_sentiment s ON s.review_id = r.review_id
WHERE r.created_at IS NOT NULL GROUP BY 1 ORDER BY 1"""

# Negative aspect mentions (themes) of dated reviews, per theme, in [$start, $end] and in [$prev_start, $prev_end].
NEGATIVE_THEMES_SQL = """SELECT a.aspect AS theme,
       count(DISTINCT a.review_id) FILTER (WHERE r.created_at >= CAST($start AS DATE)
                                           AND r.created_at < CAST($end AS DATE) + INTERVAL 1 DAY) AS now,
       count(DISTINCT a.review_id) FILTER (WHERE r.created_at >= CAST($prev_start AS DATE)
                                           AND r.created_at < CAST($prev_end AS DATE) + INTERVAL 1 DAY) AS before
FROM review_aspects a JOIN reviews r ON r.review_id = a.review_id
WHERE a.label = 'negative' AND r.created_at IS NOT NULL
GROUP BY 1"""


class NoSalesError(ValueError):
    """The warehouse holds no orders (or none up to the day asked for)."""


class Kpis(BaseModel):
    """A period's sales by tools.sales' definitions (guests included), and its known customers."""

    start: date
    end: date
    revenue: float
    orders: int
    cancellations: int
    customers: int
    new_customers: int

    @property
    def aov(self) -> float | None:
        """Average order value: revenue per completed order (None without orders)."""
        return round(self.revenue / self.orders, 2) if self.orders else None


class ReviewDating(BaseModel):
    reviews: int
    dated: int


@dataclass
class ShopMetrics:
    """Queries over one read-only warehouse connection; daily series and RFM results are computed once."""

    con: duckdb.DuckDBPyConnection
    _daily: pd.DataFrame | None = None
    _reviews: pd.DataFrame | None = None
    _segments: dict[date, pd.Series] = field(default_factory=dict)

    # ------------------------------------------------------------ the data's span

    def span(self) -> tuple[date, date]:
        """First and last day with an order."""
        row = self.con.execute("SELECT min(ordered_at), max(ordered_at) FROM orders").fetchone()
        if row is None or row[0] is None:
            raise NoSalesError("the warehouse has no orders; run `mka ingest` first")
        return pd.Timestamp(row[0]).date(), pd.Timestamp(row[1]).date()

    # ------------------------------------------------------------ sales

    def _totals(self, as_of: date) -> tuple[float, int, int]:
        row = self.con.execute(shop_totals_sql(), {"as_of": as_of}).fetchone()
        assert row is not None  # an aggregate without GROUP BY always returns one row
        return float(row[2]), int(row[1]), int(row[3])

    def kpis(self, start: date, end: date) -> Kpis:
        """Revenue, orders and cancellations of [start, end] as the difference of the running totals."""
        revenue_end, orders_end, cancelled_end = self._totals(end)
        revenue_before, orders_before, cancelled_before = self._totals(start - timedelta(days=1))
        row = self.con.execute(CUSTOMERS_SQL, {"start": start, "as_of": end}).fetchone()
        assert row is not None
        return Kpis(
            start=start,
            end=end,
            revenue=round(revenue_end - revenue_before, 2),
            orders=orders_end - orders_before,
            cancellations=cancelled_end - cancelled_before,
            customers=int(row[0]),
            new_customers=int(row[1]),
        )

    def daily_sales(self) -> pd.DataFrame:
        """Revenue, orders and cancellations per calendar day from the first order to the last (0 on empty days)."""
        if self._daily is None:
            frame = self.con.execute(DAILY_SALES_SQL).df()
            if frame.empty:
                raise NoSalesError("the warehouse has no orders; run `mka ingest` first")
            frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("day")))
            days = pd.date_range(frame.index.min(), frame.index.max(), freq="D")
            self._daily = frame.astype(float).reindex(days, fill_value=0.0)
        return self._daily

    # ------------------------------------------------------------ segments

    def segments_of_customers(self, as_of: date) -> pd.Series:
        """Each known customer's RFM segment, scored with the orders up to `as_of` (index: customer_id)."""
        if as_of not in self._segments:
            frame = self.con.execute(SEGMENT_OF_CUSTOMERS_SQL, {"as_of": as_of}).df()
            self._segments[as_of] = frame.set_index("customer_id")["segment"].astype(str)
        return self._segments[as_of]

    def segment_sizes(self, as_of: date) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.segments_of_customers(as_of).value_counts().sort_index().items()}

    # ------------------------------------------------------------ reviews

    def has_table(self, name: str) -> bool:
        row = self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
        return bool(row and row[0])

    def review_dating(self) -> ReviewDating:
        row = self.con.execute("SELECT count(*), count(created_at) FROM reviews").fetchone()
        return ReviewDating(reviews=int(row[0]) if row else 0, dated=int(row[1]) if row else 0)

    def daily_reviews(self) -> pd.DataFrame:
        """Dated, scored reviews per day: `reviews` and `negative` (empty when reviews carry no dates)."""
        if self._reviews is None:
            if not self.has_table("review_sentiment"):
                self._reviews = pd.DataFrame(columns=["reviews", "negative"], dtype=float)
                return self._reviews
            frame = self.con.execute(DAILY_REVIEWS_SQL).df()
            if frame.empty:
                self._reviews = pd.DataFrame(columns=["reviews", "negative"], dtype=float)
                return self._reviews
            frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("day")))
            days = pd.date_range(frame.index.min(), frame.index.max(), freq="D")
            self._reviews = frame.astype(float).reindex(days, fill_value=0.0)
        return self._reviews

    def negative_themes(self, start: date, end: date, prev_start: date, prev_end: date) -> pd.DataFrame:
        """Per review theme (aspect): negative reviews naming it in the period (`now`) and the one before."""
        if not self.has_table("review_aspects"):
            return pd.DataFrame(columns=["theme", "now", "before"])
        params = {"start": start, "end": end, "prev_start": prev_start, "prev_end": prev_end}
        return self.con.execute(NEGATIVE_THEMES_SQL, params).df()

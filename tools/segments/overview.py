"""The `customer_overview` tool: the customer base at a glance (behaviour, value, mix, demographics)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.sales import COMPLETED, LINE_AMOUNT, UP_TO_AS_OF, shop_totals_sql
from tools.segments import query as q
from tools.segments.spec import MAX_LIST, SegmentSpec, check_text
from tools.segments.sqlrun import ExecutedQuery, run_query


class CustomerOverviewInput(BaseModel):
    """Overview of the customer base: repeat rate, order value, monthly activity, top countries/products, segments."""

    model_config = ConfigDict(extra="forbid")

    countries: list[str] = Field(
        default_factory=list, max_length=MAX_LIST, description="Only customers in these countries. Empty = all."
    )
    as_of: date | None = Field(default=None, description="Analyse as of this date (YYYY-MM-DD); default: data's end.")
    top_n: int = Field(default=10, ge=1, le=50, description="How many top countries, products and categories (1-50).")

    @field_validator("countries", mode="before")
    @classmethod
    def _as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("countries", mode="after")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        return [check_text(v, "countries", max_len=60) for v in value]


class CustomerOverviewResult(BaseModel):
    """Key customer figures plus tables; every number comes from the warehouse queries listed in `queries`."""

    as_of: date
    countries: list[str]
    customers: int
    orders: int
    revenue: float
    repeat_customers: int
    repeat_rate: float
    orders_per_customer: float
    avg_order_value: float
    revenue_per_customer: float
    shop_orders: int | None = Field(default=None, description="completed orders of the whole shop, guests included")
    shop_revenue: float | None = Field(default=None, description="revenue of the whole shop, guests included")
    cancelled_orders: int = Field(description="every cancelled order in scope, guests included")
    cancellation_rate: float = Field(description="cancelled orders / every order placed in scope")
    guest_orders: int
    monthly: Table
    top_countries: Table
    top_products: Table
    top_categories: Table
    segments: Table
    demographics: list[Table] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    queries: list[ExecutedQuery] = Field(default_factory=list)

    def to_markdown(self) -> str:
        scope = " in " + ", ".join(self.countries) if self.countries else ""
        lines = [
            f"**Customer overview{scope}, as of {self.as_of}**",
            "",
            f"- **{self.customers:,} customers** placed {self.orders:,} orders worth **{self.revenue:,.2f}**",
            f"- Repeat rate **{self.repeat_rate:.1%}** ({self.repeat_customers:,} customers with 2+ orders); "
            f"{self.orders_per_customer:,.2f} orders per customer",
            f"- Average order value **{self.avg_order_value:,.2f}**; revenue per customer "
            f"{self.revenue_per_customer:,.2f}",
            f"- Cancelled orders: {self.cancelled_orders:,} ({self.cancellation_rate:.1%} of all orders placed)",
        ]
        if self.shop_orders is not None and self.shop_revenue is not None:
            lines.append(
                f"- Whole shop, guests included: {self.shop_orders:,} completed orders worth "
                f"{self.shop_revenue:,.2f} (guest orders, left out above: {self.guest_orders:,})"
            )
        for table in (self.segments, self.top_countries, self.top_categories, self.top_products, self.monthly):
            lines += ["", table.to_markdown(max_rows=50)]
        for table in self.demographics:
            lines += ["", table.to_markdown()]
        lines += [f"\n_{note}_" for note in self.notes]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        months = [str(r[0]) for r in self.monthly.rows]
        charts = [
            ChartSpec(
                kind="line",
                title="Monthly active customers",
                x=months,
                series=[Series(name="active customers", values=[float(r[1] or 0) for r in self.monthly.rows])],
            ),
            ChartSpec(
                kind="line",
                title="Monthly revenue",
                x=months,
                series=[Series(name="revenue", values=[float(r[4] or 0) for r in self.monthly.rows])],
            ),
            ChartSpec(
                kind="barh",
                title="Customers by RFM segment",
                x=[str(r[0]) for r in self.segments.rows],
                series=[Series(name="customers", values=[float(r[1] or 0) for r in self.segments.rows])],
            ),
        ]
        return charts


MEMBER_LINES_CTE = f"""member_lines AS (
    SELECT o.customer_id, l.product_id, l.quantity,
           {LINE_AMOUNT} AS amount
    FROM orders o JOIN order_lines l ON l.order_id = o.order_id
    WHERE {COMPLETED} AND {UP_TO_AS_OF}
      AND o.customer_id IN (SELECT customer_id FROM members)
)"""

_QUERIES: dict[str, str] = {
    "totals": """SELECT count(*) AS customers, coalesce(sum(frequency), 0) AS orders,
       coalesce(round(sum(monetary), 2), 0) AS revenue, count(*) FILTER (frequency >= 2) AS repeat_customers
FROM members""",
    "monthly": """SELECT strftime(date_trunc('month', t.ordered_at), '%Y-%m') AS month,
       count(DISTINCT t.customer_id) AS active_customers,
       (SELECT count(*) FROM members m
           WHERE date_trunc('month', m.first_order_at) = date_trunc('month', any_value(t.ordered_at))) AS new_customers,
       count(*) AS orders, round(sum(t.amount), 2) AS revenue
FROM order_totals t WHERE t.customer_id IN (SELECT customer_id FROM members)
GROUP BY 1 ORDER BY 1""",
    "top countries": """SELECT coalesce(country, '(unknown)') AS country, count(*) AS customers,
       round(sum(monetary), 2) AS revenue
FROM members GROUP BY 1 ORDER BY revenue DESC, country LIMIT $top_n""",
    "top products": """SELECT ml.product_id, any_value(p.name) AS name, any_value(p.category) AS category,
       count(DISTINCT ml.customer_id) AS buyers, CAST(sum(ml.quantity) AS BIGINT) AS units,
       round(sum(ml.amount), 2) AS revenue
FROM member_lines ml LEFT JOIN products p ON p.product_id = ml.product_id
GROUP BY ml.product_id ORDER BY revenue DESC, ml.product_id LIMIT $top_n""",
    "top categories": """SELECT coalesce(p.category, '(none)') AS category, count(DISTINCT ml.customer_id) AS buyers,
       CAST(sum(ml.quantity) AS BIGINT) AS units, round(sum(ml.amount), 2) AS revenue
FROM member_lines ml LEFT JOIN products p ON p.product_id = ml.product_id
GROUP BY 1 ORDER BY revenue DESC, category LIMIT $top_n""",
    "segments": """SELECT segment, count(*) AS customers, round(sum(monetary), 2) AS revenue,
       round(avg(recency_days), 2) AS avg_recency_days, round(avg(frequency), 2) AS avg_frequency
FROM members GROUP BY 1 ORDER BY revenue DESC""",
    "customer demographics": """SELECT
       CASE WHEN c.age IS NULL THEN 'unknown' WHEN c.age < 25 THEN 'under 25' WHEN c.age < 35 THEN '25-34'
            WHEN c.age < 45 THEN '35-44' WHEN c.age < 55 THEN '45-54' WHEN c.age < 65 THEN '55-64'
            ELSE '65+' END AS age_band,
       coalesce(c.gender, 'unknown') AS gender, count(*) AS customers, round(sum(m.monetary), 2) AS revenue
FROM members m JOIN customers c ON c.customer_id = m.customer_id
WHERE c.age IS NOT NULL OR c.gender IS NOT NULL GROUP BY 1, 2 ORDER BY min(coalesce(c.age, 999)), 2""",
}

REVIEWER_AGES = """SELECT CASE WHEN reviewer_age < 25 THEN 'under 25' WHEN reviewer_age < 35 THEN '25-34'
            WHEN reviewer_age < 45 THEN '35-44' WHEN reviewer_age < 55 THEN '45-54' WHEN reviewer_age < 65 THEN '55-64'
            ELSE '65+' END AS age_band,
       count(*) AS reviews, round(avg(rating), 2) AS avg_rating,
       printf('%.1f%%', 100 * avg(CASE WHEN recommended THEN 1.0 WHEN NOT recommended THEN 0.0 END)) AS recommend_rate
FROM reviews WHERE reviewer_age IS NOT NULL GROUP BY 1 ORDER BY min(reviewer_age)"""


def _cell(v: Any) -> Any:
    v = v.item() if hasattr(v, "item") else v  # numpy scalars -> Python
    return None if v != v else v  # NaN -> empty


def _rows(frame: Any) -> list[list[Any]]:
    return [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def customer_overview(args: CustomerOverviewInput, ctx: ToolContext) -> CustomerOverviewResult:
    """Summarise the customer base: size, repeat rate, order value, monthly activity, top countries and products."""
    cur = ctx.warehouse()
    p = q.plan(SegmentSpec(countries=args.countries, as_of=args.as_of), cur, with_order_totals=True)
    p.ctes.append(MEMBER_LINES_CTE)
    p.params["top_n"] = args.top_n
    frames = {name: run_query(cur, name, p.sql(sql), p.params, p.log) for name, sql in _QUERIES.items()}
    # The whole shop's orders, revenue and cancellations (guests, and customers without a completed order,
    # included): a cancellation is counted whoever placed it.
    shop = run_query(cur, "shop totals", shop_totals_sql(bool(args.countries)), p.params, p.log).iloc[0]
    guests, cancelled, placed = int(shop["guest_orders"]), int(shop["cancelled_orders"]), int(shop["placed_orders"])
    t = frames["totals"].iloc[0]
    customers, orders, revenue = int(t["customers"]), int(t["orders"]), float(t["revenue"])
    countries = frames["top countries"].copy()
    countries["share"] = [f"{v / revenue:.1%}" if revenue else "" for v in countries["revenue"]]
    segments = frames["segments"].copy()
    segments.insert(2, "share", [f"{v / customers:.1%}" if customers else "" for v in segments["customers"]])
    demographics = []
    notes = []
    if len(frames["customer demographics"]):
        demographics.append(
            Table(title="Customers by age band and gender", columns=["age band", "gender", "customers", "revenue"],
                  rows=_rows(frames["customer demographics"]))
        )  # fmt: skip
    else:
        notes.append("The order data has no customer demographics (age, gender).")
    reviewers = run_query(cur, "reviewer ages", REVIEWER_AGES, {}, p.log)
    if len(reviewers):
        demographics.append(
            Table(
                title="Reviewers by age band (all reviews; reviewers are not linked to customers)",
                columns=["age band", "reviews", "avg rating", "recommend rate"],
                rows=_rows(reviewers),
            )
        )
    return CustomerOverviewResult(
        as_of=p.as_of,
        countries=list(p.params.get("countries", [])),
        customers=customers,
        orders=orders,
        revenue=revenue,
        repeat_customers=int(t["repeat_customers"]),
        repeat_rate=round(int(t["repeat_customers"]) / customers, 4) if customers else 0.0,
        orders_per_customer=round(orders / customers, 2) if customers else 0.0,
        avg_order_value=round(revenue / orders, 2) if orders else 0.0,
        revenue_per_customer=round(revenue / customers, 2) if customers else 0.0,
        shop_orders=int(shop["orders"]),
        shop_revenue=float(shop["revenue"]),
        cancelled_orders=cancelled,
        cancellation_rate=round(cancelled / placed, 4) if placed else 0.0,
        guest_orders=guests,
        monthly=Table(
            title="By month",
            columns=["month", "active customers", "new customers", "orders", "revenue"],
            rows=_rows(frames["monthly"]),
        ),
        top_countries=Table(
            title="Top countries by revenue",
            columns=["country", "customers", "revenue", "revenue share"],
            rows=_rows(countries),
        ),
        top_products=Table(
            title="Top products by revenue",
            columns=["product id", "name", "category", "buyers", "units", "revenue"],
            rows=_rows(frames["top products"]),
        ),
        top_categories=Table(
            title="Top categories by revenue",
            columns=["category", "buyers", "units", "revenue"],
            rows=_rows(frames["top categories"]),
        ),
        segments=Table(
            title="RFM segments",
            columns=["segment", "customers", "share", "revenue", "avg recency (days)", "avg orders"],
            rows=_rows(segments),
        ),
        demographics=demographics,
        notes=notes,
        queries=p.log,
    )

"""What a segment query returns, and how it reads for a marketer (markdown and charts)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from tools.base import ChartSpec, Series, Table
from tools.segments.spec import GroupBy
from tools.segments.sqlrun import ExecutedQuery


class ProductMatch(BaseModel):
    product_id: str
    name: str


class BreakdownRow(BaseModel):
    key: str
    customers: int
    share_of_segment: float = Field(description="customers / segment size")
    revenue: float
    revenue_share: float = Field(description="revenue / segment revenue")
    orders: int
    avg_recency_days: float | None = None
    avg_frequency: float | None = None
    avg_monetary: float | None = None
    bought_revenue: float | None = None


class SegmentResult(BaseModel):
    """A segment: what it means, how it was computed, how big and valuable it is, and who is in it."""

    definition: str
    as_of: date
    customers: int
    total_customers: int
    share_of_customers: float
    revenue: float
    total_revenue: float
    revenue_share: float
    orders: int
    avg_recency_days: float | None
    avg_frequency: float | None
    avg_monetary: float | None
    avg_order_value: float | None
    bought_revenue: float | None = Field(default=None, description="Revenue from the matched products only.")
    matched_products: list[ProductMatch] = Field(default_factory=list)
    matched_products_total: int | None = None
    group_by: GroupBy = GroupBy.none
    breakdown: list[BreakdownRow] = Field(default_factory=list)
    sample_customer_ids: list[str] = Field(default_factory=list)
    export_path: str | None = None
    queries: list[ExecutedQuery] = Field(default_factory=list, description="The exact SQL run, with bound values.")
    notes: list[str] = Field(default_factory=list)

    def to_markdown(self) -> str:
        lines = [f"**Segment:** {self.definition}", ""]
        lines.append(
            f"- **{self.customers:,} customers** ({self.share_of_customers:.1%} of {self.total_customers:,}) "
            f"as of {self.as_of}"
        )
        lines.append(
            f"- Revenue **{self.revenue:,.2f}** ({self.revenue_share:.1%} of {self.total_revenue:,.2f}) "
            f"from {self.orders:,} orders"
        )
        if self.customers:
            lines.append(
                f"- Average recency {self.avg_recency_days or 0:,.1f} days, {self.avg_frequency or 0:,.2f} orders, "
                f"spend {self.avg_monetary or 0:,.2f}; average order value {self.avg_order_value or 0:,.2f}"
            )
        if self.matched_products_total is not None:
            shown = ", ".join(f"{m.product_id} {m.name}" for m in self.matched_products[:5])
            more = f" and {self.matched_products_total - 5:,} more" if self.matched_products_total > 5 else ""
            lines.append(f"- Matched {self.matched_products_total:,} products: {shown or 'none'}{more}")
            if self.bought_revenue is not None:
                lines.append(f"- Revenue from the matched products: {self.bought_revenue:,.2f}")
        if self.breakdown:
            lines += ["", self.breakdown_table().to_markdown()]
        if self.sample_customer_ids:
            lines += ["", f"Customers (first {len(self.sample_customer_ids)}): {', '.join(self.sample_customer_ids)}"]
        if self.export_path:
            lines += ["", f"Exported every customer in the segment to `{self.export_path}`"]
        lines += [f"\n_{note}_" for note in self.notes]
        return "\n".join(lines)

    def breakdown_table(self) -> Table:
        month = self.group_by == GroupBy.month
        columns = [self.group_by.value, "customers", "share", "orders", "revenue", "revenue share"]
        if not month:
            columns += ["avg recency (days)", "avg orders", "avg spend"]
        with_bought = any(r.bought_revenue is not None for r in self.breakdown)
        if with_bought:
            columns.append("matched-product revenue")
        rows: list[list[str | int | float | None]] = []
        for r in self.breakdown:
            row: list[str | int | float | None] = [
                r.key,
                r.customers,
                f"{r.share_of_segment:.1%}",
                r.orders,
                r.revenue,
                f"{r.revenue_share:.1%}",
            ]
            if not month:
                row += [r.avg_recency_days, r.avg_frequency, r.avg_monetary]
            if with_bought:
                row.append(r.bought_revenue)
            rows.append(row)
        note = "month = customers active and revenue of the segment's customers in that month" if month else None
        return Table(title=f"By {self.group_by.value}", columns=columns, rows=rows, note=note)

    def charts(self) -> list[ChartSpec]:
        if not self.breakdown:
            return []
        keys = [r.key for r in self.breakdown]
        if self.group_by == GroupBy.month:
            return [
                ChartSpec(
                    kind="line",
                    title="Segment revenue by month",
                    x=keys,
                    series=[Series(name="revenue", values=[r.revenue for r in self.breakdown])],
                    x_label="month",
                    y_label="revenue",
                )
            ]
        top = self.breakdown[:15]
        return [
            ChartSpec(
                kind="bar",
                title=f"{label} by {self.group_by.value}",
                x=[r.key for r in top],
                series=[Series(name=label, values=[float(getattr(r, label)) for r in top])],
                x_label=self.group_by.value,
                y_label=label,
            )
            for label in ("customers", "revenue")
        ]

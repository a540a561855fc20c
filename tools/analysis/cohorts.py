"""Tool `cohort_retention`: monthly acquisition cohorts (the month of a customer's first completed order) × months
since that first order — the share of each cohort buying again in each month, and the revenue it brings.

Orders, revenue and cancellations follow tools/sales.py: only completed orders count, guests (no customer id) are
left out, revenue is quantity × unit price of completed orders' lines. Narrowed to an RFM segment or a country,
the table also says which cohorts those customers came from.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
from pydantic import BaseModel, Field, model_validator

from tools.analysis.common import AnalysisError
from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.facts import Fact
from tools.sales import COMPLETED, ORDER_AMOUNTS
from tools.segments.spec import SegmentName

SHOWN_MONTHS = 12  # markdown columns; the result and the heat map hold all requested months

# Per customer and calendar month of activity: completed orders' revenue, with the customer's first month.
COHORT_SQL = f"""
WITH activity AS (
    SELECT o.customer_id, date_trunc('month', o.ordered_at) AS month, sum(coalesce(t.amount, 0)) AS revenue
    FROM orders o LEFT JOIN {ORDER_AMOUNTS} t ON t.order_id = o.order_id
    WHERE {COMPLETED} AND o.customer_id IS NOT NULL
    GROUP BY 1, 2
), firsts AS (
    SELECT customer_id, min(month) AS cohort FROM activity GROUP BY 1
)
SELECT f.cohort, date_diff('month', f.cohort, a.month) AS age,
       count(*) AS customers, sum(a.revenue) AS revenue
FROM activity a JOIN firsts f USING (customer_id)
WHERE ($segment IS NULL OR a.customer_id IN (SELECT customer_id FROM customer_rfm WHERE segment = $segment))
  AND ($country IS NULL OR a.customer_id IN (SELECT customer_id FROM customers WHERE country = $country))
GROUP BY 1, 2
ORDER BY 1, 2
"""
LAST_MONTH_SQL = f"SELECT date_trunc('month', max(o.ordered_at)), max(o.ordered_at) FROM orders o WHERE {COMPLETED}"


class CohortRetentionInput(BaseModel):
    """Cohort retention: monthly acquisition cohorts x months since first order, retention and revenue."""

    months: int = Field(default=12, ge=1, le=36, description="Months since the first order to show (1-36).")
    since: date | None = Field(default=None, description="First cohort month (YYYY-MM-DD; its month is used).")
    until: date | None = Field(default=None, description="Last cohort month (YYYY-MM-DD; its month is used).")
    segment: SegmentName | None = Field(default=None, description="Only customers now in this RFM segment.")
    country: str | None = Field(default=None, description="Only customers in this country.")

    @model_validator(mode="after")
    def _order(self) -> CohortRetentionInput:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        return self


class Cohort(BaseModel):
    cohort: str  # "2011-01"
    customers: int
    share: float  # of the customers in scope (for a segment: how many of its customers came from this cohort)
    retention: list[float | None]  # share of the cohort with a completed order in month 0, 1, …; None: not yet
    revenue: list[float | None]  # revenue of the cohort in month 0, 1, …


class CohortRetentionResult(BaseModel):
    scope: str
    months: int
    cohorts: list[Cohort]
    average_retention: list[float | None]  # by month since first order, weighted by cohort size (observed only)
    customers: int
    last_order: str
    notes: list[str] = []

    def to_markdown(self) -> str:
        shown = min(self.months, SHOWN_MONTHS)
        lines = [
            f"**Cohort retention** — {self.customers:,} customers in {len(self.cohorts)} monthly cohorts "
            f"({self.scope}); share buying again in month N after the first order",
            "",
            Table(
                title="Retention by cohort (%)",
                columns=["cohort", "customers", "share", *[f"M{m}" for m in range(1, shown + 1)]],
                rows=[
                    [c.cohort, c.customers, _pct(c.share), *[_pct(v) for v in c.retention[1 : shown + 1]]]
                    for c in self.cohorts
                ]
                + [
                    [
                        "all (weighted)",
                        self.customers,
                        "100.0",
                        *[_pct(v) for v in self.average_retention[1 : shown + 1]],
                    ]
                ],
            ).to_markdown(max_rows=40),
            "",
            Table(
                title="Revenue by cohort",
                columns=["cohort", "first month", *[f"M{m}" for m in range(1, shown + 1)], f"total M0-M{self.months}"],
                rows=[
                    [c.cohort, *[_money(v) for v in c.revenue[: shown + 1]], _money(sum(v or 0 for v in c.revenue))]
                    for c in self.cohorts
                ],
            ).to_markdown(max_rows=40),
        ]
        if self.months > shown:
            lines.append(f"\n_The tables show months 1-{shown}; the heat map shows all {self.months}._")
        lines += [f"_Note: {n}_" for n in self.notes]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        return [
            ChartSpec(
                kind="heatmap",
                title=f"Retention by monthly cohort, % ({self.scope})",
                x=[f"M{m}" for m in range(1, self.months + 1)],
                series=[
                    Series(
                        name=c.cohort, values=[math.nan if v is None else round(100 * v, 1) for v in c.retention[1:]]
                    )
                    for c in self.cohorts
                ],
                x_label="months since first order",
                y_label="cohort (first order month)",
            )
        ]

    def facts(self) -> list[Fact]:
        src = "cohort_retention: SQL 'cohorts x months since first order'"
        scope = self.scope if self.scope != "all customers" else ""
        out = [
            Fact(
                label=_scoped("customers in the cohorts", scope),
                value=self.customers,
                source=src,
                head="customers in the cohorts",
                scope=scope,
            )
        ]
        for m in (1, 3, 6, 12):
            if m < len(self.average_retention) and self.average_retention[m] is not None:
                head = f"of customers buying again in month {m} after their first order (all cohorts)"
                out.append(
                    Fact(
                        label=_scoped(head, scope),
                        value=self.average_retention[m],
                        unit="percent",
                        source=src,
                        head=head,
                        scope=scope,
                    )
                )
        for c in sorted(self.cohorts, key=lambda c: -c.customers)[:4]:
            out.append(
                Fact(
                    label=_scoped(f"customers in the {c.cohort} cohort", scope),
                    value=c.customers,
                    source=src,
                    head="customers in the cohort",
                    key=c.cohort,
                    scope=scope,
                )
            )
            if scope:
                head = "of these customers first bought in"
                out.append(
                    Fact(
                        label=_scoped(f"{head} {c.cohort}", scope),
                        value=c.share,
                        unit="percent",
                        source=src,
                        head=head,
                        key=c.cohort,
                        scope=scope,
                    )
                )
            for m in (1, 3):
                if m < len(c.retention) and c.retention[m] is not None:
                    head = f"of the cohort buying again in month {m}"
                    out.append(
                        Fact(
                            label=_scoped(f"{head} for {c.cohort}", scope),
                            value=c.retention[m],
                            unit="percent",
                            source=src,
                            head=head,
                            key=c.cohort,
                            scope=scope,
                        )
                    )
            total = round(sum(v or 0 for v in c.revenue), 2)
            head = f"revenue of the cohort in months 0-{self.months} after its first order"
            out.append(
                Fact(
                    label=_scoped(f"{head}, {c.cohort}", scope),
                    value=total,
                    unit="money",
                    source=src,
                    head=head,
                    key=c.cohort,
                    scope=scope,
                )
            )
        return out


def _scoped(label: str, scope: str) -> str:
    return f"{label} ({scope})" if scope else label


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _month(day: date) -> pd.Timestamp:
    return pd.Timestamp(day.year, day.month, 1)


def cohort_frame(ctx: ToolContext, args: CohortRetentionInput) -> pd.DataFrame:
    """Rows (cohort, age, customers, revenue): active customers and revenue of a cohort N months after it began."""
    con = ctx.warehouse()
    if args.segment is not None:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'customer_rfm'"
        ).fetchone()
        if not found or not found[0]:
            raise AnalysisError("segment", "the workspace has no RFM segments (ingest without --skip segments)")
    params = {"segment": args.segment.value if args.segment else None, "country": args.country}
    return con.execute(COHORT_SQL, params).df()


def cohort_retention(args: CohortRetentionInput, ctx: ToolContext) -> CohortRetentionResult:
    frame = cohort_frame(ctx, args)
    scope = (
        ", ".join(p for p in (f"RFM segment {args.segment.value}" if args.segment else "", args.country or "") if p)
        or "all customers"
    )
    if frame.empty:
        raise AnalysisError("segment" if args.segment else "country", f"no customers with completed orders ({scope})")
    row = ctx.warehouse().execute(LAST_MONTH_SQL).fetchone()
    assert row is not None and row[0] is not None
    last_month, last_order = pd.Timestamp(row[0]), pd.Timestamp(row[1])
    frame["cohort"] = pd.to_datetime(frame["cohort"])
    if args.since:
        frame = frame[frame["cohort"] >= _month(args.since)]
    if args.until:
        frame = frame[frame["cohort"] <= _month(args.until)]
    if frame.empty:
        raise AnalysisError("since", f"no cohorts between {args.since or 'the start'} and {args.until or 'the end'}")
    cohorts = []
    sizes: dict[str, int] = {}
    for start, group in frame.groupby("cohort", sort=True):
        start = pd.Timestamp(start)
        by_age = group.set_index("age")
        size = int(by_age.loc[0, "customers"])  # every customer is active in their first month
        observed = (last_month.year - start.year) * 12 + last_month.month - start.month
        retention: list[float | None] = []
        revenue: list[float | None] = []
        for m in range(args.months + 1):
            if m > observed:
                retention.append(None)
                revenue.append(None)
            else:
                active = int(by_age["customers"].get(m, 0))
                retention.append(active / size)
                revenue.append(round(float(by_age["revenue"].get(m, 0.0)), 2))
        label = start.strftime("%Y-%m")
        sizes[label] = size
        cohorts.append(Cohort(cohort=label, customers=size, share=0.0, retention=retention, revenue=revenue))
    total = sum(sizes.values())
    cohorts = [c.model_copy(update={"share": c.customers / total}) for c in cohorts]
    average: list[float | None] = []
    for m in range(args.months + 1):
        seen = [(c.retention[m], c.customers) for c in cohorts if c.retention[m] is not None]
        weight = sum(n for _, n in seen)
        average.append(sum((r or 0.0) * n for r, n in seen) / weight if weight else None)
    notes = [
        f"the data ends on {last_order.date()}: its last month ({last_month.strftime('%Y-%m')}) may be partial",
        "retention = share of a cohort with a completed order in that month (guests and cancelled orders left out)",
    ]
    if args.segment:
        notes.append(
            f"segment {args.segment.value} is today's RFM segment; the cohort sizes say which months its customers "
            "first bought in"
        )
    return CohortRetentionResult(
        scope=scope,
        months=args.months,
        cohorts=cohorts,
        average_retention=average,
        customers=total,
        last_order=str(last_order.date()),
        notes=notes,
    )

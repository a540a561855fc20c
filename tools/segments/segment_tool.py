"""The `segment_query` tool: a spec in, a described, measured, reproducible segment out."""

from __future__ import annotations

import re
import time
from typing import Any

from tools.context import ToolContext
from tools.exports import write_csv_export
from tools.segments import query as q
from tools.segments.results import BreakdownRow, ProductMatch, SegmentResult
from tools.segments.spec import GroupBy, SegmentSpec

EXPORTS_OFF = "Exports are switched off here (e.g. in Slack); ask in the chat UI or use `mka segment query --export`."


def describe(spec: SegmentSpec, p: q.Plan) -> str:
    """The segment in words, built from the resolved values (what the SQL actually used)."""
    parts = [f"customers with at least one completed order up to {p.as_of}"]
    if spec.segments:
        parts.append("in RFM segment " + " or ".join(s.value for s in spec.segments))
    if spec.countries:
        parts.append("in " + " or ".join(p.params["countries"]))
    strict = {b.value for b in spec.strict_bounds}
    ranges = [
        ("last order", "recency_days", " days ago"),
        ("orders", "frequency", ""),
        ("total spend", "monetary", ""),
        ("predicted churn probability", "churn_probability", ""),
        ("predicted 6-month spend", "expected_spend", ""),
    ]
    for label, name, unit in ranges:
        low, high = getattr(spec, f"{name}_min", None), getattr(spec, f"{name}_max", None)
        above = "more than" if f"{name}_min" in strict else "at least"
        below = "less than" if f"{name}_max" in strict else "at most"
        if low is not None and high is not None:
            parts.append(f"{label} {above} {low:g} and {below} {high:g}{unit}")
        elif low is not None:
            parts.append(f"{label} {above} {low:g}{unit}")
        elif high is not None:
            parts.append(f"{label} {below} {high:g}{unit}")
    if spec.not_ordered_since is not None:
        parts.append(f"no order since {spec.not_ordered_since}")
    if spec.first_order_from is not None:
        parts.append(f"first order on or after {spec.first_order_from}")
    if spec.first_order_to is not None:
        parts.append(f"first order on or before {spec.first_order_to}")
    if spec.bought_product is not None:
        parts.append(f"who bought a product matching {spec.bought_product!r}")
    if spec.bought_category is not None:
        parts.append(f"who bought from category {p.params['category']!r}")
    if spec.cluster is not None:
        parts.append(f"in K-Means cluster {spec.cluster}")
    return ", ".join(parts)


def _export(frame: Any, ctx: ToolContext, spec: SegmentSpec) -> str:
    label = "-".join(s.value for s in spec.segments) or "customers"
    label = re.sub(r"[^a-z0-9_-]+", "", label.lower())[:60] or "customers"
    stem = f"segment-{label}-{time.strftime('%Y%m%dT%H%M%S')}-{time.perf_counter_ns() % 10**6}"
    return str(write_csv_export(frame, ctx.workspace.runs_dir, ctx.settings, stem))


def segment_query(args: SegmentSpec, ctx: ToolContext) -> SegmentResult:
    """Find a customer segment (RFM segment and/or filters) and report its size, value, breakdown and members."""
    cur = ctx.warehouse()
    p = q.plan(args, cur)
    q.fetch_matches(p, cur)
    s = q.summary(p, cur)
    size, revenue = int(s["customers"]), float(s["revenue"])
    total_customers, total_revenue = int(s["total_customers"] or 0), float(s["total_revenue"] or 0.0)
    orders = int(s["orders"])
    rows = []
    for row in q.breakdown(p, cur):
        rows.append(
            BreakdownRow(
                key=str(row["key"]),
                customers=int(row["customers"]),
                share_of_segment=round(int(row["customers"]) / size, 4) if size else 0.0,
                revenue=float(row["revenue"]),
                revenue_share=round(float(row["revenue"]) / revenue, 4) if revenue else 0.0,
                orders=int(row["orders"]),
                avg_recency_days=row.get("avg_recency_days"),
                avg_frequency=row.get("avg_frequency"),
                avg_monetary=row.get("avg_monetary"),
                bought_revenue=row.get("bought_revenue"),
            )
        )
    sample = q.member_rows(p, cur, args.limit, "sample") if args.limit else None
    export_path = None
    notes = []
    if args.export and not ctx.settings.exports_enabled:
        notes.append(EXPORTS_OFF)
    elif args.export:
        export_path = _export(q.member_rows(p, cur, q.MAX_EXPORT_ROWS, "export"), ctx, args)
    if args.group_by == GroupBy.month:
        notes.append("Monthly rows count every completed order of the segment's customers in that month.")
    if args.cluster is not None or args.group_by == GroupBy.cluster:
        notes.append("K-Means clusters are assigned as of the data's last order date.")
    if args.uses_products() and not p.matched_products_total:
        notes.append("No product matched, so no customer can be in this segment.")
    return SegmentResult(
        definition=describe(args, p),
        as_of=p.as_of,
        customers=size,
        total_customers=total_customers,
        share_of_customers=round(size / total_customers, 4) if total_customers else 0.0,
        revenue=revenue,
        total_revenue=total_revenue,
        revenue_share=round(revenue / total_revenue, 4) if total_revenue else 0.0,
        orders=orders,
        avg_recency_days=s["avg_recency_days"],
        avg_frequency=s["avg_frequency"],
        avg_monetary=s["avg_monetary"],
        avg_order_value=round(revenue / orders, 2) if orders else None,
        bought_revenue=s["bought_revenue"] if args.uses_products() else None,
        matched_products=[ProductMatch(product_id=i, name=n) for i, n in p.matched_products],
        matched_products_total=p.matched_products_total if args.uses_products() else None,
        group_by=args.group_by,
        breakdown=rows,
        sample_customer_ids=[] if sample is None else sample["customer_id"].astype(str).tolist(),
        export_path=export_path,
        queries=p.log,
        notes=notes,
    )


def segment_customer_ids(spec: SegmentSpec, ctx: ToolContext, max_ids: int = q.MAX_EXPORT_ROWS) -> list[str]:
    """Every customer id in the segment, in the spec's sort order (for other tools, e.g. the recommender)."""
    cur = ctx.warehouse()
    p = q.plan(spec, cur)
    frame = q.member_rows(p, cur, max_ids, "ids")
    return frame["customer_id"].astype(str).tolist()

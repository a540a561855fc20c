"""Customer segments: RFM scores and named segments, K-Means clusters, safe segment queries, explanations.

Tools (see TOOLS): segment_query, customer_overview, explain_segment. Other tools resolve a spec into
customer ids with segment_customer_ids(spec, ctx). The ingest build step is `tools.segments:build_step`
(skip it with `mka ingest --skip segments`).
"""

from __future__ import annotations

from typing import Any

from tools.base import Tool
from tools.segments.explain import ExplainSegmentInput, ExplainSegmentResult, explain_segment
from tools.segments.overview import CustomerOverviewInput, CustomerOverviewResult, customer_overview
from tools.segments.results import SegmentResult
from tools.segments.segment_tool import segment_customer_ids, segment_query
from tools.segments.spec import GroupBy, SegmentName, SegmentQueryError, SegmentSpec, SortKey
from tools.segments.sqlrun import QueryTimeoutError

SEGMENT_ERRORS = (SegmentQueryError, QueryTimeoutError)

TOOLS: list[Tool[Any]] = [
    Tool(
        name="segment_query",
        input_model=SegmentSpec,
        run=segment_query,
        description=(
            "Find and count customers by RFM segment (incl. lost), country, spend, recency, or a product or category "
            "they bought: the group's size and the revenue it brought in so far, breakdown by country/segment/cluster/"
            "month, customer ids and CSV export."
        ),
        errors=SEGMENT_ERRORS,
    ),
    Tool(
        name="customer_overview",
        input_model=CustomerOverviewInput,
        run=customer_overview,
        description=(
            "Overview of the whole customer base or one country: repeat rate (share buying more than once), orders per "
            "customer, average order value, monthly active customers and revenue, top products and categories."
        ),
        errors=SEGMENT_ERRORS,
    ),
    Tool(
        name="explain_segment",
        input_model=ExplainSegmentInput,
        run=explain_segment,
        description=(
            "Explain why customers are in a segment or cluster: simple if-then rules from a decision tree, "
            "with accuracy."
        ),
        errors=SEGMENT_ERRORS,
    ),
]


def build_step(ctx: Any) -> dict[str, Any]:
    """Ingest build step: RFM table, K-Means clusters, cluster profiles (scikit-learn imported only here)."""
    from tools.segments.build import build_step as run

    return run(ctx)


__all__ = [
    "TOOLS",
    "CustomerOverviewInput",
    "CustomerOverviewResult",
    "ExplainSegmentInput",
    "ExplainSegmentResult",
    "GroupBy",
    "QueryTimeoutError",
    "SegmentName",
    "SegmentQueryError",
    "SegmentResult",
    "SegmentSpec",
    "SortKey",
    "build_step",
    "customer_overview",
    "explain_segment",
    "segment_customer_ids",
    "segment_query",
]

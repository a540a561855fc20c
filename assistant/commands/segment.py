"""`mka segment …`: customer segments from the command line (query, overview, explain), each with --json."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

segment_app = typer.Typer(
    help="Customer segments: RFM segments, K-Means clusters, filters, overview and explanations.",
    no_args_is_help=True,
)

Json = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")]
Countries = Annotated[list[str] | None, typer.Option("--country", help="Customer country (repeatable).")]
AsOf = Annotated[datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], help="Analysis date (YYYY-MM-DD).")]


def register(app: typer.Typer) -> None:
    app.add_typer(segment_app, name="segment")


def _run(tool: Any, build_input: Any, as_json: bool) -> None:
    """Validate the input, run the tool on the current workspace, print markdown or JSON; clear errors."""
    from assistant.commands.common import run_tool
    from tools.segments import QueryTimeoutError, SegmentQueryError

    run_tool(tool, build_input, as_json, (SegmentQueryError, QueryTimeoutError))


@segment_app.command("query")
def query(
    segment: Annotated[
        list[str] | None, typer.Option("--segment", "-s", help="RFM segment, e.g. champions (repeatable).")
    ] = None,
    country: Countries = None,
    recency_min: Annotated[int | None, typer.Option(help="Last order at least this many days ago.")] = None,
    recency_max: Annotated[int | None, typer.Option(help="Last order at most this many days ago.")] = None,
    frequency_min: Annotated[int | None, typer.Option(help="At least this many orders.")] = None,
    frequency_max: Annotated[int | None, typer.Option(help="At most this many orders.")] = None,
    monetary_min: Annotated[float | None, typer.Option(help="Spent at least this much.")] = None,
    monetary_max: Annotated[float | None, typer.Option(help="Spent at most this much.")] = None,
    bought: Annotated[str | None, typer.Option(help="Bought a product matching this text (id or name words).")] = None,
    category: Annotated[str | None, typer.Option(help="Bought from this product category.")] = None,
    not_ordered_since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="No order on or after this date.")
    ] = None,
    first_order_from: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First order from.")] = None,
    first_order_to: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First order until.")] = None,
    cluster: Annotated[int | None, typer.Option(help="K-Means cluster id.")] = None,
    as_of: AsOf = None,
    group_by: Annotated[str, typer.Option(help="none | country | segment | cluster | month")] = "none",
    sort: Annotated[str, typer.Option(help="monetary | frequency | recency | customer_id")] = "monetary",
    limit: Annotated[int, typer.Option(help="Customer ids to list (0-1000).")] = 20,
    export: Annotated[bool, typer.Option("--export", help="Write every matching customer to a CSV file.")] = False,
    as_json: Json = False,
) -> None:
    """Find a customer segment: size, revenue, averages, breakdown, customer ids, the SQL that produced it."""
    from tools.segments import SegmentSpec, segment_query

    def day(value: datetime | None) -> Any:
        return value.date() if value is not None else None

    _run(
        segment_query,
        lambda: SegmentSpec(
            segments=segment or [],
            countries=country or [],
            recency_days_min=recency_min,
            recency_days_max=recency_max,
            frequency_min=frequency_min,
            frequency_max=frequency_max,
            monetary_min=monetary_min,
            monetary_max=monetary_max,
            bought_product=bought,
            bought_category=category,
            not_ordered_since=day(not_ordered_since),
            first_order_from=day(first_order_from),
            first_order_to=day(first_order_to),
            cluster=cluster,
            as_of=day(as_of),
            group_by=group_by,
            sort=sort,
            limit=limit,
            export=export,
        ),
        as_json,
    )


@segment_app.command("overview")
def overview(
    country: Countries = None,
    as_of: AsOf = None,
    top: Annotated[int, typer.Option(help="How many top countries, products, categories (1-50).")] = 10,
    as_json: Json = False,
) -> None:
    """Customer-base overview: repeat rate, order value, monthly activity, top countries/products, segments."""
    from tools.segments import CustomerOverviewInput, customer_overview

    _run(
        customer_overview,
        lambda: CustomerOverviewInput(countries=country or [], as_of=as_of.date() if as_of else None, top_n=top),
        as_json,
    )


@segment_app.command("explain")
def explain(
    segment: Annotated[str | None, typer.Option("--segment", "-s", help="RFM segment to explain.")] = None,
    cluster: Annotated[int | None, typer.Option(help="K-Means cluster to explain.")] = None,
    country: Countries = None,
    category: Annotated[str | None, typer.Option(help="Customers who bought from this category.")] = None,
    bought: Annotated[str | None, typer.Option(help="Customers who bought a product matching this text.")] = None,
    depth: Annotated[int, typer.Option(help="Decision-tree depth (1-3).")] = 3,
    as_json: Json = False,
) -> None:
    """Why customers are in a segment or cluster: decision-tree rules with held-out accuracy."""
    from tools.segments import ExplainSegmentInput, explain_segment

    _run(
        explain_segment,
        lambda: ExplainSegmentInput(
            segment=segment,
            cluster=cluster,
            countries=country or [],
            bought_category=category,
            bought_product=bought,
            max_depth=depth,
        ),
        as_json,
    )

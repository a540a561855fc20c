"""`mka predict …`: churn risk, customer lifetime value, sales forecast and campaign response, each with --json."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

predict_app = typer.Typer(
    help="Predictions: churn risk, customer lifetime value, sales forecast, campaign response.",
    no_args_is_help=True,
)

Json = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")]
Customer = Annotated[str | None, typer.Option("--customer", help="One customer's id.")]
Segment = Annotated[str | None, typer.Option("--segment", "-s", help="RFM segment, e.g. champions, at_risk.")]
Country = Annotated[str | None, typer.Option("--country", help="Customer country.")]
AsOf = Annotated[datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], help="Analysis date (YYYY-MM-DD).")]
Limit = Annotated[int, typer.Option(help="How many customers to list (1-100).")]


def register(app: typer.Typer) -> None:
    app.add_typer(predict_app, name="predict")


def _run(tool: Any, build_input: Any, as_json: bool) -> None:
    """Validate the input, run the tool on the current workspace, print markdown or JSON; clear errors."""
    from assistant.commands.common import run_tool
    from tools.predict import PredictionError

    run_tool(tool, build_input, as_json, (PredictionError,))


def _day(value: datetime | None) -> Any:
    return value.date() if value is not None else None


@predict_app.command("churn")
def churn(
    customer: Customer = None,
    segment: Segment = None,
    country: Country = None,
    min_probability: Annotated[float, typer.Option(help="Only customers at or above this risk (0-1).")] = 0.0,
    as_of: AsOf = None,
    limit: Limit = 10,
    as_json: Json = False,
) -> None:
    """Who is likely to stop buying in the next 90 days, how many, and the drivers of each customer's risk."""
    from tools.predict import PredictChurnInput, predict_churn

    _run(
        predict_churn,
        lambda: PredictChurnInput(
            customer_id=customer,
            segment=segment,
            country=country,
            min_probability=min_probability,
            as_of=_day(as_of),
            limit=limit,
        ),
        as_json,
    )


@predict_app.command("clv")
def clv(
    customer: Customer = None,
    segment: Segment = None,
    country: Country = None,
    group_by: Annotated[str, typer.Option(help="none | segment | country | churn_risk")] = "none",
    horizon_months: Annotated[int, typer.Option(help="Months ahead (1-24).")] = 6,
    as_of: AsOf = None,
    limit: Limit = 10,
    as_json: Json = False,
) -> None:
    """Expected purchases and spend over the next months (BG/NBD + Gamma-Gamma), with 80 % ranges."""
    from tools.predict import PredictClvInput, predict_clv

    _run(
        predict_clv,
        lambda: PredictClvInput(
            customer_id=customer,
            segment=segment,
            country=country,
            group_by=group_by,
            horizon_months=horizon_months,
            as_of=_day(as_of),
            limit=limit,
        ),
        as_json,
    )


@predict_app.command("forecast")
def forecast(
    metric: Annotated[str, typer.Option(help="revenue | orders")] = "revenue",
    granularity: Annotated[str, typer.Option(help="week | month")] = "month",
    horizon: Annotated[int, typer.Option(help="Periods ahead (weeks 1-26, months 1-6).")] = 3,
    category: Annotated[str | None, typer.Option(help="Only this product category.")] = None,
    as_json: Json = False,
) -> None:
    """Revenue or orders for the coming weeks or months, with 80 % ranges and a held-out check."""
    from tools.predict import ForecastSalesInput, forecast_sales

    _run(
        forecast_sales,
        lambda: ForecastSalesInput(metric=metric, granularity=granularity, horizon=horizon, category=category),
        as_json,
    )


@predict_app.command("response")
def response(
    segment_by: Annotated[str, typer.Option(help="job | age_band | education | marital | contact | poutcome")] = "job",
    top_segments: Annotated[int, typer.Option(help="Best segments to show (1-20).")] = 5,
    call_list: Annotated[int, typer.Option(help="Contacts to call first (1-100).")] = 10,
    min_segment_size: Annotated[int, typer.Option(help="Smallest segment to rank.")] = 100,
    include_subscribed: Annotated[bool, typer.Option(help="Also list contacts who already said yes.")] = False,
    as_json: Json = False,
) -> None:
    """Phone-campaign response on the bank marketing data: best segments and who to call first."""
    from tools.predict import CampaignResponseInput, campaign_response

    _run(
        campaign_response,
        lambda: CampaignResponseInput(
            segment_by=segment_by,
            top_segments=top_segments,
            call_list=call_list,
            min_segment_size=min_segment_size,
            include_subscribed=include_subscribed,
        ),
        as_json,
    )

"""Where the prediction tools get their data: the stored tables when they match the request, else computed
once per ToolContext (cached with ctx.resource)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd

from tools.context import ToolContext
from tools.predict.churn_model import MIN_HISTORY_DAYS
from tools.predict.common import (
    METRICS_FILE,
    MODEL_DIR,
    PREDICTIONS_TABLE,
    DataSpan,
    PredictionError,
    customer_orders,
    data_span,
    resolve_as_of,
    table_exists,
)
from tools.predict.customer_scores import compute_customer_predictions


def span_of(ctx: ToolContext) -> DataSpan:
    return ctx.resource("predict:span", lambda: data_span(ctx.warehouse()))


def orders_of(ctx: ToolContext) -> pd.DataFrame:
    return ctx.resource("predict:orders", lambda: customer_orders(ctx.warehouse()))


def stored_metrics(ctx: ToolContext) -> dict[str, Any]:
    """Backtest figures and fitted parameters written at ingest ({} when the build step was skipped)."""
    path = ctx.workspace.models_dir / MODEL_DIR / METRICS_FILE
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def analysis_date(ctx: ToolContext, as_of: date | None) -> date:
    return resolve_as_of(as_of, span_of(ctx), MIN_HISTORY_DAYS)


def _rfm(ctx: ToolContext, as_of: date, stored: bool) -> pd.DataFrame:
    from tools.segments.rfm import RFM_SELECT  # the segment tool's own definitions, so segments agree

    con = ctx.warehouse()
    if stored and table_exists(con, "customer_rfm"):
        frame = con.execute("SELECT customer_id, recency_days, frequency, monetary, segment FROM customer_rfm").df()
    else:
        sql = f"SELECT customer_id, recency_days, frequency, monetary, segment FROM ({RFM_SELECT})"
        frame = con.execute(sql, {"as_of": as_of}).df()
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame


def customer_predictions(ctx: ToolContext, as_of: date | None) -> tuple[pd.DataFrame, date, bool]:
    """(predictions joined with country, RFM segment, recency/frequency/monetary; the analysis date; stored?)."""
    day = analysis_date(ctx, as_of)
    con = ctx.warehouse()
    stored = day == span_of(ctx).last and table_exists(con, PREDICTIONS_TABLE)

    def load() -> pd.DataFrame:
        if stored:
            frame = con.execute(f"SELECT * FROM {PREDICTIONS_TABLE}").df()
        else:
            frame, _notes = compute_customer_predictions(orders_of(ctx), span_of(ctx).first, day)
            if frame.empty:
                raise PredictionError("as_of", f"no customer has a completed order on or before {day}")
        frame["customer_id"] = frame["customer_id"].astype(str)
        countries = con.execute("SELECT customer_id, country FROM customers").df()
        countries["customer_id"] = countries["customer_id"].astype(str)
        frame = frame.merge(countries, on="customer_id", how="left")
        return frame.merge(_rfm(ctx, day, stored), on="customer_id", how="left")

    return ctx.resource(f"predict:customers:{day}", load), day, stored


def filter_customers(
    frame: pd.DataFrame, customer_id: str | None, segment: str | None, country: str | None
) -> pd.DataFrame:
    """Apply the optional filters; unknown values raise a PredictionError naming the field."""
    if customer_id is not None:
        hit = frame[frame["customer_id"].str.upper() == customer_id.strip().upper()]
        if hit.empty:
            raise PredictionError(
                "customer_id", f"{customer_id!r} has no completed order on or before the analysis date"
            )
        return hit
    if segment is not None:
        frame = frame[frame["segment"] == segment]
        if frame.empty:
            raise PredictionError("segment", f"no customer is in segment {segment!r} on the analysis date")
    if country is not None:
        known = {str(c).lower(): str(c) for c in frame["country"].dropna().unique()}
        if country.strip().lower() not in known:
            some = ", ".join(sorted(known.values())[:8])
            raise PredictionError("country", f"no customer from {country!r} in this selection (e.g. {some})")
        frame = frame[frame["country"].str.lower() == country.strip().lower()]
    return frame

"""Tool `forecast_sales`: revenue or orders for the coming weeks or months, overall or for one category."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator

from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.facts import Fact
from tools.predict.common import PredictionError
from tools.predict.forecast_model import (
    MIN_WEEKS,
    backtest_forecast,
    first_day_of_month,
    forecast_daily,
    next_month,
)
from tools.sales import COMPLETED, LINE_AMOUNT

MAX_PERIODS = {"week": 26, "month": 6}
BACKTEST_WEEKS = 8
METHOD = (
    "Damped-trend exponential smoothing of weekly totals (log scale), spread over days by the last 12 weeks' "
    "weekday pattern; yearly seasonality is added once two years of history exist. Ranges: 10th-90th "
    "percentiles of 1,000 simulated paths."
)

# Sales, guests included (not customer analytics), by tools.sales' one definition: revenue = completed orders'
# lines, orders = completed orders. A cancellation is its own order: it is not subtracted (it was never revenue).
DAILY_SQL = f"""
SELECT CAST(o.ordered_at AS DATE) AS day,
       sum({LINE_AMOUNT}) AS revenue,
       count(DISTINCT o.order_id) AS orders
FROM orders o JOIN order_lines l ON l.order_id = o.order_id JOIN products p ON p.product_id = l.product_id
WHERE {COMPLETED} AND ($category IS NULL OR lower(p.category) = lower($category))
GROUP BY 1 ORDER BY 1
"""


class ForecastSalesInput(BaseModel):
    """Sales forecast: revenue or number of orders for the coming weeks or months, overall or for one category."""

    metric: Literal["revenue", "orders"] = Field(default="revenue", description="What to forecast.")
    granularity: Literal["week", "month"] = Field(default="month", description="Forecast per week or per month.")
    horizon: int = Field(default=3, description="How many weeks or months ahead (weeks 1-26, months 1-6).")
    category: str | None = Field(default=None, description="Only this product category, e.g. Christmas, Bags.")

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, value: int, info: Any) -> int:
        unit = info.data.get("granularity", "month")
        limit = MAX_PERIODS[unit]
        if value < 1:
            raise ValueError(f"horizon must be at least 1 {unit}, got {value}")
        if value > limit:
            raise ValueError(f"horizon must be at most {limit} {unit}s, got {value}: beyond that it is guesswork")
        return value


class ForecastPeriod(BaseModel):
    period: str
    start: date
    end: date
    forecast: float
    low: float
    high: float
    actual_to_date: float = 0.0


class ForecastSalesResult(BaseModel):
    metric: str
    granularity: str
    category: str | None
    last_day: date
    periods: list[ForecastPeriod]
    history: list[tuple[str, float]]
    backtest: dict[str, Any]
    method: str = METHOD
    notes: list[str] = []

    def to_markdown(self) -> str:
        what = f"{self.metric}{f' in {self.category}' if self.category else ''}"
        fmt = "{:,.0f}"
        rows: list[list[str | int | float | None]] = [
            [
                p.period,
                fmt.format(p.forecast),
                f"{fmt.format(p.low)}–{fmt.format(p.high)}",
                fmt.format(p.actual_to_date) if p.actual_to_date else "",
            ]
            for p in self.periods
        ]
        lines = [
            f"**Forecast of {what} per {self.granularity}** (data up to {self.last_day})",
            "",
            Table(columns=[self.granularity, "forecast", "80 % range", "already booked"], rows=rows).to_markdown(),
        ]
        b = self.backtest
        if b.get("model"):
            base = b["baseline_seasonal_naive"]
            lines.append(
                f"\nChecked on the last {b['holdout_weeks']} weeks held out (from {b['holdout_start']}): weekly error "
                f"(MAPE) {100 * b['model']['mape']:.0f} % vs {100 * base['mape']:.0f} % for repeating the same week "
                f"{'last year' if base['season_weeks'] == 52 else 'before'}."
            )
        lines += ["", f"_Method: {self.method}_"] + [f"_Note: {n}_" for n in self.notes]
        return "\n".join(lines)

    def facts(self) -> list[Fact]:
        """Named facts: each period's forecast and its range (kind forecast), then booked and recent actuals."""
        what = f"{self.metric}{f' in {self.category}' if self.category else ''}"
        unit = "money" if self.metric == "revenue" else "orders"
        model = f"forecast_sales: {self.method[:60].rsplit(' ', 1)[0]}…"
        sql = "forecast_sales: SQL daily sales"
        scope = self.category or ""
        out = [Fact(label=f"forecast {what} for {p.period}", value=p.forecast, unit=unit, source=model,
                    kind="forecast", head=self.metric, key=p.period, scope=scope) for p in self.periods]  # fmt: skip
        out += [Fact(label=f"{what} already booked in {p.period} (actual so far)", value=p.actual_to_date,
                     unit=unit, source=sql, head=f"{self.metric} already booked", key=p.period, scope=scope)
                for p in self.periods if p.actual_to_date]  # fmt: skip
        past = [(period, value) for period, value in self.history if period not in {p.period for p in self.periods}]
        out += [Fact(label=f"actual {what} in {period}", value=value, unit=unit, source=sql, head=self.metric,
                     key=period, scope=scope) for period, value in past[::-1][:3]]  # fmt: skip
        for p in self.periods:
            for end, value in (("low", p.low), ("high", p.high)):
                out.append(Fact(label=f"forecast {what} for {p.period}, {end} end of the 80 % range", value=value,
                                unit=unit, source=model, kind="forecast", key=p.period, scope=scope,
                                head=f"{self.metric}, {end} end of the 80 % range"))  # fmt: skip
        return out

    def charts(self) -> list[ChartSpec]:
        x = [h[0] for h in self.history] + [p.period for p in self.periods]
        n = len(self.history)
        nan = float("nan")
        return [
            ChartSpec(
                kind="line",
                title=f"{self.metric.capitalize()} per {self.granularity}: history and forecast",
                x=x,
                series=[
                    Series(name="actual", values=[h[1] for h in self.history] + [nan] * len(self.periods)),
                    Series(name="forecast", values=[nan] * n + [p.forecast for p in self.periods]),
                    Series(name="low (10 %)", values=[nan] * n + [p.low for p in self.periods]),
                    Series(name="high (90 %)", values=[nan] * n + [p.high for p in self.periods]),
                ],
            )
        ]


def daily_series(ctx: ToolContext, metric: str, category: str | None) -> pd.Series:
    con = ctx.warehouse()
    frame = con.execute(DAILY_SQL, {"category": category}).df()
    if frame.empty:
        if category is None:
            raise PredictionError("data", "the warehouse has no completed orders")
        known = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT p.category FROM order_lines l JOIN products p ON p.product_id = l.product_id "
                "WHERE p.category IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        raise PredictionError("category", f"no sales in category {category!r}; categories: {', '.join(known)}")
    days = pd.to_datetime(frame["day"])
    full = pd.date_range(days.min(), days.max(), freq="D")
    return pd.Series(frame[metric].to_numpy(dtype=float), index=days).reindex(full, fill_value=0.0)


def _periods(last: pd.Timestamp, granularity: str, horizon: int) -> list[tuple[str, date, date]]:
    out = []
    start = (last + pd.Timedelta(days=1)).date()
    for _ in range(horizon):
        if granularity == "week":
            end = start + timedelta(days=6)
            out.append((f"{start} – {end}", start, end))
        else:
            month_start = first_day_of_month(start)
            end = next_month(month_start) - timedelta(days=1)
            out.append((month_start.strftime("%Y-%m"), month_start, end))
        start = end + timedelta(days=1)
    return out


def _history(daily: pd.Series, granularity: str, periods: int = 12) -> list[tuple[str, float]]:
    if granularity == "week":
        ends = daily.index[-1::-7][:periods][::-1]
        return [
            (f"{(e - pd.Timedelta(days=6)).date()} – {e.date()}", float(daily[e - pd.Timedelta(days=6) : e].sum()))
            for e in ends
            if e - pd.Timedelta(days=6) >= daily.index[0]
        ]
    months = daily.groupby(daily.index.to_period("M")).sum().iloc[-periods:]
    return [(str(p), float(v)) for p, v in months.items()]


def forecast_sales(args: ForecastSalesInput, ctx: ToolContext) -> ForecastSalesResult:
    daily = ctx.resource(
        f"predict:daily:{args.metric}:{args.category}", lambda: daily_series(ctx, args.metric, args.category)
    )
    weeks_of_history = len(daily) // 7
    if weeks_of_history < MIN_WEEKS:
        raise PredictionError("data", f"{weeks_of_history} weeks of sales history: need at least {MIN_WEEKS} weeks")
    unit_weeks = 1 if args.granularity == "week" else 4.35
    if args.horizon * unit_weeks > weeks_of_history / 2:
        most = max(1, int(weeks_of_history / 2 / unit_weeks))
        raise PredictionError(
            "horizon",
            f"{args.horizon} {args.granularity}s is more than half the {weeks_of_history} weeks of "
            f"history; at most {most}",
        )
    last = daily.index[-1]
    category = args.category
    if category is not None:  # show the catalogue's spelling, whatever case was asked
        row = (
            ctx.warehouse()
            .execute("SELECT min(category) FROM products WHERE lower(category) = lower(?)", [category])
            .fetchone()
        )
        category = str(row[0]) if row and row[0] else category
    periods = _periods(last, args.granularity, args.horizon)
    horizon_days = (periods[-1][2] - last.date()).days
    result = forecast_daily(daily, horizon_days)
    out: list[ForecastPeriod] = []
    for label, start, end in periods:
        mask = (result.days >= pd.Timestamp(start)) & (result.days <= pd.Timestamp(end))
        totals = result.paths[:, mask].sum(axis=1)
        booked = float(daily[pd.Timestamp(start) : pd.Timestamp(end)].sum())
        q10, q50, q90 = np.quantile(totals, [0.1, 0.5, 0.9]) + booked
        out.append(
            ForecastPeriod(
                period=label,
                start=start,
                end=end,
                forecast=round(float(q50), 2),
                low=round(float(q10), 2),
                high=round(float(q90), 2),
                actual_to_date=round(booked, 2),
            )
        )
    notes = []
    if out[0].actual_to_date:
        notes.append(f"{out[0].period} includes {out[0].actual_to_date:,.0f} already booked up to {last.date()}")
    if not result.yearly_seasonality:
        notes.append(
            f"{weeks_of_history} weeks of history: too short to learn yearly seasonality (needs two years), so "
            "seasonal peaks such as Christmas are not anticipated beyond the recent trend"
        )
    backtest: dict[str, Any] = {}
    if weeks_of_history >= MIN_WEEKS + BACKTEST_WEEKS:
        backtest = ctx.resource(
            f"predict:fcbt:{args.metric}:{args.category}", lambda: backtest_forecast(daily, BACKTEST_WEEKS)
        )
    return ForecastSalesResult(
        metric=args.metric,
        granularity=args.granularity,
        category=category,
        last_day=last.date(),
        periods=out,
        history=_history(daily, args.granularity),
        backtest=backtest,
        notes=notes,
    )

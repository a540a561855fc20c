"""The digest: a period's KPIs against the period before, segment movements, new negative review themes and the
forecast against what happened. Every figure comes from the warehouse; the sentences are fixed templates.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel

from assistant.proactive.metrics import Kpis, NoSalesError, ShopMetrics
from assistant.proactive.report import Block, Heading, Paragraph, TableBlock, change, count, money, to_html, to_markdown
from tools.predict.forecast import DAILY_SQL as FORECAST_DAILY_SQL
from tools.predict.forecast_model import MIN_WEEKS, forecast_daily

PeriodKind = Literal["day", "week", "month"]
ADJECTIVE: dict[str, str] = {"day": "Daily", "week": "Weekly", "month": "Monthly"}
TOP_FLOWS = 5
TOP_THEMES = 8


class DigestError(ValueError):
    """A digest that cannot be made as asked (a date outside the data, no orders); the message says why."""


class Period(BaseModel):
    start: date
    end: date

    @property
    def label(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start} to {self.end}"


def periods(kind: PeriodKind, as_of: date) -> tuple[Period, Period]:
    """The period ending on `as_of` and the one it is compared with.

    day: the day vs the same weekday a week before (a shop's weekdays differ more than its weeks);
    week: the 7 days to `as_of` vs the 7 days before; month: the month to date vs the same days of the month before.
    """
    if kind == "day":
        return Period(start=as_of, end=as_of), Period(start=as_of - timedelta(days=7), end=as_of - timedelta(days=7))
    if kind == "week":
        start = as_of - timedelta(days=6)
        return Period(start=start, end=as_of), Period(start=start - timedelta(days=7), end=start - timedelta(days=1))
    start = as_of.replace(day=1)
    prev_start = (start - timedelta(days=1)).replace(day=1)
    prev_end = min(prev_start.replace(day=1) + timedelta(days=as_of.day - 1), start - timedelta(days=1))
    return Period(start=start, end=as_of), Period(start=prev_start, end=prev_end)


def segment_label(name: str) -> str:
    return "Can't lose" if name == "cant_lose" else name.replace("_", " ").capitalize()


class SegmentRow(BaseModel):
    segment: str
    now: int
    before: int


class Flow(BaseModel):
    source: str  # segment before, or "new customer"
    target: str
    customers: int


class ThemeRow(BaseModel):
    theme: str
    now: int
    before: int


class ReviewSection(BaseModel):
    reviews: int
    dated: int
    in_period: int = 0
    in_previous: int = 0
    negative_now: int = 0
    negative_before: int = 0
    themes: list[ThemeRow] = []


class ForecastCheck(BaseModel):
    metric: Literal["revenue", "orders"]
    trained_to: date
    forecast: float
    low: float
    high: float
    actual: float

    @property
    def verdict(self) -> str:
        if self.actual > self.high:
            return "above the range"
        if self.actual < self.low:
            return "below the range"
        return "within the range"


class Digest(BaseModel):
    kind: PeriodKind
    as_of: date
    data_last_day: date
    period: Period
    previous: Period
    now: Kpis
    before: Kpis
    segments: list[SegmentRow]
    flows: list[Flow]
    reviews: ReviewSection
    forecasts: list[ForecastCheck]
    notes: list[str] = []

    @property
    def title(self) -> str:
        return f"{ADJECTIVE[self.kind]} digest: {self.period.label}"

    def blocks(self) -> list[Block]:
        return [
            Heading(text=self.title, level=1),
            Paragraph(
                text=f"Compared with {self.previous.label}. Data up to {self.data_last_day}. Every figure is computed "
                "from the warehouse; the sentences are fixed templates.",
                note=True,
            ),
            *self._sales_blocks(),
            *self._segment_blocks(),
            *self._review_blocks(),
            *self._forecast_blocks(),
            *[Paragraph(text=n, note=True) for n in self.notes],
        ]

    def _sales_blocks(self) -> list[Block]:
        n, b = self.now, self.before
        rows: list[tuple[str, float | None, float | None, bool]] = [
            ("Revenue", n.revenue, b.revenue, True),
            ("Orders", n.orders, b.orders, False),
            ("Customers", n.customers, b.customers, False),
            ("New customers", n.new_customers, b.new_customers, False),
            ("Average order value", n.aov, b.aov, True),
            ("Cancellations", n.cancellations, b.cancellations, False),
        ]
        fmt = {True: money, False: count}

        def cell(value: float | None, is_money: bool) -> str:
            return "—" if value is None else fmt[is_money](value)

        table = TableBlock(
            columns=["", "this period", "previous period", "change"],
            rows=[[name, cell(x, m), cell(y, m), change(x, y)] for name, x, y, m in rows],
        )
        moves = [f"{name.lower()} {self._direction(x, y)}" for name, x, y, _ in rows[:2] + rows[5:]]
        return [
            Heading(text="Sales"),
            Paragraph(text=f"{moves[0].capitalize()}; {moves[1]}; {moves[2]}."),
            table,
            Paragraph(
                text="Revenue and orders count completed orders (guest orders included); a cancellation is an order "
                "cancelled in the period; customers are known customers with a completed order.",
                note=True,
            ),
        ]

    @staticmethod
    def _direction(now: float | None, before: float | None) -> str:
        if now is None or before is None or before == 0:
            return "has nothing to compare with" if now else "none in either period"
        if now == before:
            return "unchanged"
        return f"{'up' if now > before else 'down'} {abs(100 * (now - before) / before):.1f} %"

    def _segment_blocks(self) -> list[Block]:
        if not self.segments:
            return [Heading(text="Customer segments"), Paragraph(text="No known customers yet.")]
        rows = [
            [segment_label(s.segment), count(s.now), count(s.before), f"{s.now - s.before:+,}"]
            for s in sorted(self.segments, key=lambda s: -s.now)
        ]
        blocks: list[Block] = [
            Heading(text="Customer segments"),
            Paragraph(
                text=f"RFM segments scored as of {self.period.end} and as of {self.previous.end}, each with the "
                "orders up to that day.",
                note=True,
            ),
            TableBlock(columns=["segment", "now", "before", "change"], rows=rows),
        ]
        if self.flows:
            moves = "; ".join(
                f"{count(f.customers)} from {self._flow_name(f.source)} to {segment_label(f.target)}"
                for f in self.flows
            )
            blocks.append(Paragraph(text=f"Largest movements: {moves}."))
        return blocks

    @staticmethod
    def _flow_name(source: str) -> str:
        return "first order (new customer)" if source == NEW else segment_label(source)

    def _review_blocks(self) -> list[Block]:
        r = self.reviews
        head = Heading(text="Reviews")
        if r.reviews == 0:
            return [head, Paragraph(text="The workspace holds no reviews.")]
        if r.dated == 0:
            return [
                head,
                Paragraph(
                    text=f"The {count(r.reviews)} reviews in this workspace carry no dates, so this digest cannot "
                    "tell new complaints from old ones or follow the negative share over time."
                ),
            ]
        share_now = r.negative_now / r.in_period if r.in_period else None
        share_before = r.negative_before / r.in_previous if r.in_previous else None

        def share(value: float | None) -> str:
            return "—" if value is None else f"{100 * value:.1f} %"

        blocks: list[Block] = [
            head,
            Paragraph(
                text=f"{count(r.in_period)} new reviews, {count(r.negative_now)} negative ({share(share_now)}); "
                f"previous period: {count(r.in_previous)}, {count(r.negative_before)} negative "
                f"({share(share_before)})."
            ),
        ]
        if r.dated < r.reviews:
            undated = (
                f"{count(r.reviews - r.dated)} of {count(r.reviews)} reviews carry no date and are not counted here."
            )
            blocks.append(Paragraph(text=undated, note=True))
        new = [t.theme for t in r.themes if t.now and not t.before]
        rising = [t.theme for t in r.themes if t.before and t.now > t.before]
        if r.themes:
            if new:
                listed = ", ".join(new)
                blocks.append(Paragraph(text=f"New negative themes (none in the previous period): {listed}."))
            if rising:
                blocks.append(Paragraph(text="Negative themes mentioned more often: " + ", ".join(rising) + "."))
            blocks.append(
                TableBlock(
                    columns=["theme", "negative reviews", "previous period"],
                    rows=[[t.theme, count(t.now), count(t.before)] for t in r.themes],
                )
            )
        else:
            blocks.append(Paragraph(text="No negative review themes in either period."))
        return blocks

    def _forecast_blocks(self) -> list[Block]:
        head = Heading(text="Forecast against actual")
        if not self.forecasts:
            return []
        fmt = {"revenue": money, "orders": count}
        rows = [
            [f.metric.capitalize(), fmt[f.metric](f.forecast), f"{fmt[f.metric](f.low)} – {fmt[f.metric](f.high)}",
             fmt[f.metric](f.actual), f.verdict]
            for f in self.forecasts
        ]  # fmt: skip
        return [
            head,
            Paragraph(
                text=f"Forecast by forecast_sales' model from the data up to {self.forecasts[0].trained_to}, "
                "before the period began; the range holds 80 % of simulated outcomes.",
                note=True,
            ),
            TableBlock(columns=["", "forecast", "80 % range", "actual", "actual vs range"], rows=rows),
        ]

    def to_markdown(self, *, for_slack: bool = False) -> str:
        return to_markdown(self.blocks(), for_slack=for_slack)

    def to_html(self) -> str:
        return to_html(self.blocks(), self.title)


NEW = "__new__"


def _flows(before: pd.Series, now: pd.Series) -> list[Flow]:
    """The largest moves between segments (customers scored at both dates), and new customers' first segment."""
    joined = pd.DataFrame({"before": before, "now": now}).dropna(subset=["now"]).fillna({"before": NEW})
    moved = joined[joined["before"] != joined["now"]]
    counts = moved.groupby(["before", "now"]).size()
    # Largest first; ties in name order, so the same data always gives the same sentence.
    ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0][0]), str(item[0][1])))
    return [Flow(source=str(s), target=str(t), customers=int(n)) for (s, t), n in ordered[:TOP_FLOWS]]


def _forecast_daily_series(metrics: ShopMetrics, metric: str) -> pd.Series:
    """The forecasting tool's own daily series (tools/predict/forecast.py), every day present."""
    frame = metrics.con.execute(FORECAST_DAILY_SQL, {"category": None}).df()
    days = pd.DatetimeIndex(pd.to_datetime(frame["day"]))
    series = pd.Series(frame[metric].to_numpy(dtype=float), index=days)
    return series.reindex(pd.date_range(days.min(), days.max(), freq="D"), fill_value=0.0)


def forecast_checks(metrics: ShopMetrics, period: Period) -> tuple[list[ForecastCheck], str | None]:
    """What forecast_sales' model, given the data up to the day before the period, expected for it."""
    trained_to = period.start - timedelta(days=1)
    out: list[ForecastCheck] = []
    metric: Literal["revenue", "orders"]
    for metric in ("revenue", "orders"):
        daily = _forecast_daily_series(metrics, metric)
        train = daily[: pd.Timestamp(trained_to)]
        if train.empty or len(train) // 7 < MIN_WEEKS:
            return [], (
                f"No forecast check: the model needs {MIN_WEEKS} weeks of sales before the period "
                f"({len(train) // 7} available)."
            )
        train = train.reindex(pd.date_range(train.index[0], pd.Timestamp(trained_to), freq="D"), fill_value=0.0)
        horizon = (period.end - trained_to).days
        result = forecast_daily(train, horizon)
        totals = result.paths.sum(axis=1)
        low, mid, high = (float(v) for v in np.quantile(totals, [0.1, 0.5, 0.9]))
        actual = float(daily[pd.Timestamp(period.start) : pd.Timestamp(period.end)].sum())
        check = ForecastCheck(metric=metric, trained_to=trained_to, forecast=round(mid, 2), low=round(low, 2),
                              high=round(high, 2), actual=round(actual, 2))  # fmt: skip
        out.append(check)
    return out, None


def review_section(metrics: ShopMetrics, period: Period, previous: Period) -> ReviewSection:
    dating = metrics.review_dating()
    section = ReviewSection(reviews=dating.reviews, dated=dating.dated)
    if not dating.dated:
        return section
    daily = metrics.daily_reviews()

    def window(p: Period) -> tuple[int, int]:
        part = daily[pd.Timestamp(p.start) : pd.Timestamp(p.end)]
        return int(part["reviews"].sum()), int(part["negative"].sum())

    section.in_period, section.negative_now = window(period)
    section.in_previous, section.negative_before = window(previous)
    themes = metrics.negative_themes(period.start, period.end, previous.start, previous.end)
    themes = themes[(themes["now"] > 0) | (themes["before"] > 0)]
    ordered = themes.sort_values(["now", "theme"], ascending=[False, True]).head(TOP_THEMES)
    section.themes = [ThemeRow(theme=str(t), now=int(n), before=int(b)) for t, n, b in ordered.itertuples(index=False)]
    return section


def build_digest(metrics: ShopMetrics, kind: PeriodKind, as_of: date | None = None) -> Digest:
    """The digest of the period of `kind` ending on `as_of` (default: the data's last day)."""
    try:
        first, last = metrics.span()
    except NoSalesError as exc:
        raise DigestError(str(exc)) from exc
    as_of = as_of or last
    if as_of > last:
        raise DigestError(f"--as-of {as_of} is after the data's last day ({last}); the digest would be empty")
    if as_of < first:
        raise DigestError(f"--as-of {as_of} is before the data's first day ({first})")
    period, previous = periods(kind, as_of)
    notes = []
    if previous.start < first:
        notes.append(f"The previous period starts before the data's first day ({first}): its figures are partial.")
    now_segments = metrics.segments_of_customers(period.end)
    before_segments = metrics.segments_of_customers(previous.end)
    sizes_now, sizes_before = now_segments.value_counts(), before_segments.value_counts()
    names = sorted(set(sizes_now.index) | set(sizes_before.index))
    segments = [SegmentRow(segment=s, now=int(sizes_now.get(s, 0)), before=int(sizes_before.get(s, 0))) for s in names]
    forecasts, forecast_note = forecast_checks(metrics, period)
    if forecast_note:
        notes.append(forecast_note)
    return Digest(
        kind=kind,
        as_of=as_of,
        data_last_day=last,
        period=period,
        previous=previous,
        now=metrics.kpis(period.start, period.end),
        before=metrics.kpis(previous.start, previous.end),
        segments=segments,
        flows=_flows(before_segments, now_segments),
        reviews=review_section(metrics, period, previous),
        forecasts=forecasts,
        notes=notes,
    )

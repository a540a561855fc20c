"""The watcher: each configured metric as of a day against its seasonal baseline, and the alerts it raises.

What a check compares (windows end on the checked day D; the baseline is the same window 1..history_weeks
weeks earlier, kept only when it lies wholly inside the data):
- revenue, orders, cancellations: the window's total (tools.sales definitions);
- segment_size: the segment's change in size over the 7 days to D (RFM scored as of D and as of D-7) against
  its weekly changes before; a stock that drifts steadily is not news, a jump is;
- negative_review_share: negative reviews / reviews dated in the window (windows with too few reviews are
  skipped); impossible when reviews carry no dates, and the report says so.

Alerts sent are remembered in a state file (0600, in the workspace): a rerun for the same day does not post
again, and after an alert the same metric and direction stay quiet for `cooldown_days`.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel

from assistant.core.privacy import PRIVATE_FILE_MODE
from assistant.proactive.config import FLOW_METRICS, WatchConfig, WatchedMetric
from assistant.proactive.detect import Score, fires, robust_score
from assistant.proactive.digest import segment_label
from assistant.proactive.metrics import NoSalesError, ShopMetrics
from assistant.proactive.report import count, money

WINDOW_DAYS = {"day": 1, "week": 7}


class WatchError(ValueError):
    """The watcher cannot run as asked (no data, a day outside the data)."""


class Check(BaseModel):
    """One metric checked as of one day (fired or not)."""

    metric_id: str
    metric: str
    segment: str | None
    window: str
    as_of: date
    window_start: date
    value: float  # the window's total / share, or the segment's weekly change
    usual: float  # the baseline's median
    low: float  # the baseline's smallest and largest values
    high: float
    spread: float
    z: float
    threshold: float
    baseline_weeks: int
    level_now: float | None = None  # segment_size: the size now
    level_before: float | None = None  # segment_size: the size a week before
    closed_days: list[date] = []  # days of the window without orders on which the shop usually trades
    fired: bool

    @property
    def direction(self) -> Literal["up", "down"]:
        return "up" if self.value > self.usual else "down"

    @property
    def key(self) -> str:
        return f"{self.metric_id}:{self.direction}:{self.as_of}"


class Skipped(BaseModel):
    metric_id: str
    reason: str


class WatchReport(BaseModel):
    as_of: date
    checks: list[Check]
    skipped: list[Skipped]

    @property
    def alerts(self) -> list[Check]:
        return [c for c in self.checks if c.fired]


# ---------------------------------------------------------------- words (fixed templates)


def metric_title(check: Check) -> str:
    span = f"on {check.as_of}" if check.window == "day" else f"in the 7 days to {check.as_of}"
    if check.metric == "segment_size":
        return f"{segment_label(check.segment or '')} segment size, change {span}"
    names = {"negative_review_share": "Negative-review share"}
    return f"{names.get(check.metric, check.metric.capitalize())} {span}"


def _fmt(check: Check, value: float) -> str:
    if check.metric == "revenue":
        return money(value)
    if check.metric == "negative_review_share":
        return f"{100 * value:.1f} %"
    if check.metric == "segment_size":
        return f"{value:+,.0f}"
    return count(value)


def alert_headline(check: Check) -> str:
    word = "above" if check.direction == "up" else "below"
    if check.metric in FLOW_METRICS and check.usual:
        pct = 100 * abs(check.value - check.usual) / abs(check.usual)
        rel = f", {pct:.0f} % {word} the usual {_fmt(check, check.usual)}"
    else:
        rel = f", {word} the usual {_fmt(check, check.usual)}"
    return f"{metric_title(check)}: {_fmt(check, check.value)}{rel}"


def alert_details(check: Check) -> list[str]:
    windows = "days" if check.window == "day" else "7-day windows"
    lines = []
    if check.closed_days:
        listed = ", ".join(f"{d:%a} {d}" for d in check.closed_days)
        lines.append(f"No orders on {listed}: the shop usually trades on that weekday (closed?).")
    if check.metric == "segment_size" and check.level_now is not None and check.level_before is not None:
        lines.append(
            f"Customers in the segment: {count(check.level_now)} now, {count(check.level_before)} a week before."
        )
    lines.append(
        f"Usual = median of the same {windows} in the previous {check.baseline_weeks} weeks "
        f"(from {_fmt(check, check.low)} to {_fmt(check, check.high)}); robust z = {check.z:+.1f} "
        f"(alert at ±{check.threshold:g})."
    )
    return lines


def follow_up_question(check: Check) -> str:
    verb = "rise" if check.direction == "up" else "fall"
    if check.metric == "segment_size":
        return f"Which customers are in the {segment_label(check.segment or '').lower()} segment now?"
    what = {"negative_review_share": "the share of negative reviews"}.get(check.metric, check.metric)
    span = f"on {check.as_of}" if check.window == "day" else f"in the week to {check.as_of}"
    return f"Why did {what} {verb} {span}?"


def alert_markdown(check: Check, *, in_slack: bool) -> str:
    icon = ":chart_with_upwards_trend:" if check.direction == "up" else ":chart_with_downwards_trend:"
    lines = [f"{icon} **{alert_headline(check)}**" if in_slack else f"**{alert_headline(check)}**", ""]
    lines += alert_details(check)
    question = follow_up_question(check)
    if in_slack:
        lines += ["", f"To ask a follow-up, mention me in this thread, e.g. _{question}_"]
    else:
        lines += ["", f'Follow up: mka ask "{question}"']
    return "\n".join(lines)


# ---------------------------------------------------------------- checks


def _window_sum(daily: pd.Series, end: date, days: int) -> float:
    return float(daily[pd.Timestamp(end - timedelta(days=days - 1)) : pd.Timestamp(end)].sum())


def _check(
    metric: WatchedMetric, config: WatchConfig, as_of: date, value: float, baseline: list[float], reference: float,
    level: float | None = None, **extra: float | None,
) -> Check:  # fmt: skip
    score: Score = robust_score(value, baseline, metric.floor, level)
    days = WINDOW_DAYS[metric.window]
    return Check(
        metric_id=metric.id, metric=metric.metric, segment=metric.segment.value if metric.segment else None,
        window=metric.window, as_of=as_of, window_start=as_of - timedelta(days=days - 1), value=value,
        usual=score.median, low=min(baseline), high=max(baseline), spread=score.spread, z=score.z,
        threshold=metric.threshold, baseline_weeks=len(baseline),
        fired=fires(score, metric.threshold, metric.min_change, reference, metric.direction), **extra,
    )  # fmt: skip


def _too_short(metric: WatchedMetric, weeks: int, config: WatchConfig) -> Skipped:
    return Skipped(metric_id=metric.id, reason=f"{weeks} weeks of history; needs {config.min_history_weeks}")


def check_metric(
    metrics: ShopMetrics, metric: WatchedMetric, config: WatchConfig, as_of: date, first: date
) -> Check | Skipped:
    days = WINDOW_DAYS[metric.window]
    # Baseline windows lie wholly inside the data (a window reaching before the first order is not "quiet").
    ends = [as_of - timedelta(days=7 * k) for k in range(1, config.history_weeks + 1)]
    if metric.metric in FLOW_METRICS:
        daily = metrics.daily_sales()[metric.metric]
        ends = [e for e in ends if e - timedelta(days=days - 1) >= first]
        if len(ends) < config.min_history_weeks:
            return _too_short(metric, len(ends), config)
        baseline = [_window_sum(daily, e, days) for e in ends]
        value = _window_sum(daily, as_of, days)
        return _check(metric, config, as_of, value, baseline, reference=statistics.median(baseline))
    if metric.metric == "segment_size":
        assert metric.segment is not None
        name = metric.segment.value
        ends = [e for e in ends if e - timedelta(days=7) >= first]
        if len(ends) < config.min_history_weeks:
            return _too_short(metric, len(ends), config)

        def size(day: date) -> float:
            return float(metrics.segment_sizes(day).get(name, 0))

        baseline = [size(e) - size(e - timedelta(days=7)) for e in ends]
        now, before = size(as_of), size(as_of - timedelta(days=7))
        return _check(
            metric,
            config,
            as_of,
            now - before,
            baseline,
            reference=before,
            level=before,
            level_now=now,
            level_before=before,
        )
    # negative_review_share
    reviews = metrics.daily_reviews()
    if reviews.empty:
        dating = metrics.review_dating()
        why = (
            "the workspace holds no reviews" if not dating.reviews else f"the {dating.reviews:,} reviews carry no dates"
        )
        return Skipped(metric_id=metric.id, reason=f"{why}: the negative-review share cannot be followed over time")

    def share(end: date) -> float | None:
        total = _window_sum(reviews["reviews"], end, days)
        return _window_sum(reviews["negative"], end, days) / total if total >= metric.min_reviews else None

    current = share(as_of)
    if current is None:
        return Skipped(metric_id=metric.id, reason=f"fewer than {metric.min_reviews} dated reviews in the window")
    shares = [s for s in (share(e) for e in ends) if s is not None]
    if len(shares) < config.min_history_weeks:
        return Skipped(
            metric_id=metric.id,
            reason=f"{len(shares)} earlier windows with {metric.min_reviews}+ reviews; "
            f"needs {config.min_history_weeks}",
        )
    return _check(metric, config, as_of, current, shares, reference=1.0)


def closed_days(metrics: ShopMetrics, start: date, end: date, weeks: int) -> list[date]:
    """Days in [start, end] without a completed order whose weekday had orders in most of the previous weeks."""
    orders = metrics.daily_sales()["orders"]
    out = []
    day = start
    while day <= end:
        earlier = [orders.get(pd.Timestamp(day - timedelta(days=7 * k))) for k in range(1, weeks + 1)]
        seen = [v for v in earlier if v is not None]
        if orders.get(pd.Timestamp(day), 0.0) == 0 and seen and sum(v > 0 for v in seen) > len(seen) / 2:
            out.append(day)
        day += timedelta(days=1)
    return out


def run_checks(metrics: ShopMetrics, config: WatchConfig, as_of: date | None = None) -> WatchReport:
    """Every configured metric checked as of `as_of` (default: the data's last day)."""
    try:
        first, last = metrics.span()
    except NoSalesError as exc:
        raise WatchError(str(exc)) from exc
    as_of = as_of or last
    if not first <= as_of <= last:
        raise WatchError(f"--as-of {as_of} is outside the data ({first} to {last})")
    checks: list[Check] = []
    skipped: list[Skipped] = []
    for metric in config.metrics:
        result = check_metric(metrics, metric, config, as_of, first)
        if isinstance(result, Check):
            start = as_of - timedelta(days=6) if metric.metric == "segment_size" else result.window_start
            result.closed_days = closed_days(metrics, start, as_of, config.history_weeks)
        (checks if isinstance(result, Check) else skipped).append(result)  # type: ignore[arg-type]
    return WatchReport(as_of=as_of, checks=checks, skipped=skipped)


# ---------------------------------------------------------------- what was sent


class SentAlert(BaseModel):
    metric_id: str
    direction: Literal["up", "down"]
    as_of: date
    sent_at: datetime
    channel: str | None = None
    ts: str | None = None


class AlertLog(BaseModel):
    """Alerts already delivered, by key; decides what is new (not sent, not within the cooldown)."""

    sent: dict[str, SentAlert] = {}

    def hold_back(self, check: Check, cooldown_days: int) -> str | None:
        """Why this alert is not sent again (None: send it)."""
        if check.key in self.sent:
            return "already sent"
        for previous in self.sent.values():
            if (
                previous.metric_id == check.metric_id
                and previous.direction == check.direction
                and timedelta(0) <= check.as_of - previous.as_of < timedelta(days=cooldown_days)
            ):
                return f"same move alerted as of {previous.as_of} (cooldown {cooldown_days} days)"
        return None

    def record(self, check: Check, channel: str | None = None, ts: str | None = None) -> None:
        self.sent[check.key] = SentAlert(
            metric_id=check.metric_id,
            direction=check.direction,
            as_of=check.as_of,
            sent_at=datetime.now().astimezone(),
            channel=channel,
            ts=ts,
        )


class StateFileError(ValueError):
    """The watcher's state file is unreadable; the message names it."""


def load_log(path: Path) -> AlertLog:
    if not path.exists():
        return AlertLog()
    try:
        return AlertLog.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise StateFileError(f"{path}: not a watcher state file ({exc}); move it aside to start afresh") from exc


def save_log(log: AlertLog, path: Path) -> None:
    """Written 0600 through a temporary file and a rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".watch-state-", dir=path.parent)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(log.model_dump_json(indent=2))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

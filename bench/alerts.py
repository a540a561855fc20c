"""`mka bench alerts`: the watcher run as of every day (or week) of the data, with the alerts it would have raised.

Each day is checked as if it were "today": a check as of day D reads only the windows ending on D and on the same
weekday of earlier weeks (and RFM scored as of those days), never a later order. Alerts go through the same
memory of sent alerts as `mka watch` (no repeat within the cooldown), so the list is what a channel would have
seen. The thresholds are the configuration's (docs/examples/proactive.yaml unless --config): nothing here
knows a date.

To score the list, KNOWN_EVENTS names the moves a marketer looking back at the shop's calendar would expect an
alert for. They are used only after the run, to label each alert: an alert whose window overlaps an event and
moves the same way is "expected"; an alert the data itself explains (a drop over weekdays without a single
order: a bank holiday; a segment moving while the shop was closed) is listed as "explained"; any other alert
counts as a false alarm.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "docs" / "examples" / "proactive.yaml"


class KnownEvent(BaseModel):
    name: str
    start: date
    end: date
    direction: Literal["up", "down"]
    metrics: tuple[str, ...] = ("revenue", "orders")


# The shop's own calendar, as the data shows it (daily orders are zero on the closure days).
KNOWN_EVENTS = [
    KnownEvent(name="Christmas closure 2010 (no orders 24 Dec - 3 Jan)", start=date(2010, 12, 24),
               end=date(2011, 1, 3), direction="down"),
    KnownEvent(name="Pre-Christmas surge 2011", start=date(2011, 11, 1), end=date(2011, 12, 9), direction="up"),
]  # fmt: skip


def register(bench_app: typer.Typer) -> None:
    bench_app.command("alerts")(bench_alerts)


def _label(check: Any) -> tuple[str | None, str | None]:
    """(known event, other explanation found in the data) of an alert; (None, None) is a false alarm."""
    for event in KNOWN_EVENTS:
        overlaps = check.window_start <= event.end and check.as_of >= event.start
        if overlaps and check.direction == event.direction and check.metric in event.metrics:
            return event.name, None
    # A drop over days the shop did not trade (a bank holiday), or a segment moving while it was closed, is
    # explained by the data itself: the alert says so ("No orders on ...").
    if check.closed_days and (check.direction == "down" or check.metric == "segment_size"):
        return None, "closed " + ", ".join(f"{d:%a} {d:%d %b}" for d in check.closed_days)
    return None, None


def _quarter(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def bench_alerts(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Proactive YAML; default the example.")] = None,
    every: Annotated[Literal["day", "week"], typer.Option("--every", help="Check every day or every 7th day.")] = "day",
    start: Annotated[str | None, typer.Option("--start", help="First day checked (default: the data's first).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day checked (default: the data's last).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Backtest the watcher: the alerts it would have raised on each day of the data, scored against known events."""
    from assistant.core.console import err_console, fail, load_settings, print_json, progress_bars
    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from assistant.proactive.config import ConfigError, load_config
    from assistant.proactive.metrics import ShopMetrics
    from assistant.proactive.watch import AlertLog, alert_headline, run_checks
    from bench.common import machine, save_report

    settings = load_settings()
    path = config or settings.proactive_config or EXAMPLE_CONFIG
    try:
        proactive = load_config(path)
        con = Workspace(settings.home).connect(read_only=True)
    except (ConfigError, WorkspaceMissingError) as exc:
        fail(str(exc))
    metrics = ShopMetrics(con)
    first, last = metrics.span()
    day = date.fromisoformat(start) if start else first
    stop = date.fromisoformat(end) if end else last
    step = timedelta(days=1 if every == "day" else 7)
    days: list[date] = []
    while day <= stop:
        days.append(day)
        day += step
    sent = AlertLog()
    raised: list[dict[str, Any]] = []
    held = 0
    skipped: Counter[str] = Counter()
    started = time.perf_counter()
    with progress_bars() as progress:
        task = progress.add_task("Checking every day as of that day", total=len(days))
        for day in days:
            report = run_checks(metrics, proactive.watch, day)
            for s in report.skipped:  # "2 weeks of history; needs 3" and the like, counted once per metric
                reason = "too little history" if "weeks of history" in s.reason else s.reason
                skipped[f"{s.metric_id}: {reason}"] += 1
            for check in report.alerts:
                if sent.hold_back(check, proactive.watch.cooldown_days):
                    held += 1
                    continue
                sent.record(check)
                event, explained = _label(check)
                raised.append({"as_of": str(check.as_of), "metric": check.metric_id, "direction": check.direction,
                               "value": round(check.value, 4), "usual": round(check.usual, 4), "z": round(check.z, 2),
                               "headline": alert_headline(check), "event": event, "explained": explained,
                               "quarter": _quarter(check.as_of)})  # fmt: skip
            progress.advance(task)
    seconds = time.perf_counter() - started
    con.close()
    per_quarter: dict[str, dict[str, int]] = {}
    for day in days:
        per_quarter.setdefault(
            _quarter(day), {"days": 0, "alerts": 0, "expected": 0, "explained": 0, "false_alarms": 0}
        )
        per_quarter[_quarter(day)]["days"] += 1
    for alert in raised:
        row = per_quarter[alert["quarter"]]
        row["alerts"] += 1
        row["expected" if alert["event"] else "explained" if alert["explained"] else "false_alarms"] += 1
    events = [
        {"event": e.name, "detected": any(a["event"] == e.name for a in raised),
         "first_alert": next((a["as_of"] for a in raised if a["event"] == e.name), None)}
        for e in KNOWN_EVENTS
    ]  # fmt: skip
    data: dict[str, Any] = {
        "bench": "alerts",
        "config": str(path),
        "every": every,
        "from": str(days[0]) if days else None,
        "to": str(days[-1]) if days else None,
        "checked_days": len(days),
        "alerts": raised,
        "held_back_repeats": held,
        "skipped": dict(skipped),
        "per_quarter": per_quarter,
        "known_events": events,
        "seconds": round(seconds, 1),
        "machine": machine(),
    }
    report_path = save_report(Workspace(settings.home).runs_dir, "alerts", data)
    if as_json:
        print_json(data)
        return
    typer.echo(f"Backtest of `mka watch` ({path.name}), every {every} from {data['from']} to {data['to']}: "
               f"{len(days)} checks in {seconds:.1f} s\n")  # fmt: skip
    typer.echo("| as of | alert | z | known event / explained by |\n|---|---|---:|---|")
    for a in raised:
        why = a["event"] or (f"explained: {a['explained']}" if a["explained"] else "**false alarm**")
        typer.echo(f"| {a['as_of']} | {a['headline']} | {a['z']:+.1f} | {why} |")
    typer.echo(
        "\n| quarter | days checked | alerts | known events | explained (closed days) | false alarms |\n"
        "|---|---:|---:|---:|---:|---:|"
    )
    for quarter, row in per_quarter.items():
        typer.echo(
            f"| {quarter} | {row['days']} | {row['alerts']} | {row['expected']} | {row['explained']} "
            f"| {row['false_alarms']} |"
        )
    typer.echo("")
    for e in events:
        found = f"detected, first as of {e['first_alert']}" if e["detected"] else "MISSED"
        typer.echo(f"- {e['event']}: {found}")
    for reason, times in skipped.items():
        typer.echo(f"- skipped on {times} days: {reason}")
    err_console.print(f"report: {report_path}", highlight=False)

"""`mka bench predict`: held-out figures of the prediction models, each beside its baseline in the same run.

- churn: train on windows ending by (last - window), score the later window; vs recency alone.
- CLV: fit up to (last - holdout), predict the holdout's spend per customer; vs "same as last period".
- forecast: hold out the last weeks; weekly MAPE/sMAPE vs seasonal-naive.
- response: 3-fold out-of-fold ROC-AUC and top-decile lift; vs logistic regression on the raw columns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import typer


def register(bench_app: typer.Typer) -> None:
    bench_app.command("predict")(bench_predict)


def _timed(fn: Callable[[], Any]) -> dict[str, Any]:
    from tools.predict.common import PredictionError

    start = time.perf_counter()
    try:
        out = fn()
    except PredictionError as exc:
        out = {"error": str(exc)}
    return {**out, "seconds": round(time.perf_counter() - start, 2)}


def bench_predict(
    window_days: Annotated[int, typer.Option(help="Churn window and CLV holdout (days).")] = 90,
    holdout_weeks: Annotated[str, typer.Option(help="Forecast holdouts in weeks, comma-separated.")] = "4,8,12",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Churn, CLV, forecast and campaign-response accuracy on held-out data, with baselines."""
    import pandas as pd

    from assistant.core.console import fail, load_settings, print_json
    from assistant.core.workspace import Workspace
    from bench.common import machine, peak_rss_mb, save_report
    from tools.predict.churn_model import backtest_churn
    from tools.predict.clv_model import backtest_clv
    from tools.predict.common import customer_orders, data_span
    from tools.predict.forecast import DAILY_SQL
    from tools.predict.forecast_model import backtest_forecast
    from tools.predict.response_model import bank_path, load_bank, score_contacts

    settings = load_settings()
    workspace = Workspace(settings.home)
    if not workspace.is_built():
        fail(f"no workspace at {settings.home}: run `mka ingest` first")
    try:
        weeks = [int(w) for w in holdout_weeks.split(",") if w.strip()]
    except ValueError:
        fail(f"--holdout-weeks: expected numbers like 4,8,12, got {holdout_weeks!r}")
    con = workspace.connect(read_only=True)
    orders = customer_orders(con)
    span = data_span(con)
    daily = con.execute(DAILY_SQL, {"category": None}).df()
    con.close()
    index = pd.date_range(daily["day"].min(), daily["day"].max(), freq="D")
    series = {
        m: daily.set_index(pd.to_datetime(daily["day"]))[m].astype(float).reindex(index, fill_value=0.0)
        for m in ("revenue", "orders")
    }

    results: dict[str, Any] = {
        "machine": machine(),
        "synthetic": workspace.manifest().get("synthetic"),
        "data": {
            "first": str(span.first),
            "last": str(span.last),
            "customers": int(orders.loc[orders["status"] == "completed", "customer_id"].nunique()),
        },
        "churn": _timed(lambda: backtest_churn(orders, span.last, span.first, window_days)),
        "clv": {
            f"holdout_{d}d": _timed(partial(backtest_clv, orders, span.last, d)) for d in (window_days, 2 * window_days)
        },
        "forecast": {
            metric: {f"holdout_{w}w": _timed(partial(backtest_forecast, s, w)) for w in weeks}
            for metric, s in series.items()
        },
    }
    churn = results["churn"]
    if "roc_auc" in churn:
        churn["goal_auc_gain_1_2x_baseline"] = bool(
            churn["roc_auc"] - 0.5 >= 1.2 * (churn["baseline_recency_roc_auc"] - 0.5)
        )

    def response() -> dict[str, Any]:
        return score_contacts(load_bank(bank_path(settings.data_dir))).metrics

    results["response"] = _timed(response)
    results["peak_rss_mb"] = peak_rss_mb()
    results["report"] = str(save_report(settings.home / "runs", "predict", results))
    if as_json:
        print_json(results)
        return
    if "roc_auc" in churn:
        typer.echo(
            f"churn: ROC-AUC {churn['roc_auc']} vs recency {churn['baseline_recency_roc_auc']}; PR-AUC "
            f"{churn['pr_auc']} vs {churn['baseline_recency_pr_auc']}; calibration error {churn['calibration_error']}"
        )
    for name, r in results["clv"].items():
        if "model" in r:
            typer.echo(f"clv {name}: model {r['model']}; last period {r['baseline_last_period']}")
    for metric, runs in results["forecast"].items():
        for name, r in runs.items():
            if "model" in r:
                typer.echo(
                    f"forecast {metric} {name}: model {r['model']}; seasonal-naive {r['baseline_seasonal_naive']}"
                )
    r = results["response"]
    if "model" in r:
        typer.echo(f"response: model {r['model']}; logistic raw {r['baseline_logistic_raw']}")
    else:
        typer.echo(f"response: {r.get('error')}")

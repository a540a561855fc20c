"""Build step: per-customer churn and CLV into `customer_predictions`; the shop's own campaign contacts (or the
bank demo's, only where it may answer: tools/predict/campaign_source.py) scored into `campaign_contact_scores`;
backtest figures into models/predict/metrics.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tools.predict.campaign_source import campaign_source
from tools.predict.churn_model import backtest_churn
from tools.predict.clv_model import backtest_clv
from tools.predict.common import (
    CHURN_WINDOW_DAYS,
    CONTACTS_TABLE,
    METRICS_FILE,
    MODEL_DIR,
    PREDICTIONS_TABLE,
    PredictionError,
    customer_orders,
    data_span,
)
from tools.predict.customer_scores import compute_customer_predictions
from tools.predict.response_model import load_bank, score_contacts
from tools.predict.shop_campaigns import score_shop_contacts

if TYPE_CHECKING:
    from assistant.core.workspace import BuildContext


def _store(ctx: BuildContext, table: str, frame: pd.DataFrame) -> None:
    ctx.con.register("incoming", frame)
    ctx.con.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming")
    ctx.con.unregister("incoming")


def _customer_step(ctx: BuildContext, metrics: dict[str, Any]) -> dict[str, Any]:
    try:
        span = data_span(ctx.con)
    except PredictionError as exc:
        return {"customers": 0, "note": str(exc)}
    orders = customer_orders(ctx.con)
    frame, notes = compute_customer_predictions(orders, span.first, span.last)
    _store(ctx, PREDICTIONS_TABLE, frame)
    metrics["as_of"] = str(span.last)
    metrics["training"] = notes
    for name, run in (
        ("churn_backtest", lambda: backtest_churn(orders, span.last, span.first, CHURN_WINDOW_DAYS)),
        ("clv_backtest", lambda: backtest_clv(orders, span.last, CHURN_WINDOW_DAYS)),
    ):
        try:
            metrics[name] = run()
        except PredictionError as exc:
            metrics[name] = {"error": str(exc)}
    return {
        "customers": len(frame),
        "as_of": str(span.last),
        "high_churn_risk": int((frame["churn_risk"] == "high").sum()),
        "churn_roc_auc": metrics["churn_backtest"].get("roc_auc"),
        "expected_spend_6m": round(float(frame["expected_spend"].sum()), 2),
    }


def _response_step(ctx: BuildContext, metrics: dict[str, Any]) -> dict[str, Any]:
    source = campaign_source(ctx.con, ctx.settings.data_dir)
    if source.kind == "shop":
        try:
            scored = score_shop_contacts(ctx.con)
        except PredictionError as exc:  # too few contacts: the tool says so when asked
            return {"skipped": str(exc)}
    elif source.path is not None:
        scored = score_contacts(load_bank(source.path))
        scored.metrics["source"] = str(source.path)
    else:
        return {"skipped": source.reason}
    _store(ctx, CONTACTS_TABLE, scored.scores)
    metrics["response"] = scored.metrics
    return {
        "contacts": len(scored.scores),
        "roc_auc": scored.metrics["model"]["roc_auc"],
        "source": scored.metrics["source"],
    }


def build_step(ctx: BuildContext) -> dict[str, Any]:
    started = time.perf_counter()
    task = ctx.progress.add_task("Predictions (churn, CLV, campaign response)", total=2)
    metrics: dict[str, Any] = {}
    customers = _customer_step(ctx, metrics)
    ctx.progress.advance(task)
    response = _response_step(ctx, metrics)
    ctx.progress.advance(task)
    out: Path = ctx.build.models_dir / MODEL_DIR
    out.mkdir(parents=True, exist_ok=True)
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2, default=str), encoding="utf-8")
    return {"customers": customers, "response": response, "seconds": round(time.perf_counter() - started, 2)}

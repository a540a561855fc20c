"""Customer lifetime value over a horizon: BG/NBD for how many purchases, Gamma-Gamma for how much each.

A "purchase" is a day with at least one completed order (several invoices on one day are one purchase), as in
the BG/NBD papers. Time runs in weeks inside the models; inputs and outputs here are in days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from tools.predict.bgnbd import (
    BgNbdParams,
    FitError,
    GammaGammaParams,
    expected_purchases,
    expected_spend_per_purchase,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
    simulate_spend,
)
from tools.predict.common import PredictionError, day_end

WEEK_DAYS = 7.0


def purchase_summary(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per customer with a completed order on or before `as_of`: x, t_x, T (weeks), n purchase days, m mean spend."""
    done = orders[(orders["status"] == "completed") & (orders["ordered_at"] < day_end(as_of))]
    if done.empty:
        return pd.DataFrame(columns=["x", "t_x", "T", "n", "m"], dtype="float64")
    days = done.assign(day=done["ordered_at"].dt.normalize()).groupby(["customer_id", "day"])["amount"].sum()
    days = days.reset_index()
    grouped = days.groupby("customer_id")
    first, last = grouped["day"].min(), grouped["day"].max()
    n = grouped.size().astype("float64")
    return pd.DataFrame(
        {
            "x": n - 1,
            "t_x": (last - first).dt.days / WEEK_DAYS,
            "T": (pd.Timestamp(as_of) - first).dt.days / WEEK_DAYS,
            "n": n,
            "m": grouped["amount"].mean(),
        }
    )


@dataclass(frozen=True)
class ClvModel:
    bg: BgNbdParams
    gg: GammaGammaParams
    as_of: date
    customers: int
    repeat_customers: int

    def predict(self, summary: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
        x, t_x, big_t = (summary[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
        n, m = summary["n"].to_numpy(dtype=float), summary["m"].to_numpy(dtype=float)
        purchases = expected_purchases(self.bg, horizon_days / WEEK_DAYS, x, t_x, big_t)
        per_purchase = expected_spend_per_purchase(self.gg, n, m)
        return pd.DataFrame(
            {
                "p_alive": probability_alive(self.bg, x, t_x, big_t),
                "expected_purchases": purchases,
                "expected_order_value": per_purchase,
                "expected_spend": purchases * per_purchase,
            },
            index=summary.index,
        )

    def simulate(
        self, summary: pd.DataFrame, horizon_days: float, draws: int = 400, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """(purchases, spend) draws, shape (draws, customers): sum over columns for a group's interval."""
        x, t_x, big_t, n, m = (summary[c].to_numpy(dtype=float) for c in ("x", "t_x", "T", "n", "m"))
        rng = np.random.default_rng(seed)
        return simulate_spend(self.bg, self.gg, horizon_days / WEEK_DAYS, x, t_x, big_t, n, m, draws, rng)

    def params(self) -> dict[str, Any]:
        return {"bgnbd": self.bg.model_dump(), "gamma_gamma": self.gg.model_dump()}


def fit_clv(orders: pd.DataFrame, as_of: date) -> tuple[ClvModel, pd.DataFrame]:
    summary = purchase_summary(orders, as_of)
    x, t_x, big_t = (summary[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
    try:
        bg = fit_bgnbd(x, t_x, big_t)
        gg = fit_gamma_gamma(summary["n"].to_numpy(dtype=float), summary["m"].to_numpy(dtype=float))
    except FitError as exc:
        raise PredictionError("data", str(exc)) from exc
    model = ClvModel(bg=bg, gg=gg, as_of=as_of, customers=len(summary), repeat_customers=int((x > 0).sum()))
    return model, summary


def actual_spend(orders: pd.DataFrame, start: date, days: int) -> pd.Series:
    """Completed spend per customer in the `days` after `start` (exclusive of `start` itself)."""
    lo = day_end(start)
    hi = lo + pd.Timedelta(days=days)
    window = orders[(orders["status"] == "completed") & (orders["ordered_at"] >= lo) & (orders["ordered_at"] < hi)]
    return window.groupby("customer_id")["amount"].sum()


def backtest_clv(orders: pd.DataFrame, last: date, horizon_days: int) -> dict[str, Any]:
    """Fit up to `last - horizon`, predict the holdout (cutoff, last]; baseline: spend of the period before."""
    cutoff = last - timedelta(days=horizon_days)
    model, summary = fit_clv(orders, cutoff)
    predicted = model.predict(summary, horizon_days)["expected_spend"]
    actual = actual_spend(orders, cutoff, horizon_days).reindex(summary.index, fill_value=0.0)
    previous = actual_spend(orders, cutoff - timedelta(days=horizon_days), horizon_days)
    baseline = previous.reindex(summary.index, fill_value=0.0)

    def scores(pred: pd.Series) -> dict[str, float]:
        return {
            "pearson": round(float(np.corrcoef(pred, actual)[0, 1]), 4),
            "spearman": round(float(stats.spearmanr(pred, actual).statistic), 4),
            "mae": round(float(np.mean(np.abs(pred - actual))), 2),
            "total_predicted": round(float(pred.sum()), 2),
        }

    return {
        "cutoff": str(cutoff),
        "holdout_days": horizon_days,
        "customers": len(summary),
        "repeat_customers": model.repeat_customers,
        "total_actual": round(float(actual.sum()), 2),
        "model": scores(predicted),
        "baseline_last_period": scores(baseline),
        "params": model.params(),
    }

"""Churn model: features from the order history before a cutoff, label = no completed order in the next window.

Trained on several earlier cutoffs stacked (each customer once per cutoff, folds grouped by customer) so that
every label window ends on or before the analysis date; probabilities are calibrated (isotonic, out of fold).
Drivers: for each customer, how much the probability falls when one feature is set to the typical value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GroupKFold

from tools.predict.common import PredictionError, day_end, expected_calibration_error, one_thread

TRAIN_CUTOFFS = 4
CUTOFF_STEP_DAYS = 28
MIN_HISTORY_DAYS = 60  # a training cutoff needs this much history before it

# Feature -> how a marketer reads it; "{v}" is the customer's value, "{ref}" the typical customer's.
FEATURES: dict[str, str] = {
    "recency_days": "last order {v:.0f} days ago (typical {ref:.0f})",
    "orders": "{v:.0f} orders in total (typical {ref:.0f})",
    "spend": "spent {v:,.0f} in total (typical {ref:,.0f})",
    "avg_order_value": "average order {v:,.0f} (typical {ref:,.0f})",
    "tenure_days": "first order {v:.0f} days ago (typical {ref:.0f})",
    "orders_90d": "{v:.0f} orders in the last 90 days (typical {ref:.0f})",
    "orders_prev_90d": "{v:.0f} orders in the 90 days before that (typical {ref:.0f})",
    "spend_90d": "spent {v:,.0f} in the last 90 days (typical {ref:,.0f})",
    "mean_gap_days": "usually {v:.0f} days between orders (typical {ref:.0f})",
    "overdue_ratio": "{v:.1f}x their usual gap since the last order (typical {ref:.1f}x)",
    "products_per_order": "{v:.0f} products per order (typical {ref:.0f})",
    "cancelled_orders": "{v:.0f} cancelled orders (typical {ref:.0f})",
}
SINGLE_ORDER_TEXT = "only one order so far"
# Direction each feature may push the churn risk (+1 up, -1 down, 0 free): keeps drivers readable and the model
# from learning noise such as "ordered yesterday, so more likely to churn".
MONOTONE: dict[str, int] = {
    "recency_days": 1,
    "orders": -1,
    "spend": -1,
    "avg_order_value": 0,
    "tenure_days": 0,
    "orders_90d": -1,
    "orders_prev_90d": -1,
    "spend_90d": -1,
    "mean_gap_days": 1,
    "overdue_ratio": 1,
    "products_per_order": 0,
    "cancelled_orders": 0,
}


def features_at(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One row per customer with a completed order on or before `as_of`, indexed by customer_id."""
    end = day_end(as_of)
    history = orders[orders["ordered_at"] < end]
    done = history[history["status"] == "completed"]
    if done.empty:
        return pd.DataFrame(columns=list(FEATURES), dtype="float64")
    days_ago = (end - done["ordered_at"]).dt.total_seconds() / 86400.0
    done = done.assign(days_ago=days_ago, day=done["ordered_at"].dt.normalize())
    grouped = done.groupby("customer_id")
    first, last = grouped["day"].min(), grouped["day"].max()
    count = grouped.size().astype("float64")
    spend = grouped["amount"].sum()
    recent = done[done["days_ago"] <= 90].groupby("customer_id")
    prev = done[(done["days_ago"] > 90) & (done["days_ago"] <= 180)].groupby("customer_id")
    span_days = (last - first).dt.days.astype("float64")
    gap = (span_days / (count - 1)).where(count > 1)
    feats = pd.DataFrame(
        {
            "recency_days": (pd.Timestamp(as_of) - last).dt.days.astype("float64"),
            "orders": count,
            "spend": spend,
            "avg_order_value": spend / count,
            "tenure_days": (pd.Timestamp(as_of) - first).dt.days.astype("float64"),
            "orders_90d": recent.size().reindex(count.index, fill_value=0).astype("float64"),
            "orders_prev_90d": prev.size().reindex(count.index, fill_value=0).astype("float64"),
            "spend_90d": recent["amount"].sum().reindex(count.index, fill_value=0.0),
            "mean_gap_days": gap,
            "overdue_ratio": (pd.Timestamp(as_of) - last).dt.days / gap.clip(lower=1.0),
            "products_per_order": grouped["products"].mean(),
        }
    )
    cancelled = history[history["status"] == "cancelled"].groupby("customer_id").size()
    feats["cancelled_orders"] = cancelled.reindex(feats.index, fill_value=0).astype("float64")
    return feats[list(FEATURES)]


def churn_labels(orders: pd.DataFrame, as_of: date, window_days: int, customers: pd.Index) -> pd.Series:
    """1 = no completed order in the `window_days` after `as_of`, for each customer in `customers`."""
    start = day_end(as_of)
    stop = start + pd.Timedelta(days=window_days)
    later = orders[(orders["status"] == "completed") & (orders["ordered_at"] >= start) & (orders["ordered_at"] < stop)]
    bought = customers.isin(later["customer_id"].unique())
    return pd.Series((~bought).astype("int64"), index=customers, name="churned")


def training_cutoffs(as_of: date, first: date, window_days: int) -> list[date]:
    """Cutoffs whose label window ends on or before `as_of`, newest first, each with enough history."""
    cutoffs = []
    for k in range(TRAIN_CUTOFFS):
        cutoff = as_of - timedelta(days=window_days + k * CUTOFF_STEP_DAYS)
        if cutoff >= first + timedelta(days=MIN_HISTORY_DAYS):
            cutoffs.append(cutoff)
    return cutoffs


@dataclass
class ChurnModel:
    """A calibrated classifier of 'no order in the next window', with the typical values used for drivers."""

    classifier: CalibratedClassifierCV
    reference: dict[str, float]
    window_days: int
    trained_on: list[date]
    training_rows: int
    base_rate: float
    extra: dict[str, Any] = field(default_factory=dict)

    def predict(self, feats: pd.DataFrame) -> NDArray[np.float64]:
        with one_thread():
            p = self.classifier.predict_proba(feats[list(FEATURES)])[:, 1]
        # Isotonic steps reach exactly 0 or 1 in pure bins; no customer's future is certain.
        return np.clip(np.asarray(p, dtype=np.float64), 0.01, 0.99)

    def drivers(self, feats: pd.DataFrame, top: int = 3) -> list[list[tuple[str, float]]]:
        """Per customer, up to `top` (readable text, probability points added) for features that raise the risk."""
        names = list(FEATURES)
        variants = [feats[names]]
        for name in names:  # one stacked predict call: per-call overhead dominates on small frames
            typical = feats[names].copy()
            typical[name] = self.reference[name]
            variants.append(typical)
        probs = self.predict(pd.concat(variants, ignore_index=True)).reshape(len(names) + 1, len(feats))
        lifts = (probs[0] - probs[1:]).T
        out: list[list[tuple[str, float]]] = []
        values = feats[list(FEATURES)].to_numpy()
        for i in range(len(feats)):
            ranked = [j for j in np.argsort(-lifts[i]) if lifts[i, j] >= 0.01][:top]
            out.append([(_describe(names[j], values[i, j], self.reference), float(lifts[i, j])) for j in ranked])
        return out


def _describe(name: str, value: float, reference: dict[str, float]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return SINGLE_ORDER_TEXT
    return FEATURES[name].format(v=value, ref=reference[name])


def _training_set(
    orders: pd.DataFrame, cutoffs: list[date], window_days: int
) -> tuple[pd.DataFrame, NDArray[np.int_], NDArray[np.str_]]:
    frames, labels, groups = [], [], []
    for cutoff in cutoffs:
        feats = features_at(orders, cutoff)
        frames.append(feats)
        labels.append(churn_labels(orders, cutoff, window_days, feats.index).to_numpy())
        groups.append(feats.index.to_numpy(dtype=str))
    return pd.concat(frames), np.concatenate(labels), np.concatenate(groups)


def train_churn_model(orders: pd.DataFrame, as_of: date, first: date, window_days: int, seed: int = 0) -> ChurnModel:
    """Train on cutoffs before `as_of` so every label is observed by `as_of`."""
    cutoffs = training_cutoffs(as_of, first, window_days)
    if not cutoffs:
        need = first + timedelta(days=window_days + MIN_HISTORY_DAYS)
        raise PredictionError(
            "as_of",
            f"{as_of} leaves no {window_days}-day label window after {MIN_HISTORY_DAYS} days of history; "
            f"use {need} or later",
        )
    x, y, groups = _training_set(orders, cutoffs, window_days)
    if len(y) < 50 or y.min() == y.max():
        raise PredictionError("data", f"{len(y)} training rows with one outcome only: too little history for churn")
    folds = min(3, len(np.unique(groups)))
    splits = list(GroupKFold(n_splits=folds).split(x, y, groups))
    booster = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.08,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        monotonic_cst=[MONOTONE[name] for name in FEATURES],
        random_state=seed,
    )
    classifier = CalibratedClassifierCV(booster, method="isotonic", cv=splits)
    with one_thread():
        classifier.fit(x, y)
    reference = {name: float(np.nanmedian(x[name].to_numpy(dtype=float))) for name in FEATURES}
    return ChurnModel(
        classifier=classifier,
        reference=reference,
        window_days=window_days,
        trained_on=cutoffs,
        training_rows=len(y),
        base_rate=float(y.mean()),
    )


def backtest_churn(orders: pd.DataFrame, last: date, first: date, window_days: int) -> dict[str, Any]:
    """Train on windows ending by `last - window`, test on the later window (last - window, last]."""
    test_cutoff = last - timedelta(days=window_days)
    model = train_churn_model(orders, test_cutoff, first, window_days)
    feats = features_at(orders, test_cutoff)
    y = churn_labels(orders, test_cutoff, window_days, feats.index).to_numpy()
    if y.min() == y.max():
        raise PredictionError("data", "the test window has one outcome only: cannot score churn")
    p = model.predict(feats)
    recency = feats["recency_days"].to_numpy()
    auc, base_auc = float(roc_auc_score(y, p)), float(roc_auc_score(y, recency))
    return {
        "test_cutoff": str(test_cutoff),
        "window_days": window_days,
        "train_cutoffs": [str(c) for c in model.trained_on],
        "train_rows": model.training_rows,
        "test_customers": len(y),
        "test_churn_rate": round(float(y.mean()), 4),
        "roc_auc": round(auc, 4),
        "pr_auc": round(float(average_precision_score(y, p)), 4),
        "calibration_error": round(float(expected_calibration_error(y, p)), 4),
        "mean_predicted": round(float(p.mean()), 4),
        "baseline_recency_roc_auc": round(base_auc, 4),
        "baseline_recency_pr_auc": round(float(average_precision_score(y, recency)), 4),
        "lift_ratio_vs_baseline": round((auc - 0.5) / (base_auc - 0.5), 3) if base_auc > 0.5 else None,
    }

"""Per-customer predictions (churn risk and CLV) as one frame: what the build step stores and tools read.

The stored table `customer_predictions` holds them as of the data's last order date; any other analysis date
is computed on demand with the same code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from tools.predict.churn_model import features_at, train_churn_model
from tools.predict.clv_model import fit_clv
from tools.predict.common import CHURN_WINDOW_DAYS, CLV_HORIZON_MONTHS, DAYS_PER_MONTH, PredictionError

HIGH_RISK, MEDIUM_RISK = 0.7, 0.4

# Column order of the stored table (what the segment tool and SQL users can filter on).
COLUMNS = [
    "customer_id",
    "as_of",
    "churn_probability",
    "churn_risk",
    "churn_drivers",
    "churn_window_days",
    "p_alive",
    "expected_purchases",
    "expected_order_value",
    "expected_spend",
    "horizon_months",
    "purchase_days",
    "weeks_first_to_last",
    "weeks_since_first",
    "mean_purchase_value",
]


def risk_band(probability: float) -> str:
    if probability >= HIGH_RISK:
        return "high"
    return "medium" if probability >= MEDIUM_RISK else "low"


def compute_customer_predictions(orders: pd.DataFrame, first: date, as_of: date) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Churn and CLV for every customer with a completed order on or before `as_of`; parts that cannot be
    trained (too little history) are left NULL and explained in the returned notes."""
    notes: dict[str, Any] = {}
    feats = features_at(orders, as_of)
    frame = pd.DataFrame(index=feats.index)
    frame["as_of"] = pd.Timestamp(as_of)
    try:
        model = train_churn_model(orders, as_of, first, CHURN_WINDOW_DAYS)
        probability = model.predict(feats)
        frame["churn_probability"] = probability
        frame["churn_risk"] = [risk_band(p) for p in probability]
        frame["churn_drivers"] = [
            "; ".join(f"{text}: +{100 * lift:.0f} pts" for text, lift in row) for row in model.drivers(feats)
        ]
        notes["churn"] = {
            "trained_on_cutoffs": [str(c) for c in model.trained_on],
            "training_rows": model.training_rows,
            "training_churn_rate": round(model.base_rate, 4),
        }
    except PredictionError as exc:
        frame["churn_probability"], frame["churn_risk"], frame["churn_drivers"] = np.nan, None, None
        notes["churn"] = {"error": str(exc)}
    frame["churn_window_days"] = CHURN_WINDOW_DAYS
    try:
        clv, summary = fit_clv(orders, as_of)
        predicted = clv.predict(summary, CLV_HORIZON_MONTHS * DAYS_PER_MONTH).reindex(frame.index)
        for column in ("p_alive", "expected_purchases", "expected_order_value", "expected_spend"):
            frame[column] = predicted[column]
        stats = summary.reindex(frame.index)
        frame["purchase_days"] = stats["n"].astype("int64")
        frame["weeks_first_to_last"] = stats["t_x"]
        frame["weeks_since_first"] = stats["T"]
        frame["mean_purchase_value"] = stats["m"]
        notes["clv"] = {**clv.params(), "customers": clv.customers, "repeat_customers": clv.repeat_customers}
    except PredictionError as exc:
        for column in COLUMNS[6:]:
            frame[column] = np.nan
        notes["clv"] = {"error": str(exc)}
    frame["horizon_months"] = CLV_HORIZON_MONTHS
    frame = frame.reset_index(names="customer_id")
    return frame[COLUMNS], notes

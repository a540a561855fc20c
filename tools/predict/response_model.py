"""Campaign response propensity on the UCI Bank Marketing data (a second data source, read from the data dir).

Left out: `duration` (known only after the call: it leaks the outcome) and `day`/`month` of the last call (the
calendar of past campaign waves, not something the customer brings to the next campaign). Scores for the
"who to call first" list are out-of-fold, so no contact is scored by a model that saw its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from tools.predict.common import PredictionError, one_thread

BANK_FILE = Path("bank_marketing") / "bank-full.csv.gz"
CATEGORICAL = ["job", "marital", "education", "default", "housing", "loan", "contact", "poutcome"]
NUMERIC = ["age", "balance", "campaign", "pdays", "previous"]
LEFT_OUT = ["duration", "day", "month"]
TARGET = "y"
AGE_BANDS = [17, 25, 35, 45, 55, 65, 120]
AGE_LABELS = ["18-25", "26-35", "36-45", "46-55", "56-65", "66+"]


def bank_path(data_dir: Path | None) -> Path:
    if data_dir is None:
        raise PredictionError("data_dir", "no data directory set (MKA_DATA_DIR): the bank marketing data is needed")
    path = data_dir / BANK_FILE
    if not path.is_file():
        raise PredictionError("data_dir", f"{path} not found: campaign response needs the UCI Bank Marketing file")
    return path


def load_bank(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=";")
    missing = [c for c in [*CATEGORICAL, *NUMERIC, TARGET] if c not in frame.columns]
    if missing:
        raise PredictionError("data_dir", f"{path}: columns missing: {', '.join(missing)}")
    frame = frame.drop(columns=[c for c in LEFT_OUT if c in frame.columns])
    frame.insert(0, "contact_id", np.arange(1, len(frame) + 1))  # the file's row number (1-based)
    frame["responded"] = (frame[TARGET] == "yes").astype("int64")
    frame["age_band"] = pd.cut(frame["age"], AGE_BANDS, labels=AGE_LABELS).astype(str)
    for column in CATEGORICAL:
        frame[column] = frame[column].astype(str)
    return frame


def _booster(categorical: list[str], min_leaf: int) -> Pipeline:
    """Gradient-boosted trees with native categorical splits (ordinal codes; unknown categories -> missing)."""
    encode = ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), categorical)],
        remainder="passthrough",
    )
    model = HistGradientBoostingClassifier(
        max_iter=150,
        learning_rate=0.06,
        max_leaf_nodes=15,
        min_samples_leaf=min_leaf,
        l2_regularization=1.0,
        categorical_features=list(range(len(categorical))) or None,
        random_state=0,
    )
    return make_pipeline(encode, model)


def _baseline(categorical: list[str], numeric: list[str]) -> Pipeline:
    """Logistic regression on the raw columns: one-hot categories, standardised numbers (missing -> median)."""
    parts: list[tuple[str, Any, list[str]]] = []
    if categorical:
        parts.append(("cat", OneHotEncoder(handle_unknown="ignore"), categorical))
    if numeric:
        parts.append(("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
    return make_pipeline(ColumnTransformer(parts), LogisticRegression(max_iter=2000))


def top_decile_lift(y: NDArray[np.int_], p: NDArray[np.float64]) -> float:
    top = np.argsort(-p)[: max(1, len(p) // 10)]
    return float(y[top].mean() / y.mean())


@dataclass(frozen=True)
class ResponseScores:
    """Out-of-fold probability per contact, and the cross-validated metrics of model and baseline."""

    scores: pd.DataFrame  # the bank frame + "probability"
    metrics: dict[str, Any]


def _metrics(y: NDArray[np.int_], p: NDArray[np.float64]) -> dict[str, float]:
    return {
        "roc_auc": round(float(roc_auc_score(y, p)), 4),
        "pr_auc": round(float(average_precision_score(y, p)), 4),
        "top_decile_lift": round(top_decile_lift(y, p), 3),
    }


def score_contacts(
    frame: pd.DataFrame,
    folds: int = 3,
    seed: int = 0,
    categorical: list[str] | None = None,
    numeric: list[str] | None = None,
    left_out: list[str] | None = None,
) -> ResponseScores:
    """Out-of-fold probabilities of the model and of the logistic baseline on the same stratified folds.

    Every contact is scored by a model that did not see it, so the metrics are held-out figures and the
    scores can rank the "who to call first" list without leaking outcomes.
    """
    categorical = CATEGORICAL if categorical is None else categorical
    numeric = NUMERIC if numeric is None else numeric
    x, y = frame[categorical + numeric], frame["responded"].to_numpy()
    if len(y) < 100 or y.min() == y.max():
        raise PredictionError("data_dir", f"{len(y)} contacts with one outcome only: cannot train a response model")
    min_leaf = max(5, min(50, len(y) // 20))  # 50 on the bank's 45k contacts; smaller for a shop's few hundred
    model_p, baseline_p = np.zeros(len(frame)), np.zeros(len(frame))
    with one_thread():
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
            booster = _booster(categorical, min_leaf).fit(x.iloc[train], y[train])
            model_p[test] = booster.predict_proba(x.iloc[test])[:, 1]
            baseline = _baseline(categorical, numeric).fit(x.iloc[train], y[train])
            baseline_p[test] = baseline.predict_proba(x.iloc[test])[:, 1]
    metrics = {
        "contacts": len(y),
        "response_rate": round(float(y.mean()), 4),
        "folds": folds,
        "model": _metrics(y, model_p),
        "baseline_logistic_raw": _metrics(y, baseline_p),
        "left_out_columns": LEFT_OUT if left_out is None else left_out,
    }
    return ResponseScores(scores=frame.assign(probability=model_p), metrics=metrics)

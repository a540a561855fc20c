"""K-Means on standardised log-RFM, k chosen by silhouette, with descriptive cluster profiles.

Cluster ids are ordered by average spend, highest first, so "cluster 0" is always the most valuable group
and ids are stable between runs on the same data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

FEATURES = ("recency_days", "frequency", "monetary")
K_RANGE = range(3, 9)  # k=2 ("good" vs "rest") scores high on silhouette but tells a marketer little
SILHOUETTE_SAMPLE = 2000
SEED = 0


class ClusterProfile(BaseModel):
    cluster: int
    label: str
    customers: int
    share: float
    avg_recency_days: float
    avg_frequency: float
    avg_monetary: float
    revenue_share: float
    top_segment: str


class ClusterModel(BaseModel):
    """Everything needed to reproduce or apply the clustering; saved as JSON (no pickles)."""

    as_of: str
    features: list[str]
    k: int
    silhouette: float
    silhouette_by_k: dict[int, float]
    mean: list[float]
    scale: list[float]
    centers: list[list[float]]
    profiles: list[ClusterProfile]


def log_features(rfm: pd.DataFrame) -> np.ndarray:
    return np.log1p(rfm[list(FEATURES)].to_numpy(dtype=float))


def _word(z: float, low: str, mid: str, high: str) -> str:
    return low if z < -0.5 else high if z > 0.5 else mid


def describe_center(z: np.ndarray) -> str:
    """Words for a standardised centre: recency is good when low, frequency and spend when high."""
    return ", ".join(
        [
            _word(float(z[0]), "recent", "mid-recency", "lapsed"),
            _word(float(z[1]), "rare buyers", "occasional buyers", "frequent buyers"),
            _word(float(z[2]), "low spend", "mid spend", "high spend"),
        ]
    )


def fit_clusters(rfm: pd.DataFrame, as_of: str, k_range: range = K_RANGE) -> tuple[ClusterModel, np.ndarray]:
    """Fit K-Means for each k in range, keep the best silhouette; return the model and a label per row."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    x_log = log_features(rfm)
    mean, scale = x_log.mean(axis=0), x_log.std(axis=0)
    scale[scale == 0] = 1.0
    x = (x_log - mean) / scale
    k_values = [k for k in k_range if k < len(x)]
    if not k_values:
        raise ValueError(f"too few customers ({len(x)}) to cluster")
    best: tuple[float, int, Any] | None = None
    scores: dict[int, float] = {}
    # One thread: the data is tiny, and OpenMP workers spin-waiting on a shared 2-core machine cost seconds.
    with threadpool_limits(limits=1):
        for k in k_values:
            km = KMeans(n_clusters=k, n_init=4, random_state=SEED).fit(x)
            if len(set(km.labels_)) < 2:
                continue
            sample = min(SILHOUETTE_SAMPLE, len(x))
            scores[k] = round(float(silhouette_score(x, km.labels_, sample_size=sample, random_state=SEED)), 4)
            if best is None or scores[k] > best[0]:
                best = (scores[k], k, km)
    if best is None:
        raise ValueError("K-Means found no two distinct clusters")
    score, k, km = best
    raw_labels = np.asarray(km.labels_)
    spend = rfm["monetary"].to_numpy(dtype=float)
    order = sorted(range(k), key=lambda c: -float(spend[raw_labels == c].mean()))
    remap = np.empty(k, dtype=int)
    remap[order] = np.arange(k)
    labels = remap[raw_labels]
    centers = np.asarray(km.cluster_centers_)[order]
    profiles = _profiles(rfm, labels, centers)
    model = ClusterModel(
        as_of=as_of,
        features=list(FEATURES),
        k=k,
        silhouette=score,
        silhouette_by_k=scores,
        mean=mean.round(6).tolist(),
        scale=scale.round(6).tolist(),
        centers=centers.round(6).tolist(),
        profiles=profiles,
    )
    return model, labels


def _profiles(rfm: pd.DataFrame, labels: np.ndarray, centers: np.ndarray) -> list[ClusterProfile]:
    total_revenue = float(rfm["monetary"].sum()) or 1.0
    profiles = []
    for c in range(len(centers)):
        part = rfm[labels == c]
        top = part["segment"].value_counts() if "segment" in part else pd.Series(dtype=int)
        profiles.append(
            ClusterProfile(
                cluster=c,
                label=describe_center(centers[c]),
                customers=len(part),
                share=round(len(part) / len(rfm), 4),
                avg_recency_days=round(float(part["recency_days"].mean()), 1),
                avg_frequency=round(float(part["frequency"].mean()), 2),
                avg_monetary=round(float(part["monetary"].mean()), 2),
                revenue_share=round(float(part["monetary"].sum()) / total_revenue, 4),
                top_segment=str(top.index[0]) if len(top) else "",
            )
        )
    return profiles

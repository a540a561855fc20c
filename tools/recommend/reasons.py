"""Reasons a marketer can read, built from the same data the scores came from."""

from __future__ import annotations

from typing import Any

import numpy as np

from tools.recommend.train import Recommender


def history_reasons(
    rec: Recommender,
    serving: dict[str, Any],
    history: np.ndarray,
    items: np.ndarray,
    signals: list[str],
) -> list[str]:
    """One reason per recommended item, worded after the signal that contributed most to its score."""
    co_buyers: np.ndarray = rec.models["item_knn"].co_buyers  # type: ignore[attr-defined]
    names = rec.catalogue.names[serving["item_rows"][history]] if len(history) else []
    together = co_buyers[np.ix_(history, items)].astype(np.int64)
    total_buyers = co_buyers[items, items].astype(np.int64)  # the diagonal: customers who bought the item
    content = rec.models["content"]
    seasonal = rec.models["seasonal_popularity"]
    reasons = []
    for j, (item, signal) in enumerate(zip(items, signals, strict=True)):
        best = int(together[:, j].argmax()) if len(history) else -1
        shared = int(together[best, j]) if best >= 0 else 0
        if signal in ("ease", "item_knn") and shared > 0:
            reasons.append(f"bought together with {names[best]} by {shared:,} customers")
        elif signal == "next_ease" and shared > 0:
            reasons.append(f"customers who bought {names[best]} went on to buy it ({shared:,} bought both)")
        elif signal == "content" and len(history):
            sims = content.vectors[history] @ content.vectors[item]  # type: ignore[attr-defined]
            nearest = int(sims.argmax())
            reasons.append(f"similar to {names[nearest]} (name similarity {float(sims[nearest]):.2f})")
        elif signal == "seasonal_popularity":
            in_season = int(seasonal.buyers[item])  # type: ignore[attr-defined]
            reasons.append(f"in season: {in_season:,} customers bought it at this time of year or in recent weeks")
        elif signal == "als":
            reasons.append(f"customers with similar buying patterns buy it ({total_buyers[j]:,} buyers in all)")
        elif shared > 0:
            reasons.append(f"bought together with {names[best]} by {shared:,} customers")
        else:
            reasons.append(f"popular: bought by {total_buyers[j]:,} customers")
    return reasons

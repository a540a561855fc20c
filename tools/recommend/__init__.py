"""recommend_products and the recommender's parts: purchase data, single models, the hybrid, training,
evaluation, reasons.

The tool is `tool.py` (trained at ingest by its `build_step` into models/recommender/; `mka ingest --skip
recommender`); the benchmark is bench/recommender.py.
"""

from __future__ import annotations

from typing import Any

from tools.recommend.tool import TOOLS


def build_step(ctx: Any) -> dict[str, Any]:
    """Ingest build step: embed product names, train every model and the hybrid."""
    from tools.recommend.tool import build_step as run

    return run(ctx)


__all__ = ["TOOLS", "build_step"]

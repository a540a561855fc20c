"""Review sentiment: how customers feel in reviews (split, aspects with quotes, words, trend, best/worst
products) and a classifier for any text.

Modules: `tool` (the two tools and their inputs/results), `analyze` (their SQL over the scored reviews), `model`
(the trained classifier + VADER), `aspects`, `terms`, `text` (review text handling), `judge` (the LLM as a
sentence judge), `labelled` (scoring a labelled file), `build` (the ingest step: train the model, score every
review; `mka ingest --skip sentiment`).
"""

from __future__ import annotations

from typing import Any

from tools.sentiment.tool import TOOLS


def build_step(ctx: Any) -> dict[str, Any]:
    """Ingest build step (scikit-learn is imported only when it runs)."""
    from tools.sentiment.build import build_step as run

    return run(ctx)


__all__ = ["TOOLS", "build_step"]

"""The LLM as a sentiment judge for text unlike the shop's reviews (public sentence sets, comments).

The trained stack learns from one shop's star ratings: 94-95 % on its own reviews, ~71 % on film-review
sentences (SST-2), and even its confident answers there are only ~85 % right, so out-of-domain text goes
to the LLM whole rather than as "hard cases" only. The embedded 1.5B model answers one schema-constrained
word per text (BENCHMARKS.md). Bulk scoring at ingest stays on the stack: it must do hundreds per second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

import prompts
from assistant.core.llm_client import LLMClient, StructuredOutputError
from assistant.core.privacy import mask_pii

JUDGE_CHARS = 2_000  # a sentence set's longest items are a few hundred characters; reviews get their opening
LABEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"label": {"enum": ["positive", "negative"]}},
    "required": ["label"],
}


def judge_one(llm: LLMClient, text: str, system: str | None = None) -> int | None:
    """1 positive, 0 negative, None when the model's output is unusable (the caller falls back)."""
    system = system or prompts.render("sentiment_judge_system.j2")
    user = prompts.render("sentiment_judge_user.j2", text=mask_pii(text[:JUDGE_CHARS]))
    try:
        raw = llm.json("sentiment", [SystemMessage(system), HumanMessage(user)], LABEL_SCHEMA, "sentiment", 16)
    except (StructuredOutputError, ValueError):
        return None
    label = raw.get("label")
    return 1 if label == "positive" else 0 if label == "negative" else None


def judge_texts(llm: LLMClient, texts: Sequence[str], advance: Callable[[], None] = lambda: None) -> list[int | None]:
    system = prompts.render("sentiment_judge_system.j2")
    labels: list[int | None] = []
    for text in texts:
        labels.append(judge_one(llm, text, system))
        advance()
    return labels

"""Score a labelled `sentence<TAB>label` set: the LLM judges each sentence where one is given, the trained
classifier answers where it cannot (or alone). Used by `mka sentiment --file` and `mka bench sentiment`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.core.llm_client import LLMClient
from tools.context import ToolContext


def read_labelled_file(path: Path) -> tuple[list[str], list[int | None]]:
    """Sentences and labels from a `sentence<TAB>label` file; a label column is optional."""
    if not path.is_file():
        raise ValueError(f"--file {path}: file not found")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines or lines[0].strip().split("\t")[0].lower() != "sentence":
        raise ValueError(f"--file {path}: the first line must be the header 'sentence<TAB>label'")
    has_label = len(lines[0].strip().split("\t")) > 1
    sentences: list[str] = []
    labels: list[int | None] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        text, _, raw = line.rpartition("\t") if has_label else (line, "", "")
        if has_label and raw.strip() not in ("0", "1"):
            raise ValueError(f"--file {path}, line {number}: label must be 0 or 1, got {raw.strip()!r}")
        sentences.append(text)
        labels.append(int(raw) if has_label else None)
    return sentences, labels


def score_labelled(
    sentences: list[str],
    labels: list[int | None],
    ctx: ToolContext,
    judge: LLMClient | None = None,
    on_judged: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """`{"n", "accuracy", "predictions": [0/1 …], "method"}` for a labelled set; `judge` labels what it can."""
    from tools.sentiment.judge import judge_texts
    from tools.sentiment.tool import classify_texts, sentiment_model

    predictions: list[int] = []
    judged: list[int | None] = []
    if sentences:
        scores, _ = classify_texts(sentiment_model(ctx), sentences)
        predictions = [1 if s >= 0 else 0 for s in scores]
        if judge is not None:
            judged = judge_texts(judge, sentences, on_judged or (lambda: None))
            predictions = [p if j is None else j for p, j in zip(predictions, judged, strict=True)]
    known = [(p, y) for p, y in zip(predictions, labels, strict=True) if y is not None]
    accuracy = round(sum(p == y for p, y in known) / len(known), 4) if known else None
    llm_answered = sum(j is not None for j in judged)
    method = (
        f"LLM judge ({judge.model_name}) on {llm_answered} of {len(sentences)}, trained classifier on the rest"
        if judge is not None and sentences
        else "trained classifier (TF-IDF stack + VADER)"
    )
    return {"n": len(sentences), "accuracy": accuracy, "predictions": predictions, "method": method}

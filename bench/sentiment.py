"""`mka bench sentiment`: the workspace's sentiment classifier against VADER, in the same run.

- in domain: reviews of the held-out buckets (never trained on), rating >= 4 positive, <= 2 negative;
- out of domain: a `sentence<TAB>label` file (default: SST-2 dev under the data dir);
- throughput: bulk scoring of whole reviews, reviews per second, beside VADER alone.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer


def register(bench_app: typer.Typer) -> None:
    bench_app.command("sentiment")(bench_sentiment)


def _accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    return round(float(np.mean((scores >= 0).astype(int) == labels)), 4) if len(labels) else 0.0


def _held_out(con: Any) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """(texts, 0/1 labels) of clear held-out reviews, and the texts and ratings of all held-out ones."""
    from tools.sentiment.model import is_held_out
    from tools.sentiment.text import review_text

    rows = con.execute("SELECT review_id, title, body, rating FROM reviews ORDER BY review_id").fetchall()
    texts, ratings = [], []
    for review_id, title, body, rating in rows:
        text = review_text(title, body)
        if text and is_held_out(str(review_id)):
            texts.append(text)
            ratings.append(int(rating))
    rating_array = np.array(ratings, dtype=np.int64)
    clear = rating_array != 3
    clear_texts = [t for t, keep in zip(texts, clear, strict=True) if keep]
    return clear_texts, (rating_array[clear] >= 4).astype(np.int64), texts, rating_array


def _parts_accuracy(model: Any, texts: list[str], labels: np.ndarray) -> dict[str, float]:
    features = model.features(texts)
    return {part: _accuracy(features[:, i], labels) for i, part in enumerate(model.parts) if part != "vader"}


def bench_sentiment(
    sentences_file: Annotated[
        Path | None,
        typer.Option(
            "--sentences", help="Out-of-domain 'sentence<TAB>label' file (default: SST-2 dev in the data dir)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Held-out and out-of-domain accuracy of the sentiment model vs VADER, and bulk scoring throughput."""
    from assistant.core.console import fail, load_settings, print_json
    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from bench.common import machine, save_report
    from tools.sentiment.labelled import read_labelled_file
    from tools.sentiment.model import ModelMissingError, Vader, label_for, load_model

    settings = load_settings()
    workspace = Workspace(settings.home)
    try:
        model = load_model(workspace.models_dir / "sentiment")
        con = workspace.connect(read_only=True)
    except (WorkspaceMissingError, ModelMissingError) as exc:
        fail(str(exc))
    vader = Vader()
    try:
        texts, labels, all_texts, ratings = _held_out(con)
    finally:
        con.close()
    if not len(labels):
        fail("no held-out reviews with text in this workspace")

    started = time.perf_counter()
    scores = model.score(texts)
    model_seconds = time.perf_counter() - started
    started = time.perf_counter()
    vader_scores = vader.compound(texts)
    vader_seconds = time.perf_counter() - started
    all_scores = model.score(all_texts)
    three = ratings == 3
    results: dict[str, Any] = {
        "machine": machine(),
        "model": model.meta,
        "held_out": {
            "reviews": len(texts),
            "positive_share": round(float(labels.mean()), 4),
            "accuracy": _accuracy(scores, labels),
            "vader_accuracy": _accuracy(vader_scores, labels),
            "majority_class_accuracy": round(float(max(labels.mean(), 1 - labels.mean())), 4),
            "parts_accuracy": _parts_accuracy(model, texts, labels),
            "three_star_reviews": int(three.sum()),
            "three_star_labelled_neutral": round(
                float(np.mean([label_for(float(s), model.neutral_band) == "neutral" for s in all_scores[three]])), 4
            )
            if three.any()
            else None,
        },
        "throughput": {
            "reviews": len(texts),
            "reviews_per_second": round(len(texts) / model_seconds, 1),
            "vader_reviews_per_second": round(len(texts) / vader_seconds, 1),
        },
    }
    path = sentences_file or (settings.data_dir / "sst2_dev" / "sst2_dev_glue.tsv" if settings.data_dir else None)
    if path is not None and path.is_file():
        sentences, raw_labels = read_labelled_file(path)
        sentence_labels = np.array([y if y is not None else -1 for y in raw_labels], dtype=np.int64)
        results["out_of_domain"] = {
            "file": str(path),
            "sentences": len(sentences),
            "accuracy": _accuracy(model.score(sentences), sentence_labels),
            "vader_accuracy": _accuracy(vader.compound(sentences), sentence_labels),
            "parts_accuracy": _parts_accuracy(model, sentences, sentence_labels),
        }
    else:
        results["out_of_domain"] = {"skipped": f"no sentences file at {path}"}
    results["report"] = str(save_report(workspace.runs_dir, "sentiment", results))
    if as_json:
        print_json(results)
        return
    h, t, o = results["held_out"], results["throughput"], results["out_of_domain"]
    typer.echo(
        f"held-out reviews ({h['reviews']}): model {h['accuracy']:.1%}, VADER {h['vader_accuracy']:.1%}, "
        f"majority class {h['majority_class_accuracy']:.1%}"
    )
    if "accuracy" in o:
        typer.echo(
            f"out of domain ({o['sentences']} sentences): model {o['accuracy']:.1%}, VADER {o['vader_accuracy']:.1%}"
        )
    typer.echo(f"bulk scoring: {t['reviews_per_second']} reviews/s (VADER alone {t['vader_reviews_per_second']}/s)")

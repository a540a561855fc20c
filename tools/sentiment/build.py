"""Ingest build step: train (or reuse) the sentiment model, score every review and every aspect sentence.

Writes two tables into the new warehouse:
- `review_sentiment(review_id, label, score)`: one row per review with text; label in
  {'positive','neutral','negative'}, score in [-1, 1].
- `review_aspects(review_id, aspect, sentence, start_at, label, score)`: one row per (clause of a body
  sentence, aspect it mentions); `sentence == body[start_at : start_at + length(sentence)]` (0-based).
The trained model goes to `models/sentiment/`, and a copy to `MKA_HOME/cache/sentiment/<data hash>/` so a
re-ingest of the same reviews does not train again.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tools.sentiment.aspects import aspects_in
from tools.sentiment.language import ENGLISH, shop_language
from tools.sentiment.model import (
    MODEL_FILE,
    MODEL_VERSION,
    SentimentModel,
    load_model,
    save_model,
    train_model,
    vader_only_model,
)
from tools.sentiment.polarity import lexicon_score
from tools.sentiment.text import clauses, review_text, sentences

if TYPE_CHECKING:
    from assistant.core.workspace import BuildContext

SCORE_BATCH = 2000
MIN_TRAINING_REVIEWS = 100

REVIEW_SENTIMENT_DDL = """
CREATE TABLE review_sentiment (
  review_id VARCHAR NOT NULL PRIMARY KEY,
  label VARCHAR NOT NULL CHECK (label IN ('positive', 'neutral', 'negative')),
  score DOUBLE NOT NULL CHECK (score BETWEEN -1 AND 1)
)"""
REVIEW_ASPECTS_DDL = """
CREATE TABLE review_aspects (
  review_id VARCHAR NOT NULL,
  aspect VARCHAR NOT NULL,
  sentence VARCHAR NOT NULL,
  start_at INTEGER NOT NULL,
  label VARCHAR NOT NULL CHECK (label IN ('positive', 'neutral', 'negative')),
  score DOUBLE NOT NULL
)"""


def data_key(reviews: pd.DataFrame) -> str:
    """A hash of what the model learns from (ids, ratings, texts) and of the model's version."""
    digest = hashlib.sha256(f"sentiment-v{MODEL_VERSION}".encode())
    hashed = pd.util.hash_pandas_object(reviews[["review_id", "rating", "title", "body"]], index=False)
    digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()[:24]


def _trained_or_cached(
    reviews: pd.DataFrame, model_dir: Path, cache_root: Path, ctx: BuildContext
) -> tuple[SentimentModel, str]:
    if len(reviews) < MIN_TRAINING_REVIEWS:
        model = vader_only_model(f"only {len(reviews)} reviews: too few to train on, VADER alone scores them")
        save_model(model, model_dir)
        return model, "vader-only"
    key = data_key(reviews)
    cached = cache_root / key
    if (cached / MODEL_FILE).is_file():
        shutil.copytree(cached, model_dir, dirs_exist_ok=True)
        return load_model(model_dir), "cached"
    task = ctx.progress.add_task("Training sentiment model", total=4)
    try:
        model = train_model(reviews, advance=lambda: ctx.progress.advance(task))
    except ValueError as exc:
        model = vader_only_model(str(exc))
    save_model(model, model_dir)
    if model.lexical:  # a trained model (not the VADER-only fallback)
        # Keep one cached model: the newest data is the one a re-ingest will see again.
        shutil.rmtree(cache_root, ignore_errors=True)
        shutil.copytree(model_dir, cached)
    return model, "trained"


def _score_reviews(
    model: SentimentModel, reviews: pd.DataFrame, ctx: BuildContext, language: str = ENGLISH
) -> pd.DataFrame:
    texts = [review_text(t, b) for t, b in zip(reviews["title"], reviews["body"], strict=True)]
    ids = [rid for rid, text in zip(reviews["review_id"], texts, strict=True) if text]
    texts = [t for t in texts if t]
    task = ctx.progress.add_task("Scoring reviews", total=len(texts))
    scores: list[np.ndarray] = []
    for start in range(0, len(texts), SCORE_BATCH):
        batch = texts[start : start + SCORE_BATCH]
        scores.append(_scores(model, batch, language))
        ctx.progress.advance(task, len(batch))
    score = np.clip(np.concatenate(scores), -1.0, 1.0) if scores else np.zeros(0)
    return pd.DataFrame({"review_id": ids, "label": model.labels(score), "score": np.round(score, 4)})


def _scores(model: SentimentModel, texts: list[str], language: str) -> np.ndarray:
    """The model's scores; for a non-English shop without a trained model (VADER alone knows only English
    words), the language's polarity lexicon."""
    if language != ENGLISH and not model.lexical:
        return np.array([lexicon_score(t, language) for t in texts], dtype=np.float64)
    return model.score(texts)


def _score_aspects(model: SentimentModel, reviews: pd.DataFrame, language: str = ENGLISH) -> pd.DataFrame:
    rows: list[tuple[str, str, str, int]] = []
    for review_id, body in zip(reviews["review_id"], reviews["body"], strict=True):
        if not body:
            continue
        for sentence in sentences(str(body)):
            for span in clauses(sentence):
                for aspect in aspects_in(span.text, language):
                    rows.append((str(review_id), aspect, span.text, span.start))
    frame = pd.DataFrame(rows, columns=["review_id", "aspect", "sentence", "start_at"])
    unique = frame["sentence"].drop_duplicates().tolist()
    by_sentence = dict(zip(unique, np.round(_scores(model, unique, language), 4), strict=True)) if unique else {}
    frame["score"] = frame["sentence"].map(by_sentence).astype(np.float64)
    frame["label"] = model.labels(frame["score"].to_numpy())
    return frame[["review_id", "aspect", "sentence", "start_at", "label", "score"]]


def _insert(ctx: BuildContext, table: str, frame: pd.DataFrame) -> None:
    ctx.con.register("incoming_sentiment", frame)
    ctx.con.execute(f"INSERT INTO {table} SELECT * FROM incoming_sentiment")
    ctx.con.unregister("incoming_sentiment")


def build_step(ctx: BuildContext) -> dict[str, Any]:
    """Train or reuse the model, then write review_sentiment and review_aspects."""
    ctx.con.execute(REVIEW_SENTIMENT_DDL)
    ctx.con.execute(REVIEW_ASPECTS_DDL)
    reviews = ctx.con.execute("SELECT review_id, title, body, rating FROM reviews ORDER BY review_id").df()
    if reviews.empty:
        return {"reviews": 0, "model": "none"}
    for column in ("title", "body"):
        reviews[column] = reviews[column].fillna("").astype(str)
    started = time.perf_counter()
    model, how = _trained_or_cached(
        reviews, ctx.build.models_dir / "sentiment", ctx.settings.home / "cache" / "sentiment", ctx
    )
    trained_s = time.perf_counter() - started
    language = shop_language([review_text(t, b) for t, b in zip(reviews["title"], reviews["body"], strict=True)])
    started = time.perf_counter()
    scored = _score_reviews(model, reviews, ctx, language)
    _insert(ctx, "review_sentiment", scored)
    review_s = time.perf_counter() - started
    started = time.perf_counter()
    aspects = _score_aspects(model, reviews, language)
    _insert(ctx, "review_aspects", aspects)
    aspect_s = time.perf_counter() - started
    return {
        "model": how,
        "language": language,
        "parts": model.parts,
        "reviews_scored": len(scored),
        "aspect_mentions": len(aspects),
        "labels": {k: int(v) for k, v in scored["label"].value_counts().items()},
        "train_seconds": round(trained_s, 2),
        "score_seconds": round(review_s, 2),
        "aspect_seconds": round(aspect_s, 2),
        "reviews_per_second": round(len(scored) / review_s, 1) if review_s > 0 else None,
    }

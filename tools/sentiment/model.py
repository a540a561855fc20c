"""The review sentiment classifier: what it is made of, how it is trained at ingest, saved and loaded.

Ratings are weak labels (>= 4 positive, <= 2 negative). A model trained only on one shop's reviews
learns that shop's words ("runs small") but not sentiment in general, and VADER knows general English
sentiment words and negation but not the shop's. So the classifier is a small stack over three views:

- `reviews`: TF-IDF (words and word pairs) + logistic regression on whole reviews;
- `sentences`: the same on short texts — review titles and body sentences labelled by their review's
  rating, minus those VADER clearly contradicts ("the only flaw is…" in a 5-star review);
- `vader`: VADER's compound score.

A logistic regression over those three scores, fitted on reviews AND sentences the parts never saw,
gives P(positive); the score is 2·P − 1 in [-1, 1] and the label has a neutral band around 0 chosen
on the same split (3-star reviews should land in it). Fine-tuning MiniLM or asking the local LLM were
measured and are too slow for ingest on 2 cores (see BENCHMARKS.md).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from tools.sentiment.text import MAX_SCORED_CHARS, review_text, sentences, words

Label = Literal["positive", "neutral", "negative"]
MODEL_VERSION = 2
MODEL_FILE = "sentiment.pkl"
META_FILE = "meta.json"
PARTS = ("reviews", "sentences", "vader")

# Reviews are split by a hash of their id: buckets 0–1 (20 %) are held out (never trained on; what
# `mka bench sentiment` measures), bucket 2 (10 %) fits the stack, the rest train the parts.
BUCKETS = 10
HELD_OUT_BUCKETS = frozenset({0, 1})
STACK_BUCKETS = frozenset({2})


def bucket(review_id: str) -> int:
    return int(hashlib.sha1(review_id.encode("utf-8")).hexdigest()[:8], 16) % BUCKETS


def is_held_out(review_id: str) -> bool:
    return bucket(review_id) in HELD_OUT_BUCKETS


class Vader:
    """VADER's analyzer, created on first use (its lexicon loads from inside the wheel)."""

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()

    def lexicon(self) -> dict[str, float]:
        lexicon: dict[str, float] = self._analyzer.lexicon
        return lexicon

    def compound(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self._analyzer.polarity_scores(t)["compound"] for t in texts], dtype=np.float64)


def weak_label(rating: int) -> int | None:
    return 1 if rating >= 4 else 0 if rating <= 2 else None


@dataclass
class Examples:
    reviews: list[str] = field(default_factory=list)
    review_labels: list[int] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)  # titles and body sentences
    sentence_labels: list[int] = field(default_factory=list)


def examples(rows: pd.DataFrame, vader: Vader) -> Examples:
    """Labelled whole reviews and short sentences from rows with title, body, rating (3 stars left out)."""
    out = Examples()
    labelled = [
        (title, body, label)
        for title, body, rating in zip(rows["title"], rows["body"], rows["rating"], strict=True)
        if (label := weak_label(int(rating))) is not None
    ]
    for title, body, label in labelled:
        text = review_text(title, body)
        if text:
            out.reviews.append(text)
            out.review_labels.append(label)
        if isinstance(title, str) and title.strip():
            out.sentences.append(title.strip())
            out.sentence_labels.append(label)
    for _, body, label in labelled:
        spans = [s.text for s in sentences(body if isinstance(body, str) else "", min_words=3, max_chars=200)]
        for span, compound in zip(spans, vader.compound(spans), strict=True):
            # Neutral sentences ("I ordered a petite") stay on both sides, so they learn no polarity.
            if not ((label == 1 and compound <= -0.3) or (label == 0 and compound >= 0.5)):
                out.sentences.append(span)
                out.sentence_labels.append(label)
    return out


def _balanced_weights(labels: np.ndarray) -> np.ndarray:
    counts = np.bincount(labels, minlength=2).astype(np.float64)
    counts[counts == 0] = 1.0
    return np.asarray((len(labels) / (2 * counts))[labels], dtype=np.float64)


def _fit_lexical(texts: list[str], labels: list[int]) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels, dtype=np.int64)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000)
    matrix = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=4.0, max_iter=2000)
    model.fit(matrix, y, sample_weight=_balanced_weights(y))
    return vectorizer, model


@dataclass
class SentimentModel:
    """Scores texts: P(positive) from a stack over the parts it was trained with."""

    lexical: dict[str, tuple[Any, Any]]  # part name -> (TfidfVectorizer, LogisticRegression); empty = VADER only
    stack_coef: list[float]
    stack_intercept: float
    neutral_band: float  # |score| below this is 'neutral'
    parts: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    _vader: Vader | None = field(default=None, repr=False)

    def vader(self) -> Vader:
        if self._vader is None:
            self._vader = Vader()
        return self._vader

    def features(self, texts: Sequence[str]) -> np.ndarray:
        capped = [t[:MAX_SCORED_CHARS] for t in texts]
        columns = []
        for part in self.parts:
            if part == "vader":
                columns.append(self.vader().compound(capped))
            else:
                vectorizer, model = self.lexical[part]
                columns.append(model.decision_function(vectorizer.transform(capped)))
        return np.column_stack(columns)

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        z = self.features(texts) @ np.asarray(self.stack_coef) + self.stack_intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Sentiment in [-1, 1] (2·P(positive) − 1)."""
        return np.clip(2.0 * self.probability(texts) - 1.0, -1.0, 1.0)

    def labels(self, scores: np.ndarray) -> list[Label]:
        return [label_for(float(s), self.neutral_band) for s in scores]

    def known_word_share(self, text: str) -> float:
        """Share of the text's words the model knows (low = another language or gibberish)."""
        tokens = words(text[:MAX_SCORED_CHARS])
        if not tokens:
            return 0.0
        vocabularies = [vectorizer.vocabulary_ for vectorizer, _ in self.lexical.values()]
        lexicon = self.vader().lexicon()
        return sum(t in lexicon or any(t in v for v in vocabularies) for t in tokens) / len(tokens)


def label_for(score: float, neutral_band: float) -> Label:
    if score >= neutral_band:
        return "positive"
    if score <= -neutral_band:
        return "negative"
    return "neutral"


def vader_only_model(reason: str) -> SentimentModel:
    """A fallback when there is too little rated text to train on: VADER's compound score alone."""
    return SentimentModel(
        lexical={},
        stack_coef=[4.0],  # compound 0.5 -> P(positive) 0.88
        stack_intercept=0.0,
        neutral_band=0.3,
        parts=["vader"],
        meta={"version": MODEL_VERSION, "parts": ["vader"], "reason": reason},
    )


def _neutral_band(scores: np.ndarray, ratings: np.ndarray) -> float:
    """The band around 0 that best separates 3-star reviews from clear ones (macro recall)."""
    target = np.where(ratings >= 4, 1, np.where(ratings <= 2, -1, 0))
    best, best_band = -1.0, 0.3
    for band in np.arange(0.1, 0.85, 0.05):
        predicted = np.where(scores >= band, 1, np.where(scores <= -band, -1, 0))
        recall = float(np.mean([np.mean(predicted[target == c] == c) for c in (-1, 0, 1) if np.any(target == c)]))
        if recall > best:
            best, best_band = recall, float(band)
    return round(best_band, 2)


def train_model(reviews: pd.DataFrame, advance: Callable[[], None] = lambda: None) -> SentimentModel:
    """Train on `reviews` (review_id, title, body, rating), never on the held-out buckets.

    Raises ValueError when there is not enough rated text of both kinds to learn from.
    """
    from sklearn.linear_model import LogisticRegression

    buckets = reviews["review_id"].astype(str).map(bucket)
    train_rows = reviews[~buckets.isin(HELD_OUT_BUCKETS | STACK_BUCKETS)]
    stack_rows = reviews[buckets.isin(STACK_BUCKETS)]
    vader = Vader()
    train = examples(train_rows, vader)
    stack = examples(stack_rows, vader)
    for name, labels in (("training", train.review_labels), ("stack", stack.review_labels)):
        if len(set(labels)) < 2 or len(set(train.sentence_labels)) < 2:
            raise ValueError(f"the {name} split needs reviews rated both >= 4 and <= 2 to train a sentiment model")
    advance()
    lexical = {
        "reviews": _fit_lexical(train.reviews, train.review_labels),
        "sentences": _fit_lexical(train.sentences, train.sentence_labels),
    }
    advance()
    model = SentimentModel(
        lexical=lexical, stack_coef=[], stack_intercept=0.0, neutral_band=0.3, parts=list(PARTS), _vader=vader
    )
    # The stack sees whole reviews and short texts alike, so it also learns how to weigh the parts on
    # short texts, which is what text from elsewhere mostly is. (Fitting it on reviews + titles only was
    # measured worse on both held-out reviews and SST-2.)
    texts = stack.reviews + stack.sentences
    y = np.asarray(stack.review_labels + stack.sentence_labels, dtype=np.int64)
    features = model.features(texts)
    stacker = LogisticRegression(C=1.0, max_iter=1000)
    stacker.fit(features, y, sample_weight=_balanced_weights(y))
    model.stack_coef = [round(float(c), 6) for c in stacker.coef_[0]]
    model.stack_intercept = round(float(stacker.intercept_[0]), 6)
    advance()
    all_stack = [review_text(t, b) for t, b in zip(stack_rows["title"], stack_rows["body"], strict=True)]
    keep = [bool(t) for t in all_stack]
    ratings = stack_rows["rating"].astype(int).to_numpy()[keep]
    model.neutral_band = _neutral_band(model.score([t for t in all_stack if t]), ratings)
    model.meta = {
        "version": MODEL_VERSION,
        "parts": list(PARTS),
        "train_reviews": len(train.reviews),
        "train_sentences": len(train.sentences),
        "stack_texts": len(texts),
        "held_out_buckets": sorted(HELD_OUT_BUCKETS),
        "buckets": BUCKETS,
        "stack_coef": dict(zip(PARTS, model.stack_coef, strict=True)),
        "stack_intercept": model.stack_intercept,
        "neutral_band": model.neutral_band,
    }
    advance()
    return model


def save_model(model: SentimentModel, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    state = {
        "lexical": model.lexical,
        "stack_coef": model.stack_coef,
        "stack_intercept": model.stack_intercept,
        "neutral_band": model.neutral_band,
        "parts": model.parts,
        "meta": model.meta,
    }
    with open(directory / MODEL_FILE, "wb") as fh:
        pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
    (directory / META_FILE).write_text(json.dumps(model.meta, indent=2), encoding="utf-8")


class ModelMissingError(RuntimeError):
    """No trained sentiment model in the workspace."""


def load_model(directory: Path) -> SentimentModel:
    path = directory / MODEL_FILE
    if not path.is_file():
        raise ModelMissingError(
            f"no sentiment model at {directory}: run `mka ingest` (without --skip sentiment) to train it"
        )
    with open(path, "rb") as fh:
        state = pickle.load(fh)  # our own file, written by save_model at ingest
    if state.get("meta", {}).get("version") != MODEL_VERSION:
        raise ModelMissingError(f"the sentiment model at {directory} is from another version: run `mka ingest` again")
    return SentimentModel(**state)

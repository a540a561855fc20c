"""Sentiment building blocks that need no workspace: text spans, aspects, terms, model fallbacks, file parsing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from tools.sentiment.aspects import aspects_in, canonical_aspect
from tools.sentiment.labelled import read_labelled_file
from tools.sentiment.model import bucket, is_held_out, label_for, train_model, vader_only_model
from tools.sentiment.terms import distinctive_terms
from tools.sentiment.text import clauses, looks_english, review_text, sentences
from tools.sentiment.tool import AnalyzeSentimentInput, ClassifySentimentInput


def test_sentence_and_clause_offsets_point_back_into_the_text() -> None:
    text = "Love this top: so comfy, and fits true to size.\nI love the color, but the fabric is thin! Meh"
    spans = [c for s in sentences(text) for c in clauses(s)]
    assert [c.text for c in spans] == ["Love this top", "fits true to size.", "I love the color", "the fabric is thin!"]
    assert all(text[c.start : c.end] == c.text for c in spans)


def test_aspects_match_whole_words_and_aliases() -> None:
    assert aspects_in("The colour is lovely but it runs small") == ["size", "colour"]
    assert aspects_in("Shorts were great") == []  # "short" (length) is not inside "shorts"
    assert canonical_aspect("Color") == "colour"
    assert canonical_aspect("material") == "fabric"
    assert canonical_aspect("zipper") is None
    # An aspect named in another lexicon's language is that aspect of the English reviews.
    assert (canonical_aspect("Passform"), canonical_aspect("calidad"), canonical_aspect("tecido")) == (
        "fit", "quality", "fabric",
    )  # fmt: skip
    assert canonical_aspect("billig") is None  # German "billig" is cheap-made (quality) or low-priced (price)


def test_review_text_joins_title_and_body() -> None:
    assert review_text("Great", "Fits well") == "Great. Fits well"
    assert review_text(None, "Fits well") == "Fits well"
    assert review_text("  ", None) == ""


def test_english_check() -> None:
    assert looks_english("I really love this dress, it is the best thing I have bought this year")
    assert not looks_english("Das Kleid ist wirklich schön und passt sehr gut zu meinen Schuhen")
    assert not looks_english("这件衣服非常漂亮，我很喜欢")


def test_distinctive_terms_prefer_words_of_one_side() -> None:
    positive = ["love the fit, true to size"] * 5 + ["the dress is lovely"] * 3
    negative = ["runs small, the dress is awful"] * 4
    top = distinctive_terms(positive, negative, top=5)
    terms = [t.term for t in top]
    assert "dress" not in terms  # on both sides
    assert top[0].reviews == 5 and top[0].share == round(5 / 8, 4)
    assert "runs small" in [t.term for t in distinctive_terms(negative, positive)]


def test_labels_and_buckets() -> None:
    assert [label_for(s, 0.3) for s in (0.9, 0.1, -0.5)] == ["positive", "neutral", "negative"]
    assert bucket("123") == bucket("123") and 0 <= bucket("123") < 10
    held = [str(i) for i in range(2000) if is_held_out(str(i))]
    assert 300 < len(held) < 500  # about 20 %


def test_vader_only_model_scores_general_english() -> None:
    model = vader_only_model("test")
    scores = model.score(["This is wonderful, I love it", "This is terrible and I hate it"])
    assert scores[0] > 0.5 and scores[1] < -0.5
    assert model.labels(scores) == ["positive", "negative"]


def test_training_needs_both_classes() -> None:
    reviews = pd.DataFrame(
        {"review_id": [str(i) for i in range(200)], "title": "Nice", "body": "I love it, great fit.", "rating": 5}
    )
    with pytest.raises(ValueError, match=">= 4 and <= 2"):
        train_model(reviews)


def test_small_model_learns_shop_words() -> None:
    rng = np.random.default_rng(0)
    good = ["Fits true to size and the fabric is soft", "Gorgeous colour, love it", "Perfect length and comfy"]
    bad = ["Runs small and the seams ripped", "Fabric is scratchy and thin", "Returned it, awful fit"]
    rows = [
        {
            "review_id": f"R{i}",
            "title": "",
            "body": str(rng.choice(good if i % 3 else bad)),
            "rating": 5 if i % 3 else 1,
        }
        for i in range(600)
    ]
    model = train_model(pd.DataFrame(rows))
    assert model.parts == ["reviews", "sentences", "vader"]
    scores = model.score(["the seams ripped and it runs small", "fits true to size, love the colour"])
    assert scores[0] < 0 < scores[1]


def test_input_validation_names_the_field() -> None:
    with pytest.raises(ValidationError, match="text is empty"):
        ClassifySentimentInput(text="   ")
    with pytest.raises(ValidationError, match="text"):
        ClassifySentimentInput(text="x" * 100_001)
    with pytest.raises(ValidationError, match="since"):
        AnalyzeSentimentInput(since="2024-05-01", until="2024-01-01")
    assert AnalyzeSentimentInput(category="  ", topic="").category is None


def test_labelled_file_parsing(tmp_path: Path) -> None:
    good = tmp_path / "s.tsv"
    good.write_text('sentence\tlabel\nit \'s "great" \t1\nawful\t0\n\n', encoding="utf-8")
    assert read_labelled_file(good) == (['it \'s "great" ', "awful"], [1, 0])
    bad = tmp_path / "bad.tsv"
    bad.write_text("sentence\tlabel\nfine\tyes\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: label must be 0 or 1"):
        read_labelled_file(bad)
    headless = tmp_path / "h.tsv"
    headless.write_text("fine\t1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header"):
        read_labelled_file(headless)


def test_trained_model_is_cached_by_data_hash(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from rich.progress import Progress

    from tools.sentiment.build import _trained_or_cached

    good, bad = "Fits true to size, love the soft fabric", "Runs small and the seams ripped, returned it"
    reviews = pd.DataFrame(
        [
            {"review_id": f"R{i}", "title": "", "body": bad if i % 3 == 0 else good, "rating": 1 if i % 3 == 0 else 5}
            for i in range(300)
        ]
    )
    with Progress(disable=True) as progress:
        ctx = SimpleNamespace(progress=progress)
        first, how_first = _trained_or_cached(reviews, tmp_path / "a", tmp_path / "cache", ctx)  # type: ignore[arg-type]
        again, how_again = _trained_or_cached(reviews, tmp_path / "b", tmp_path / "cache", ctx)  # type: ignore[arg-type]
        changed = reviews.assign(rating=reviews["rating"].where(reviews.index != 1, 2))
        _, how_changed = _trained_or_cached(changed, tmp_path / "c", tmp_path / "cache", ctx)  # type: ignore[arg-type]
        tiny, how_tiny = _trained_or_cached(reviews.head(20), tmp_path / "d", tmp_path / "cache", ctx)  # type: ignore[arg-type]
    assert (how_first, how_again, how_changed, how_tiny) == ("trained", "cached", "trained", "vader-only")
    assert np.allclose(first.score([good, bad]), again.score([good, bad]))
    assert tiny.parts == ["vader"]

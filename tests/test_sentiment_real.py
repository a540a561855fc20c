"""The sentiment model and analysis on the real clothing reviews (built by the session's real workspace)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from tools.context import ToolContext
from tools.sentiment.labelled import read_labelled_file
from tools.sentiment.model import Vader, is_held_out
from tools.sentiment.text import review_text
from tools.sentiment.tool import AnalyzeSentimentInput, analyze_sentiment, sentiment_model

pytestmark = pytest.mark.integration


def test_held_out_accuracy_meets_goal_and_beats_vader(real_ctx: ToolContext) -> None:
    rows = (
        real_ctx.warehouse().execute("SELECT review_id, title, body, rating FROM reviews WHERE rating <> 3").fetchall()
    )
    held = [(review_text(t, b), r >= 4) for rid, t, b, r in rows if is_held_out(str(rid)) and review_text(t, b)]
    texts = [t for t, _ in held]
    labels = np.array([y for _, y in held])
    assert len(texts) > 3000
    accuracy = float(np.mean((sentiment_model(real_ctx).score(texts) >= 0) == labels))
    vader = float(np.mean((Vader().compound(texts) >= 0) == labels))
    assert accuracy >= 0.93
    assert accuracy > vader


def test_out_of_domain_sentences_beat_vader(real_ctx: ToolContext) -> None:
    sentences, labels = read_labelled_file(SHARED_DATA / "sst2_dev" / "sst2_dev_glue.tsv")
    y = np.array(labels)
    model = float(np.mean((sentiment_model(real_ctx).score(sentences) >= 0) == y))
    vader = float(np.mean((Vader().compound(sentences) >= 0) == y))
    assert model > vader


def test_dresses_counts_and_quotes_match_the_warehouse(real_ctx: ToolContext) -> None:
    result = analyze_sentiment(AnalyzeSentimentInput(category="Dresses"), real_ctx)
    con = real_ctx.warehouse()
    scope = "SELECT r.review_id FROM reviews r JOIN products p USING (product_id) WHERE p.category = 'Dresses'"
    assert result.review_count == con.execute(f"SELECT count(*) FROM ({scope})").fetchone()[0]  # type: ignore[index]
    negative = con.execute(
        f"SELECT count(*) FROM review_sentiment WHERE label = 'negative' AND review_id IN ({scope})"
    ).fetchone()
    assert negative is not None and result.split.negative == negative[0]
    assert {"fit", "size", "fabric"} <= {a.aspect for a in result.aspects}
    for aspect in result.aspects:
        for quote in aspect.quotes:
            body = con.execute("SELECT body FROM reviews WHERE review_id = ?", [quote.review_id]).fetchone()
            assert body is not None and quote.text in body[0]
    assert result.most_criticised and result.most_criticised[0].top_complaint
    assert result.trend == []  # the real reviews carry no dates


def test_dates_on_undated_reviews_are_explained(real_ctx: ToolContext) -> None:
    result = analyze_sentiment(AnalyzeSentimentInput(category="Jackets", since="2024-01-01"), real_ctx)
    assert result.review_count == 0 and "no dates" in result.notes[-1]


def test_classifier_knows_general_english(real_ctx: ToolContext) -> None:
    model = sentiment_model(real_ctx)
    scores = model.score(["Works great, highly recommend", "Broke after two days, a total waste of money"])
    assert scores[0] > 0 > scores[1]

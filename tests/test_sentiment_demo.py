"""analyze_sentiment / classify_sentiment on the synthetic demo shop: every number checked against SQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.workspace import Workspace
from tools.context import ToolContext
from tools.sentiment.tool import (
    TOOLS,
    AnalyzeSentimentInput,
    AnalyzeSentimentResult,
    ClassifySentimentInput,
    analyze_sentiment,
    classify_sentiment,
)


def one(ctx: ToolContext, sql: str, params: list[object] | None = None) -> object:
    row = ctx.warehouse().execute(sql, params or []).fetchone()
    assert row is not None
    return row[0]


def check_against_sql(
    ctx: ToolContext, result: AnalyzeSentimentResult, review_ids_sql: str, params: list[object]
) -> None:
    """Every count of the result equals a direct SQL count over the same reviews."""
    scope = f"review_id IN ({review_ids_sql})"
    assert result.review_count == one(ctx, f"SELECT count(*) FROM reviews WHERE {scope}", params)
    for label in ("positive", "neutral", "negative"):
        expected = one(ctx, f"SELECT count(*) FROM review_sentiment WHERE label = ? AND {scope}", [label, *params])
        assert getattr(result.split, label) == expected
    avg = one(ctx, f"SELECT round(avg(rating), 2) FROM reviews WHERE {scope}", params)
    assert result.average_rating == pytest.approx(float(avg))  # type: ignore[arg-type]
    for aspect in result.aspects:
        counts = (
            ctx.warehouse()
            .execute(
                "SELECT count(*), count(*) FILTER (WHERE label = 'positive'), "
                f"count(*) FILTER (WHERE label = 'negative') "
                f"FROM review_aspects WHERE aspect = ? AND {scope}",
                [aspect.aspect, *params],
            )
            .fetchone()
        )
        assert (aspect.mentions, aspect.positive, aspect.negative) == counts
        for quote in aspect.quotes:
            body = one(ctx, "SELECT body FROM reviews WHERE review_id = ?", [quote.review_id])
            assert quote.text in str(body)
            assert one(ctx, f"SELECT count(*) FROM reviews WHERE review_id = ? AND {scope}", [quote.review_id, *params])


def test_build_step_scored_every_review_with_text(demo_ctx: ToolContext) -> None:
    with_text = one(
        demo_ctx, "SELECT count(*) FROM reviews WHERE trim(coalesce(title, '') || coalesce(body, '')) <> ''"
    )
    assert one(demo_ctx, "SELECT count(*) FROM review_sentiment") == with_text
    assert one(demo_ctx, "SELECT count(*) FROM review_sentiment WHERE score < -1 OR score > 1") == 0
    # Aspect sentences are exact substrings of the review body at the stored offset.
    mismatched = one(
        demo_ctx,
        "SELECT count(*) FROM review_aspects a JOIN reviews r USING (review_id) "
        "WHERE substr(r.body, a.start_at + 1, length(a.sentence)) <> a.sentence",
    )
    assert mismatched == 0
    assert (demo_ctx.workspace.models_dir / "sentiment" / "sentiment.pkl").is_file()


def test_whole_shop_counts_match_sql(demo_ctx: ToolContext) -> None:
    result = analyze_sentiment(AnalyzeSentimentInput(), demo_ctx)
    check_against_sql(demo_ctx, result, "SELECT review_id FROM reviews", [])
    assert result.aspects and result.positive_terms and result.negative_terms
    assert sum(p.reviews for p in result.trend) == result.review_count - result.split.unscored
    recommend = one(demo_ctx, "SELECT avg(recommended::INT) FROM reviews WHERE recommended IS NOT NULL")
    assert result.recommend_rate == pytest.approx(round(float(recommend), 4))  # type: ignore[arg-type]
    markdown = result.to_markdown()
    assert f"{result.review_count:,} reviews" in markdown and "Aspects" in markdown
    assert {c.kind for c in result.charts()} == {"pie", "barh", "line"}


def test_category_singular_matches_department(demo_ctx: ToolContext) -> None:
    result = analyze_sentiment(AnalyzeSentimentInput(category="dress"), demo_ctx)
    ids = "SELECT r.review_id FROM reviews r JOIN products p USING (product_id) WHERE p.category = 'Dresses'"
    check_against_sql(demo_ctx, result, ids, [])
    assert result.review_count > 0
    worst = result.most_criticised[0]
    share = one(
        demo_ctx,
        "SELECT round(avg((label = 'negative')::INT), 4) FROM review_sentiment JOIN reviews USING (review_id) "
        "WHERE product_id = ?",
        [worst.product_id],
    )
    assert worst.negative_share == pytest.approx(float(share))  # type: ignore[arg-type]


def test_topic_aspect_and_words(demo_ctx: ToolContext) -> None:
    by_aspect = analyze_sentiment(AnalyzeSentimentInput(topic="Color"), demo_ctx)
    check_against_sql(demo_ctx, by_aspect, "SELECT review_id FROM review_aspects WHERE aspect = 'colour'", [])
    by_words = analyze_sentiment(AnalyzeSentimentInput(topic="the stitching"), demo_ctx)
    check_against_sql(
        demo_ctx, by_words, "SELECT review_id FROM reviews WHERE regexp_matches(lower(body), '\\bstitching\\b')", []
    )
    # Each count equals SQL over its scope (above); each scope also holds some reviews but not all of them (an empty
    # one would make the checks above vacuous), and "Color" was read as the aspect, "the stitching" as words.
    total = one(demo_ctx, "SELECT count(*) FROM reviews")
    for result, scope in ((by_aspect, "reviews mentioning colour"), (by_words, "reviews mentioning 'stitching'")):
        assert 0 < result.review_count < total, (scope, result.review_count)  # type: ignore[operator]
        assert result.scope == scope


def test_a_topic_naming_reviews_as_a_whole_keeps_every_review(demo_ctx: ToolContext) -> None:
    """ "the average rating of our jackets" is not about reviews that contain the word 'rating'."""
    busiest = "SELECT p.category FROM reviews r JOIN products p USING (product_id) GROUP BY 1 ORDER BY count(*) DESC"
    category = str(one(demo_ctx, busiest + " LIMIT 1"))
    plain = analyze_sentiment(AnalyzeSentimentInput(category=category), demo_ctx)
    for topic in ("rating", "the average ratings", "complaints"):
        scoped = analyze_sentiment(AnalyzeSentimentInput(category=category, topic=topic), demo_ctx)
        assert scoped.review_count == plain.review_count > 0, topic
        assert "reviews as a whole" in scoped.to_markdown()
    assert analyze_sentiment(AnalyzeSentimentInput(category=category, topic="rating zip"), demo_ctx).review_count < (
        plain.review_count
    )  # a real topic word still filters


def test_product_and_date_scope(demo_ctx: ToolContext) -> None:
    product = str(one(demo_ctx, "SELECT product_id FROM reviews GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))
    result = analyze_sentiment(
        AnalyzeSentimentInput(product_ids=[product.lower()], since="2024-03-01", until="2024-06-30"), demo_ctx
    )
    ids = (
        "SELECT review_id FROM reviews WHERE product_id = ? "
        "AND created_at >= DATE '2024-03-01' AND created_at < DATE '2024-07-01'"
    )
    check_against_sql(demo_ctx, result, ids, [product])
    assert result.trend and all("2024-03" <= p.month <= "2024-06" for p in result.trend)


def test_empty_scopes_are_explained(demo_ctx: ToolContext) -> None:
    unknown = analyze_sentiment(AnalyzeSentimentInput(product_ids=["NO-SUCH-ID"]), demo_ctx)
    assert unknown.review_count == 0 and "NO-SUCH-ID" in unknown.to_markdown()
    category = analyze_sentiment(AnalyzeSentimentInput(category="Spaceships"), demo_ctx)
    assert category.review_count == 0 and "Dresses" in category.notes[-1]
    future = analyze_sentiment(AnalyzeSentimentInput(since="2030-01-01"), demo_ctx)
    assert future.review_count == 0 and future.charts() == []
    nothing = analyze_sentiment(AnalyzeSentimentInput(topic="of the"), demo_ctx)
    assert nothing.review_count == 0 and "no searchable words" in nothing.notes[-1]


def test_classify_odd_inputs(demo_ctx: ToolContext) -> None:
    long = classify_sentiment(ClassifySentimentInput(text="I love it. " * 9000), demo_ctx)
    assert long.english and long.chars_scored == 20_000 and long.note and "first 20,000" in long.note
    german = classify_sentiment(ClassifySentimentInput(text="Das Kleid ist wirklich schön und passt gut"), demo_ctx)
    assert not german.english and german.label == "positive" and "lexicon" in german.method  # tests/test_shopfit_*
    foreign = classify_sentiment(ClassifySentimentInput(text="Il vestito è davvero bello"), demo_ctx)  # no lexicon
    assert not foreign.english and foreign.label == "neutral" and foreign.note
    assert classify_sentiment(ClassifySentimentInput(text="Love it"), demo_ctx).english


def test_tools_are_registered_for_the_agent() -> None:
    names = [tool.name for tool in TOOLS]
    assert names == ["analyze_sentiment", "classify_sentiment"]
    for tool in TOOLS:
        model = tool.input_model
        assert tool.input_model.__doc__ and callable(tool.run) and tool.description
        assert all(field.description for field in model.model_fields.values())


def test_cli_contract(demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assistant.core.settings import get_settings

    monkeypatch.setenv("MKA_HOME", str(demo_workspace.home))
    monkeypatch.setenv("MKA_LLM", "scripted")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        one_text = runner.invoke(app, ["sentiment", "Love this linen dress", "--json"])
        assert one_text.exit_code == 0, one_text.output
        assert json.loads(one_text.stdout)["label"] in {"positive", "neutral", "negative"}
        tsv = tmp_path / "set.tsv"
        tsv.write_text("sentence\tlabel\nLove this, fits true to size\t1\nDisappointed, runs small\t0\n")
        scored = runner.invoke(app, ["sentiment", "--file", str(tsv), "--json"])
        assert scored.exit_code == 0, scored.output
        data = json.loads(scored.stdout)
        assert set(data) == {"n", "accuracy", "predictions", "method"} and data["n"] == 2
        assert data["method"].startswith("trained classifier")  # the scripted provider is no judge
        assert data["accuracy"] == sum(p == y for p, y in zip(data["predictions"], [1, 0], strict=True)) / 2
        analysed = runner.invoke(app, ["sentiment", "--category", "Tops", "--json"])
        assert analysed.exit_code == 0 and json.loads(analysed.stdout)["review_count"] > 0
        empty = runner.invoke(app, ["sentiment", ""])
        assert empty.exit_code == 1 and "text is empty" in empty.output
    finally:
        get_settings.cache_clear()


def test_file_mode_uses_the_llm_judge_and_falls_back_per_sentence(
    demo_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an LLM configured, its label wins; where its output is unusable the classifier answers."""
    from assistant.core.settings import get_settings

    script = tmp_path / "judge.yaml"
    script.write_text(
        "rules:\n"
        "  - {match: 'Disappointed', output: {label: positive}}\n"  # deliberately wrong: must show through
        "  - {match: 'Love this', output: {label: negative}}\n"
        "  - {match: 'zzz', output: 'not json at all'}\n"
    )
    tsv = tmp_path / "set.tsv"
    tsv.write_text("sentence\tlabel\nLove this, fits true to size\t1\nDisappointed, runs small\t0\nzzz awful\t0\n")
    monkeypatch.setenv("MKA_HOME", str(demo_workspace.home))
    monkeypatch.setenv("MKA_LLM", "scripted")
    monkeypatch.setenv("MKA_SCRIPT_FILE", str(script))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        judged = runner.invoke(app, ["sentiment", "--file", str(tsv), "--json"])
        assert judged.exit_code == 0, judged.output
        data = json.loads(judged.stdout)
        classifier = runner.invoke(app, ["sentiment", "--file", str(tsv), "--json", "--llm", "off"])
        alone = json.loads(classifier.stdout)
    finally:
        get_settings.cache_clear()
    assert data["predictions"][:2] == [0, 1], (data, judged.stderr)
    assert data["predictions"][2] == alone["predictions"][2]  # unusable output: the classifier's label
    assert "LLM judge (scripted) on 2 of 3" in data["method"]
    assert alone["method"].startswith("trained classifier") and alone["predictions"][:2] == [1, 0]

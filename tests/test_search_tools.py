"""search_reviews / search_products on the demo shop, against the embedded store and a real Chroma server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.workspace import Workspace
from tests.helpers.search import chroma_server, context, copy_workspace, index_into_server
from tools.context import ToolContext
from tools.search import (
    MAX_QUERY_CHARS,
    SearchProductsInput,
    SearchReviewsInput,
    retriever,
    search_products,
    search_reviews,
)
from vectorstore.store import IndexUnavailableError

# The server variant starts `chroma run` (a process of its own): integration and subprocess.
SERVER = pytest.param("server", marks=[pytest.mark.integration, pytest.mark.subprocess])


@pytest.fixture(scope="module", params=["embedded", SERVER])
def search_ctx(
    request: pytest.FixtureRequest, demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ToolContext]:
    if request.param == "embedded":
        ctx = context(demo_workspace)
        yield ctx
        ctx.close()
        return
    tmp = tmp_path_factory.mktemp("chroma-server")
    ws = copy_workspace(demo_workspace, tmp / "home")
    with chroma_server(tmp / "server-data") as url:
        index_into_server(ws, url)
        ctx = context(ws, chroma_url=url)
        yield ctx
        ctx.close()


@pytest.fixture(scope="module")
def warehouse(demo_workspace: Workspace) -> Iterator[duckdb.DuckDBPyConnection]:
    con = demo_workspace.connect(read_only=True)
    yield con
    con.close()


def _review(con: duckdb.DuckDBPyConnection, review_id: str) -> tuple[str, str, int, str]:
    row = con.execute(
        "SELECT coalesce(title, ''), coalesce(body, ''), rating, product_id FROM reviews WHERE review_id = ?",
        [review_id],
    ).fetchone()
    assert row is not None, f"review {review_id} is not in the warehouse"
    return str(row[0]), str(row[1]), int(row[2]), str(row[3])


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_reviews_are_found_filtered_and_quoted_verbatim(
    search_ctx: ToolContext, warehouse: duckdb.DuckDBPyConnection, mode: str
) -> None:
    result = search_reviews(
        SearchReviewsInput(query="the stitching came apart after one wash", max_rating=2, k=8, mode=mode), search_ctx
    )
    assert len(result.hits) == 8
    for hit in result.hits:
        title, body, rating, product_id = _review(warehouse, hit.review_id)
        assert hit.rating == rating <= 2
        assert hit.product_id == product_id
        assert hit.quote and (hit.quote in title or hit.quote in body)
    # The phrase exists verbatim in low-rated demo reviews: every ranker must put such a review first.
    assert "stitching came apart" in result.hits[0].quote
    assert [h.rank for h in result.hits] == list(range(1, 9))
    assert result.to_markdown().count("| ") > 8
    assert result.indexed == warehouse.execute("SELECT count(*) FROM reviews").fetchone()[0]  # type: ignore[index]


def test_product_category_and_rating_filters_hold(
    search_ctx: ToolContext, warehouse: duckdb.DuckDBPyConnection
) -> None:
    product_id, category = warehouse.execute(
        "SELECT product_id, any_value(p.category) FROM reviews JOIN products p USING (product_id) "
        "GROUP BY ALL ORDER BY count(*) DESC, product_id LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    by_product = search_reviews(SearchReviewsInput(query="fabric", product_id=product_id.lower(), k=20), search_ctx)
    assert by_product.hits and {h.product_id for h in by_product.hits} == {product_id}
    by_category = search_reviews(
        SearchReviewsInput(query="colour", category=category.upper(), min_rating=4, k=20), search_ctx
    )
    assert by_category.hits
    for hit in by_category.hits:
        assert hit.category == category and hit.rating >= 4
        assert _review(warehouse, hit.review_id)[2] >= 4


def test_products_are_found_by_description(search_ctx: ToolContext, warehouse: duckdb.DuckDBPyConnection) -> None:
    name, product_id = warehouse.execute(
        "SELECT name, product_id FROM products WHERE name ILIKE '%linen%dress%' ORDER BY product_id LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    for mode in ("hybrid", "dense", "lexical"):
        result = search_products(SearchProductsInput(query=name.lower(), k=3, mode=mode), search_ctx)
        assert result.hits[0].product_id == product_id, mode
        assert result.hits[0].name == name
    dense = search_products(SearchProductsInput(query="a light dress for hot days", k=5, mode="dense"), search_ctx)
    categories = [h.category for h in dense.hits]
    assert categories.count("Dresses") >= 3, categories


def test_lexical_finds_nothing_for_unknown_words(search_ctx: ToolContext) -> None:
    result = search_reviews(SearchReviewsInput(query="qwxzv plmokn", mode="lexical"), search_ctx)
    assert result.hits == []
    assert "No review matches" in result.to_markdown()


def test_sentiment_filter_uses_the_labels_or_says_they_are_missing(
    search_ctx: ToolContext, warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    labelled = warehouse.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'review_sentiment'"
    ).fetchone()[0]  # type: ignore[index]
    assert labelled, "the demo workspace is built with every step, the sentiment step included"
    args = SearchReviewsInput(query="quality", sentiment="negative", k=10)
    result = search_reviews(args, search_ctx)
    assert result.hits
    for hit in result.hits:
        label = warehouse.execute("SELECT label FROM review_sentiment WHERE review_id = ?", [hit.review_id]).fetchone()
        assert hit.sentiment == "negative" and label is not None and label[0] == "negative"
    # An index built without the sentiment step (`--skip sentiment`) carries no labels: the tool says so.
    index = retriever(search_ctx)
    known_values = index.known_values
    monkeypatch.setattr(
        index, "known_values", lambda kind, field: set() if field == "sentiment" else known_values(kind, field)
    )
    with pytest.raises(LookupError, match="sentiment: the index has no sentiment labels"):
        search_reviews(args, search_ctx)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"query": "   "}, "query"),
        ({"query": "x" * 50_000}, "query"),
        ({"query": "zip", "k": 0}, "k"),
        ({"query": "zip", "k": 51}, "k"),
        ({"query": "zip", "min_rating": 0}, "min_rating"),
        ({"query": "zip", "min_rating": 4, "max_rating": 2}, "max_rating"),
        ({"query": "zip", "colour": "red"}, "colour"),
        ({"query": "zip", "sentiment": "angry"}, "sentiment"),
        ({"query": "zip", "mode": "fuzzy"}, "mode"),
    ],
)
def test_bad_review_input_names_the_field(fields: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError) as exc:
        SearchReviewsInput.model_validate(fields)
    assert named in str(exc.value)


def test_long_query_message_gives_the_limit() -> None:
    with pytest.raises(ValidationError, match=f"at most {MAX_QUERY_CHARS:,}"):
        SearchProductsInput(query="linen " * 10_000)


def test_unknown_product_or_category_is_a_clear_lookup_error(search_ctx: ToolContext) -> None:
    with pytest.raises(LookupError, match=r"product_id: 'NO-SUCH-ID'.*search_products"):
        search_reviews(SearchReviewsInput(query="fit", product_id="NO-SUCH-ID"), search_ctx)
    with pytest.raises(LookupError, match=r"category: 'Spaceships'.*Known categories: .*Dresses"):
        search_reviews(SearchReviewsInput(query="fit", category="Spaceships"), search_ctx)
    with pytest.raises(LookupError, match="category"):
        search_products(SearchProductsInput(query="fit", category="Spaceships"), search_ctx)


def test_cli_search_json_and_errors(demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.core.settings import get_settings

    monkeypatch.setenv("MKA_HOME", str(demo_workspace.home))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        ok = runner.invoke(app, ["search", "reviews", "stitching came apart", "--max-rating", "2", "-k", "3", "--json"])
        assert ok.exit_code == 0, ok.output
        data = json.loads(ok.stdout)
        assert len(data["hits"]) == 3 and all(h["rating"] <= 2 for h in data["hits"])
        products = runner.invoke(app, ["search", "products", "linen dress", "--mode", "lexical", "--json"])
        assert products.exit_code == 0 and json.loads(products.stdout)["hits"]
        bad = runner.invoke(app, ["search", "reviews", "zip", "-k", "99"])
        assert bad.exit_code == 1 and "k:" in bad.output
        unknown = runner.invoke(app, ["search", "reviews", "zip", "--product", "NOPE"])
        assert unknown.exit_code == 1 and "product_id: 'NOPE'" in unknown.output
    finally:
        get_settings.cache_clear()


def test_missing_or_corrupt_index_tells_the_user_to_ingest(demo_workspace: Workspace, tmp_path: Path) -> None:
    ws = copy_workspace(demo_workspace, tmp_path / "home")
    chroma = ws.current.resolve() / "chroma"
    sqlite = chroma / "chroma.sqlite3"
    sqlite.write_bytes(b"this is not a database" * 100)
    ctx = context(ws)
    with pytest.raises(IndexUnavailableError, match="run `mka ingest`"):
        search_reviews(SearchReviewsInput(query="fit"), ctx)
    ctx.close()
    for child in chroma.iterdir():
        if child.is_dir():
            import shutil

            shutil.rmtree(child)
        else:
            child.unlink()
    chroma.rmdir()
    ctx = context(ws)
    with pytest.raises(IndexUnavailableError, match=r"no search index in .*run `mka ingest`"):
        search_products(SearchProductsInput(query="fit"), ctx)
    ctx.close()


def test_unreachable_server_is_a_clear_error(demo_workspace: Workspace) -> None:
    ctx = context(demo_workspace, chroma_url="http://127.0.0.1:9")
    with pytest.raises(IndexUnavailableError, match=r"cannot reach the Chroma server at http://127\.0\.0\.1:9"):
        search_reviews(SearchReviewsInput(query="fit"), ctx)
    ctx.close()


def test_fetch_pages_through_a_collection(demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chroma overflows SQLite's variable limit on one get of ~100k documents, so fetch pages."""
    from vectorstore import store as store_module

    monkeypatch.setattr(store_module, "FETCH_PAGE", 97)
    store = store_module.VectorStore.open(demo_workspace.current.resolve(), None)
    ids, texts, metas = store.fetch("reviews")
    con = demo_workspace.connect(read_only=True)
    total = con.execute("SELECT count(*) FROM reviews").fetchone()[0]  # type: ignore[index]
    con.close()
    assert len(ids) == len(set(ids)) == len(texts) == len(metas) == total

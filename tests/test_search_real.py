"""Search on the real data: 23k clothing reviews and the UCI retail catalogue, indexed at ingest."""

from __future__ import annotations

import pytest

from assistant.core.workspace import Workspace
from bench.retrieval_queries import paraphrase
from tests.helpers.search import context
from tools.search import SearchProductsInput, SearchReviewsInput, search_products, search_reviews

pytestmark = pytest.mark.integration


def test_every_product_and_every_review_with_text_is_indexed(real_workspace: Workspace) -> None:
    con = real_workspace.connect(read_only=True)
    with_text = con.execute(
        "SELECT count(*) FROM reviews WHERE coalesce(trim(title), '') <> '' OR coalesce(trim(body), '') <> ''"
    ).fetchone()[0]  # type: ignore[index]
    products = con.execute("SELECT count(*) FROM products").fetchone()[0]  # type: ignore[index]
    con.close()
    ctx = context(real_workspace)
    assert search_reviews(SearchReviewsInput(query="fit"), ctx).indexed == with_text > 20_000
    assert search_products(SearchProductsInput(query="mug"), ctx).indexed == products
    ctx.close()


def test_zipper_complaints_are_found_and_quoted(real_workspace: Workspace) -> None:
    ctx = context(real_workspace)
    con = real_workspace.connect(read_only=True)
    result = search_reviews(SearchReviewsInput(query="the zipper broke", max_rating=3, k=10), ctx)
    about_zips = 0
    for hit in result.hits:
        title, body, rating = con.execute(
            "SELECT coalesce(title, ''), coalesce(body, ''), rating FROM reviews WHERE review_id = ?", [hit.review_id]
        ).fetchone()  # type: ignore[misc]
        assert rating <= 3 and hit.rating == rating
        assert hit.quote in title or hit.quote in body
        about_zips += "zip" in (title + body).lower()
    assert len(result.hits) == 10 and about_zips >= 8
    con.close()
    ctx.close()


def test_product_filter_on_the_most_reviewed_item(real_workspace: Workspace) -> None:
    con = real_workspace.connect(read_only=True)
    product_id = con.execute("SELECT product_id FROM reviews GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[
        0
    ]  # type: ignore[index]
    con.close()
    ctx = context(real_workspace)
    result = search_reviews(SearchReviewsInput(query="runs small", product_id=product_id, max_rating=2, k=10), ctx)
    assert result.hits and all(h.product_id == product_id and h.rating <= 2 for h in result.hits)
    ctx.close()


def test_paraphrased_best_seller_is_found(real_workspace: Workspace) -> None:
    con = real_workspace.connect(read_only=True)
    product_id, name = con.execute(
        "SELECT l.product_id, any_value(p.name) FROM order_lines l JOIN products p USING (product_id) "
        "GROUP BY 1 ORDER BY sum(l.quantity) DESC, 1 LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    con.close()
    ctx = context(real_workspace)
    query = paraphrase(name)
    assert query != name.lower()
    ids = [h.product_id for h in search_products(SearchProductsInput(query=query, k=5), ctx).hits]
    assert product_id in ids, (query, ids)
    ctx.close()


def test_a_class_of_the_product_path_filters_reviews_like_a_department(real_workspace: Workspace) -> None:
    """The index holds departments; 'Skirts' is a class of the reviews' "division / department / class" path."""
    con = real_workspace.connect(read_only=True)
    skirts = {
        str(r[0])
        for r in con.execute(
            "SELECT product_id FROM products WHERE split_part(description, ' / ', 3) = 'Skirts'"
        ).fetchall()
    }
    con.close()
    ctx = context(real_workspace)
    result = search_reviews(SearchReviewsInput(query="too short", category="skirt", k=10), ctx)
    assert skirts and len(result.hits) == 10
    assert all(h.product_id in skirts for h in result.hits)
    assert result.filters["category"] == "skirt"
    intimate = search_reviews(SearchReviewsInput(query="comfortable", category="Intimates", k=5), ctx)
    assert intimate.hits and all(h.category == "Intimate" for h in intimate.hits)  # plural of the department
    ctx.close()

"""A category as marketers name it: department or class, singular or plural (tools/categories.py)."""

from __future__ import annotations

import duckdb

from tools.categories import category_variants, products_in_category


def test_a_singular_or_a_class_names_the_products_it_covers() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE products (product_id VARCHAR, category VARCHAR, description VARCHAR)")
    con.execute(
        "INSERT INTO products VALUES ('1', 'Bottoms', 'General / Bottoms / Skirts'), "
        "('2', 'Bottoms', 'General / Bottoms / Pants'), ('3', 'Dresses', 'General / Dresses / Dresses'), "
        "('4', 'Intimate', 'Initmates / Intimate / Intimates'), ('5', 'Tops', NULL)"
    )
    assert products_in_category(con, "skirt") == ["1"]
    assert products_in_category(con, "Bottoms") == ["1", "2"]
    assert products_in_category(con, "dress") == ["3"]
    assert products_in_category(con, "Intimates") == ["4"]
    assert products_in_category(con, "tops") == ["5"]
    assert products_in_category(con, "Spaceships") == []
    assert "dress" in category_variants("Dresses") and "dresses" in category_variants("dress")

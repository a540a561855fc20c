"""A category as a marketer names it: a department ('Dresses'), a class of the product's path ('Skirts',
'Intimates'), singular or plural. One reading for every tool that filters reviews or products by category.

Products keep their department in `category` and their "division / department / class" path in `description`
(assistant/ingest/clothing_reviews.py builds it).
"""

from __future__ import annotations

import duckdb


def category_variants(name: str) -> list[str]:
    """'dress' -> dress, dresses, dresss…: lets a singular match a plural department name."""
    base = name.strip().lower()
    out = {base, base + "s", base + "es"}
    if base.endswith("es"):
        out.add(base[:-2])
    if base.endswith("s"):
        out.add(base[:-1])
    return sorted(out)


def category_condition(name: str, products: str = "p") -> tuple[str, list[str]]:
    """(SQL condition on the `products` alias, its parameters): the department or any level of the path."""
    variants = category_variants(name)
    marks = ", ".join("?" for _ in variants)
    condition = (
        f"(lower({products}.category) IN ({marks}) OR "
        f"list_has_any(string_split(lower(coalesce({products}.description, '')), ' / '), [{marks}]))"
    )
    return condition, variants + variants


def products_in_category(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """The ids of the products a category name covers (department or class), sorted."""
    condition, params = category_condition(name)
    rows = con.execute(f"SELECT product_id FROM products p WHERE {condition} ORDER BY 1", params).fetchall()
    return [str(r[0]) for r in rows]

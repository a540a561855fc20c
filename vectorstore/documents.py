"""What gets indexed: one document per product and per review, read from the warehouse.

A document's text is what is embedded, stored in Chroma, ranked lexically and quoted from, so every
quote is a verbatim span of a review's title or body. Metadata carries what the filters need; Chroma
rejects None values, so absent fields are left out rather than stored empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

PRODUCTS = "products"
REVIEWS = "reviews"
COLLECTIONS = (PRODUCTS, REVIEWS)

Metadata = dict[str, str | int | float | bool]


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    metadata: Metadata


def _clean(meta: dict[str, Any]) -> Metadata:
    return {k: v for k, v in meta.items() if v is not None and v != ""}


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def review_text(title: str | None, body: str | None) -> str:
    return "\n".join(part.strip() for part in (title, body) if part and part.strip())


def review_documents(con: duckdb.DuckDBPyConnection, review_ids: list[str] | None = None) -> list[Document]:
    """Reviews with any text (a rating alone has nothing to search), with product and sentiment metadata."""
    sentiment = has_table(con, "review_sentiment")
    sql = f"""
        SELECT r.review_id, r.product_id, p.name, p.category, r.rating, r.title, r.body,
               strftime(r.created_at, '%Y-%m-%d'), r.recommended,
               {"s.label, s.score" if sentiment else "NULL, NULL"}
        FROM reviews r
        LEFT JOIN products p USING (product_id)
        {"LEFT JOIN review_sentiment s USING (review_id)" if sentiment else ""}
        WHERE (coalesce(trim(r.title), '') <> '' OR coalesce(trim(r.body), '') <> '')
        {"AND list_contains(?, r.review_id)" if review_ids is not None else ""}
        ORDER BY r.review_id
    """
    rows = con.execute(sql, [review_ids] if review_ids is not None else []).fetchall()
    docs = []
    for rid, pid, name, category, rating, title, body, date, recommended, label, score in rows:
        meta = {
            "review_id": rid,
            "product_id": pid,
            "product_name": name,
            "category": category,
            "rating": int(rating),
            "date": date,
            "recommended": None if recommended is None else bool(recommended),
            "sentiment": label,
            "sentiment_score": None if score is None else float(score),
        }
        docs.append(Document(id=str(rid), text=review_text(title, body), metadata=_clean(meta)))
    return docs


def product_documents(con: duckdb.DuckDBPyConnection, product_ids: list[str] | None = None) -> list[Document]:
    """Products as name, category and description, with review count and mean rating when reviewed."""
    sql = f"""
        SELECT p.product_id, p.name, p.category, p.description, p.price, p.source,
               count(r.review_id), avg(r.rating)
        FROM products p LEFT JOIN reviews r USING (product_id)
        {"WHERE list_contains(?, p.product_id)" if product_ids is not None else ""}
        GROUP BY ALL ORDER BY p.product_id
    """
    rows = con.execute(sql, [product_ids] if product_ids is not None else []).fetchall()
    docs = []
    for pid, name, category, description, price, source, n_reviews, mean_rating in rows:
        parts = [name]
        parts += [p for p in (category, description) if p and p.lower() not in name.lower()]
        meta = {
            "product_id": pid,
            "name": name,
            "category": category,
            "price": None if price is None or price != price else float(price),  # NaN != NaN
            "source": source,
            "reviews": int(n_reviews),
            "mean_rating": None if mean_rating is None else round(float(mean_rating), 2),
        }
        docs.append(Document(id=str(pid), text=". ".join(parts), metadata=_clean(meta)))
    return docs

"""analyze_sentiment's queries: which reviews are in scope, and what they say.

Every number comes from the warehouse: `reviews`, `products`, and the build step's `review_sentiment`
and `review_aspects` tables. Scope is a SQL condition reused by every query, so a count shown can be
checked with one direct SQL count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from tools.categories import category_condition
from tools.sentiment.aspects import ASPECT_TERMS, canonical_aspect
from tools.sentiment.text import words

_FROM = """
FROM reviews r
LEFT JOIN products p ON p.product_id = r.product_id
LEFT JOIN review_sentiment s ON s.review_id = r.review_id
"""
_TOPIC_STOP = frozenset(
    """
    a an the of in on for to and or with about our my their is are was were do does
    """.split()  # noqa: SIM905
)
# Words that name reviews as a whole, not something reviews mention ("the average rating of jackets", "what do
# people complain about"): as a topic they would keep only reviews containing the word itself.
_WHOLE_REVIEW_WORDS = frozenset(
    """
    rating ratings rated star stars score scores review reviews reviewer reviewers sentiment feel feeling feelings
    opinion opinions feedback overall general complaint complaints complain praise positive negative average
    people customers think say
    """.split()  # noqa: SIM905
)
QUOTES_PER_ASPECT = 3
TOP_PRODUCTS = 5


@dataclass
class Scope:
    """A WHERE clause over `_FROM` with its parameters, a description for people, and notes."""

    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    described: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    empty_reason: str | None = None

    def sql(self) -> str:
        return " AND ".join(self.where) if self.where else "TRUE"

    def review_ids_sql(self) -> str:
        return f"SELECT r.review_id {_FROM} WHERE {self.sql()}"


def _known_categories(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT p.category FROM reviews r JOIN products p ON p.product_id = r.product_id "
        "WHERE p.category IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def build_scope(
    con: duckdb.DuckDBPyConnection,
    product_ids: list[str],
    category: str | None,
    topic: str | None,
    since: date | None,
    until: date | None,
) -> Scope:
    scope = Scope()
    if product_ids:
        wanted = sorted({p.strip().upper() for p in product_ids if p.strip()})
        placeholders = ", ".join("?" for _ in wanted)
        found = {
            str(r[0])
            for r in con.execute(
                f"SELECT DISTINCT upper(product_id) FROM reviews WHERE upper(product_id) IN ({placeholders})", wanted
            ).fetchall()
        }
        missing = [p for p in wanted if p not in found]
        if missing and found:
            scope.notes.append(f"No reviews for product id(s): {', '.join(missing)}.")
        if not found:
            scope.empty_reason = f"none of the product ids {', '.join(wanted)} has reviews"
        scope.where.append(f"upper(r.product_id) IN ({placeholders})")
        scope.params.extend(wanted)
        scope.described.append("products " + ", ".join(wanted))
    if category:
        condition, params = category_condition(category)
        scope.where.append(condition)
        scope.params.extend(params)
        scope.described.append(f"category '{category.strip()}'")
        hits = con.execute(f"SELECT count(*) {_FROM} WHERE {condition}", params).fetchone()
        if not hits or not hits[0]:
            known = _known_categories(con)
            scope.empty_reason = (
                f"no reviewed products in a category, department or class called '{category.strip()}'"
                + (f" (known departments: {', '.join(known)})" if known else "")
            )
    if topic:
        _add_topic(scope, topic)
    if since or until:
        row = con.execute("SELECT count(created_at) FROM reviews").fetchone()
        if not row or not row[0]:
            scope.empty_reason = scope.empty_reason or "these reviews carry no dates, so a date range cannot be applied"
        if since:
            scope.where.append("r.created_at >= ?")
            scope.params.append(since)
            scope.described.append(f"from {since.isoformat()}")
        if until:
            scope.where.append("r.created_at < ?")
            scope.params.append(until + timedelta(days=1))
            scope.described.append(f"until {until.isoformat()}")
    return scope


def _add_topic(scope: Scope, topic: str) -> None:
    aspect = canonical_aspect(topic)
    if aspect is not None:
        scope.where.append("r.review_id IN (SELECT review_id FROM review_aspects WHERE aspect = ?)")
        scope.params.append(aspect)
        scope.described.append(f"reviews mentioning {aspect}")
        return
    terms = [w for w in words(topic) if w not in _TOPIC_STOP]
    if not terms:
        scope.empty_reason = f"the topic '{topic.strip()}' has no searchable words"
        return
    if all(t in _WHOLE_REVIEW_WORDS for t in terms):
        scope.described.append(f"all reviews ('{topic.strip()}' is about reviews as a whole, not a topic in them)")
        return
    for term in terms:
        scope.where.append("regexp_matches(lower(coalesce(r.title, '') || ' ' || coalesce(r.body, '')), ?)")
        scope.params.append(r"\b" + re.escape(term) + r"\b")
    scope.described.append("reviews mentioning " + " and ".join(f"'{t}'" for t in terms))


def scope_reviews(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    return con.execute(
        f"""SELECT r.review_id, r.product_id, coalesce(p.name, r.product_id) AS product_name, r.rating,
                   r.recommended, r.created_at, r.title, r.body, r.helpful_votes, s.label, s.score
            {_FROM} WHERE {scope.sql()} ORDER BY r.review_id""",
        scope.params,
    ).df()


def aspect_rows(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    return con.execute(
        f"""SELECT aspect, count(*) AS mentions,
                   count(*) FILTER (WHERE label = 'positive') AS positive,
                   count(*) FILTER (WHERE label = 'negative') AS negative,
                   count(DISTINCT review_id) AS reviews
            FROM review_aspects WHERE review_id IN ({scope.review_ids_sql()})
            GROUP BY aspect ORDER BY mentions DESC, aspect""",
        scope.params,
    ).df()


def aspect_quotes(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Up to QUOTES_PER_ASPECT short, clear sentences per aspect: the strongest of each side first."""
    return con.execute(
        f"""WITH ranked AS (
              SELECT a.aspect, a.review_id, a.sentence, a.label, a.score,
                     row_number() OVER (
                       PARTITION BY a.aspect, a.label
                       ORDER BY abs(a.score) DESC, coalesce(r.helpful_votes, 0) DESC, a.review_id, a.start_at
                     ) AS rank_in_side
              FROM review_aspects a JOIN reviews r ON r.review_id = a.review_id
              WHERE a.review_id IN ({scope.review_ids_sql()}) AND a.label <> 'neutral'
                AND length(a.sentence) BETWEEN 20 AND 160)
            SELECT aspect, review_id, sentence, label, score, rank_in_side FROM ranked
            WHERE rank_in_side <= 2 ORDER BY aspect, rank_in_side, label DESC""",
        scope.params,
    ).df()


def product_complaints(con: duckdb.DuckDBPyConnection, scope: Scope, product_ids: list[str]) -> dict[str, str]:
    """Each product's most-mentioned aspect in negative sentences (within scope)."""
    if not product_ids:
        return {}
    placeholders = ", ".join("?" for _ in product_ids)
    rows = con.execute(
        f"""SELECT product_id, aspect, n FROM (
              SELECT r.product_id, a.aspect, count(*) AS n,
                     row_number() OVER (PARTITION BY r.product_id ORDER BY count(*) DESC, a.aspect) AS k
              FROM review_aspects a JOIN reviews r ON r.review_id = a.review_id
              WHERE a.label = 'negative' AND a.review_id IN ({scope.review_ids_sql()})
                AND r.product_id IN ({placeholders})
              GROUP BY r.product_id, a.aspect)
            WHERE k = 1""",
        [*scope.params, *product_ids],
    ).fetchall()
    return {str(p): f"{a} ({n})" for p, a, n in rows}


def has_sentiment_tables(con: duckdb.DuckDBPyConnection) -> bool:
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return {"review_sentiment", "review_aspects"} <= names


ASPECT_NAMES = tuple(ASPECT_TERMS)

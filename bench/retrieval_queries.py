"""The labelled query set for `mka bench retrieval`, built from the warehouse by fixed rules (seeded, reproducible).

Two kinds of query, each with exactly one relevant document:

1. Review titles (known-item search). Reviews whose title has at least 3 content words and is unique
   (case-insensitively) among all titles; query = the title, relevant = that review. Sampled with a seed.
2. Product-name paraphrases. Products with a unique name of at least 3 content words; the query is the name
   rewritten by rules: lower-cased, numbers and pack sizes dropped, a small synonym table applied, the
   word order reversed. Relevant = that product. Sampled with the same seed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import duckdb

from vectorstore.documents import PRODUCTS, REVIEWS
from vectorstore.lexical import tokenize

SEED = 13
SYNONYMS = {
    "holder": "stand", "bag": "tote", "t-light": "tealight", "small": "little", "large": "big",
    "mug": "cup", "bottle": "flask", "box": "case", "decoration": "ornament", "sign": "plaque",
    "frame": "border", "lights": "lamps", "light": "lamp", "cushion": "pillow", "cover": "case",
    "jumbo": "extra large", "vintage": "retro", "christmas": "xmas", "garden": "outdoor", "pink": "rose",
    "dress": "frock", "top": "blouse", "jacket": "coat", "pants": "trousers", "knit": "knitted",
}  # fmt: skip
_PACK = re.compile(r"\b(set of \d+|pack of \d+|\d+\w*)\b")


@dataclass(frozen=True)
class Query:
    kind: str  # the collection searched
    text: str
    relevant: str  # the one relevant document id
    source: str  # "review-title" | "product-paraphrase"


def paraphrase(name: str) -> str:
    words = _PACK.sub(" ", name.lower()).replace(",", " ").split()
    return " ".join(SYNONYMS.get(w, w) for w in reversed(words))


def _unique_by_text(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    counts: dict[str, int] = {}
    for _, text in rows:
        counts[text.strip().lower()] = counts.get(text.strip().lower(), 0) + 1
    return [(i, t) for i, t in rows if counts[t.strip().lower()] == 1 and len(tokenize(t)) >= 3]


def build_queries(
    con: duckdb.DuckDBPyConnection, n_reviews: int = 350, n_products: int = 200, seed: int = SEED
) -> list[Query]:
    rng = random.Random(seed)
    titles = con.execute("SELECT review_id, title FROM reviews WHERE title IS NOT NULL ORDER BY review_id").fetchall()
    reviews = _unique_by_text([(str(i), str(t)) for i, t in titles])
    names = con.execute("SELECT product_id, name FROM products ORDER BY product_id").fetchall()
    products = _unique_by_text([(str(i), str(n)) for i, n in names])
    picked_reviews = rng.sample(reviews, min(n_reviews, len(reviews)))
    picked_products = rng.sample(products, min(n_products, len(products)))
    queries = [Query(REVIEWS, t, i, "review-title") for i, t in picked_reviews]
    queries += [Query(PRODUCTS, paraphrase(n), i, "product-paraphrase") for i, n in picked_products]
    return [q for q in queries if q.text.strip()]

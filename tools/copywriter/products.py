"""What the copy is about: catalogue products (by id, name or plural words) or, when nothing matches, a theme.

A collection, range, season or theme ("our new autumn collection") need not be in the catalogue: it is kept as a
theme and the copy is written about it without product claims. Only an unknown product id is an error.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from tools.context import ToolContext

# Words that name a theme rather than a product: such a name is matched whole, never word by word.
THEME_WORDS = re.compile(
    r"\b(?:collections?|range|line|edit|season(?:al)?|theme|series|arrivals|essentials|capsule|lookbook|colecci[óo]n"
    r"|kollektion|cole[çc][ãa]o|sortiment|gamme|saison|temporada)\b|系列|新品|主题|季",
    re.I,
)
FILLER_WORDS = {"our", "new", "the", "latest", "all", "my", "your", "this", "these", "some", "shop"}
ID_LIKE = re.compile(r"[A-Za-z]{0,3}\d{3,}[A-Za-z]{0,3}")


class ProductRef(BaseModel):
    product_id: str
    name: str


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _match_by_words(con: Any, raw: str) -> tuple[Any, ...] | None:
    """'candle holders' -> the best seller whose name has every word (singular or plural, as a whole word):
    '… CANDLE HOLDER'. Whole words, so the French 'sacs' is no 'SACK' and 'art' no 'HEART'."""
    words = [_singular(w) for w in re.findall(r"[a-z0-9]+", raw.lower()) if len(w) > 1 and w not in FILLER_WORDS][:6]
    if not words:
        return None
    return _best_seller(con, [rf"(?i)\b{re.escape(w)}(?:s|es)?\b" for w in words])


def _best_seller(con: Any, patterns: list[str]) -> tuple[Any, ...] | None:
    """The best-selling product whose name matches every pattern (case-insensitive regexes)."""
    condition = " AND ".join("regexp_matches(p.name, ?)" for _ in patterns)
    row = con.execute(
        f"""SELECT p.product_id, p.name FROM products p
            LEFT JOIN order_lines l ON l.product_id = p.product_id
            WHERE {condition}
            GROUP BY p.product_id, p.name ORDER BY count(l.product_id) DESC, p.product_id LIMIT 1""",
        patterns,
    ).fetchone()
    return tuple(row) if row is not None else None


def _match(con: Any, raw: str) -> tuple[Any, ...] | None:
    name = raw.strip()
    for candidate in (name.upper(), name):
        row = con.execute("SELECT product_id, name FROM products WHERE product_id = ?", [candidate]).fetchone()
        if row is not None:
            return tuple(row)
    row = _best_seller(con, [rf"(?i)(?:^|\W){re.escape(name)}(?:s|es)?(?:\W|$)"])
    if row is not None:
        return row
    return None if THEME_WORDS.search(name) else _match_by_words(con, name)


def resolve_products(names: list[str], ctx: ToolContext) -> tuple[list[ProductRef], list[str]]:
    """(products, themes): ids match exactly, names as a phrase or by every word, whole words (the best-selling
    match); a name that matches nothing is a theme. An id that matches nothing is an error."""
    con = ctx.warehouse()
    found: list[ProductRef] = []
    themes: list[str] = []
    for raw in names:
        row = _match(con, raw)
        if row is not None:
            ref = ProductRef(product_id=str(row[0]), name=str(row[1]))
            if ref not in found:
                found.append(ref)
        elif ID_LIKE.fullmatch(raw.strip()):
            raise ValueError(f"products: no product has the id {raw!r}")
        else:
            themes.append(raw.strip())
    return found, themes


def display_name(name: str) -> str:
    return name.title() if name.isupper() else name

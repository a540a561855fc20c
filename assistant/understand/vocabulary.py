"""The workspace's real values (countries, categories, segments, clusters, order dates), read once from the
warehouse so that understanding never offers or accepts a value the data does not hold."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


# Tool inputs that hold a value of the data, by the kind of value: the routing schema gives them the workspace's
# real values (assistant/agent/decision.py), and code resolves and fills them (aliases.py, fill.py).
DATA_FIELDS = {
    "countries": "country",
    "country": "country",
    "category": "category",
    "bought_category": "category",
    "segments": "segment",
    "segment": "segment",
    "cluster": "cluster",
    "metric": "metric",  # query_metrics: the workspace's metrics catalogue (shipped metrics.yaml + its own)
}


@dataclass(frozen=True)
class Cluster:
    id: int
    label: str


def all_segments() -> tuple[str, ...]:
    """Every RFM segment name (imported here, not at module level: tools.segments pulls in the tool stack)."""
    from tools.segments.spec import SegmentName

    return tuple(s.value for s in SegmentName)


def _tidy(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({v.strip() for v in values if v and v.strip()}))


_NAME_WORD = re.compile(r"[^\W\d_]{2,}")


def name_words(names: Iterable[str]) -> frozenset[str]:
    """The lower-case words of product names ('WHITE HANGING HEART T-LIGHT HOLDER' -> white, hanging, ...)."""
    return frozenset(w for name in names for w in _NAME_WORD.findall(name.casefold()))


@dataclass(frozen=True)
class Vocabulary:
    """Distinct values as the data spells them; hashable, so resolvers can be cached per vocabulary."""

    countries: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    segments: tuple[str, ...] = field(default_factory=all_segments)
    clusters: tuple[Cluster, ...] = ()
    first_order_date: date | None = None
    last_order_date: date | None = None
    # The words of the catalogue's product names, so that code can tell goods the shop sells from goods it does not
    # (assistant/understand/goods.py); empty when unknown.
    product_words: frozenset[str] = frozenset()
    # The metrics query_metrics knows in this workspace (tools/metrics: shipped and the workspace's metrics.yaml).
    metrics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept any iterable from callers and tests; store sorted, de-duplicated tuples.
        object.__setattr__(self, "countries", _tidy(self.countries))
        object.__setattr__(self, "categories", _tidy(self.categories))
        object.__setattr__(self, "segments", _tidy(self.segments))
        object.__setattr__(self, "clusters", tuple(sorted(self.clusters, key=lambda c: c.id)))
        object.__setattr__(self, "product_words", frozenset(self.product_words))

    @classmethod
    def from_connection(cls, con: duckdb.DuckDBPyConnection) -> Vocabulary:
        """Read the vocabulary; a table a workspace lacks (demo, partial builds) leaves its field empty."""
        tables = {str(r[0]) for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}

        def column(sql: str, *needs: str) -> list[str]:
            if not set(needs) <= tables:
                return []
            return [str(r[0]) for r in con.execute(sql).fetchall() if r[0] is not None]

        countries = column("SELECT DISTINCT country FROM customers WHERE country IS NOT NULL", "customers")
        categories = column("SELECT DISTINCT category FROM products WHERE category IS NOT NULL", "products")
        # analyze_sentiment's `category` also matches levels of a "division / department / class" path
        # (tools/sentiment/analyze.py). Departments and classes are kept; the division ('General',
        # 'General Petite') is a store section, not a kind of product, and 'general' is an everyday word.
        paths = column("SELECT DISTINCT description FROM products WHERE description LIKE '% / %'", "products")
        categories += [level for path in paths for level in path.split(" / ")[1:]]
        clusters: list[Cluster] = []
        if "cluster_profiles" in tables:
            rows = con.execute("SELECT cluster, label FROM cluster_profiles WHERE cluster IS NOT NULL").fetchall()
            clusters = [Cluster(int(r[0]), str(r[1] or "")) for r in rows]
        first, last = _order_span(con, tables)
        names = column("SELECT DISTINCT name FROM products WHERE name IS NOT NULL", "products")
        return cls(
            countries=tuple(countries),
            categories=tuple(categories),
            clusters=tuple(clusters),
            first_order_date=first,
            last_order_date=last,
            product_words=name_words(names),
        )


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def _order_span(con: duckdb.DuckDBPyConnection, tables: set[str]) -> tuple[date | None, date | None]:
    """meta's first/last_order_at (what the tools report against), else the orders table's own span."""
    first = last = None
    if "meta" in tables:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        first, last = _as_date(meta.get("first_order_at")), _as_date(meta.get("last_order_at"))
    if (first is None or last is None) and "orders" in tables:
        row = con.execute("SELECT min(ordered_at), max(ordered_at) FROM orders").fetchone()
        if row:
            first, last = first or _as_date(row[0]), last or _as_date(row[1])
    return first, last

"""Vocabulary.from_connection: the workspace's own values, checked against SQL on the same connection."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from assistant.ingest.schema import create_statements
from assistant.understand.vocabulary import Cluster, Vocabulary
from tools.context import ToolContext
from tools.segments.spec import SegmentName


def _column(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return sorted(str(r[0]) for r in con.execute(sql).fetchall())


def test_demo_workspace_vocabulary_matches_sql(demo_ctx: ToolContext) -> None:
    con = demo_ctx.warehouse()
    vocab = Vocabulary.from_connection(con)

    assert list(vocab.countries) == _column(con, "SELECT DISTINCT country FROM customers WHERE country IS NOT NULL")
    assert set(_column(con, "SELECT DISTINCT category FROM products WHERE category IS NOT NULL")) <= set(
        vocab.categories
    )
    assert set(vocab.segments) == {s.value for s in SegmentName}
    profiles = con.execute("SELECT cluster, label FROM cluster_profiles ORDER BY cluster").fetchall()
    assert [(c.id, c.label) for c in vocab.clusters] == [(int(i), str(label)) for i, label in profiles]
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    assert vocab.last_order_date == date.fromisoformat(meta["last_order_at"][:10])
    assert vocab.first_order_date == date.fromisoformat(meta["first_order_at"][:10])
    assert "Ireland" in vocab.countries  # the demo spells it so; the real data says EIRE


def test_an_empty_warehouse_gives_an_empty_vocabulary_with_every_segment() -> None:
    vocab = Vocabulary.from_connection(duckdb.connect(":memory:"))
    assert vocab.countries == vocab.categories == vocab.clusters == ()
    assert vocab.first_order_date is None and vocab.last_order_date is None
    assert set(vocab.segments) == {s.value for s in SegmentName}


@pytest.fixture
def partial_warehouse() -> duckdb.DuckDBPyConnection:
    """The canonical tables with a few rows, and none of the build steps' tables (no meta, no clusters)."""
    con = duckdb.connect(":memory:")
    for statement in create_statements():
        con.execute(statement)
    con.execute("INSERT INTO customers (customer_id, country) VALUES ('1', 'EIRE'), ('2', 'USA'), ('3', NULL)")
    con.execute(
        """INSERT INTO products (product_id, name, category, description, source) VALUES
           ('p1', 'Dresses #1', 'Dresses', 'General / Dresses / Dresses', 'clothing-reviews'),
           ('p2', 'Knits #2', 'Tops', 'General Petite / Tops / Knits', 'clothing-reviews'),
           ('p3', 'MUG', 'Kitchen & dining', NULL, 'online-retail'),
           ('p4', 'THING', NULL, 'a plain description', 'online-retail')"""
    )
    con.execute(
        """INSERT INTO orders (order_id, customer_id, ordered_at, status) VALUES
           ('o1', '1', '2011-01-05 10:00', 'completed'), ('o2', '2', '2011-03-07 09:30', 'cancelled')"""
    )
    return con


def test_a_partial_warehouse_reads_what_it_has(partial_warehouse: duckdb.DuckDBPyConnection) -> None:
    vocab = Vocabulary.from_connection(partial_warehouse)
    assert vocab.countries == ("EIRE", "USA")
    # Departments and classes of the review path are categories too; the division ('General') is not.
    assert vocab.categories == ("Dresses", "Kitchen & dining", "Knits", "Tops")
    assert vocab.clusters == ()
    assert (vocab.first_order_date, vocab.last_order_date) == (date(2011, 1, 5), date(2011, 3, 7))
    assert vocab.product_words == {"dresses", "knits", "mug", "thing"}  # product names' words, lower case


def test_a_hand_built_vocabulary_is_sorted_deduplicated_and_hashable() -> None:
    vocab = Vocabulary(countries=["Spain", "France", "Spain", " "], clusters=(Cluster(1, "b"), Cluster(0, "a")))
    assert vocab.countries == ("France", "Spain")
    assert [c.id for c in vocab.clusters] == [0, 1]
    assert hash(vocab) == hash(Vocabulary(countries=("France", "Spain"), clusters=(Cluster(0, "a"), Cluster(1, "b"))))

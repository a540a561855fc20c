"""The PostgreSQL source against a real server (Debian's, started here in a temp dir on a free port): the same
synthetic export through PostgreSQL and through its files gives identical warehouse counts and sums."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import psycopg
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.settings import get_settings
from assistant.core.workspace import Workspace
from assistant.ingest.synthetic_exports import write_export
from tests.helpers.postgres import postgres_server
from tests.test_ingest_multi_table import warehouse_figures


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def _load_into_postgres(url: str, d: Path) -> None:
    """The export's files as typed tables (the way a shop's database holds them)."""
    con = duckdb.connect()
    frames = {
        "orders": pd.read_csv(d / "orders.csv", dtype=str, keep_default_na=False),
        "order_items": pd.read_csv(d / "order_items.csv.gz", dtype=str, keep_default_na=False),
        "customers": con.execute("SELECT * FROM read_parquet(?)", [str(d / "customers.parquet")]).df(),
        "products": pd.read_json(d / "products.jsonl", lines=True, dtype=False),
        "categories": pd.read_excel(d / "categories.xlsx", dtype=str),
        "reviews": pd.read_csv(d / "reviews.tsv", sep="\t", dtype=str, keep_default_na=False),
    }
    con.close()
    types = {("orders", "purchased_at"): "timestamp", ("order_items", "price"): "numeric(10,2)",
             ("order_items", "order_item_id"): "integer", ("reviews", "score"): "integer"}  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA shop")
        for table, frame in frames.items():
            cols = ", ".join(f'"{c}" {types.get((table, c), "text")}' for c in frame.columns)
            conn.execute(f"CREATE TABLE shop.{table} ({cols})")
            with conn.cursor().copy(f"COPY shop.{table} FROM STDIN") as copy:
                for row in frame.astype(str).itertuples(index=False):
                    copy.write_row([None if v == "" else v for v in row])


REVIEWS_QUERY = 'query: "SELECT * FROM shop.reviews WHERE score IS NOT NULL"'


def _figures(home: Path) -> dict[str, float]:
    con = Workspace(home).connect()
    try:
        return warehouse_figures(con)
    finally:
        con.close()


def _ingest(mapping: Path) -> None:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["ingest", "--mapping", str(mapping), "--quiet", "--skip", "all"])
    assert result.exit_code == 0, result.output


def test_postgres_source_equals_the_file_source(
    postgres_url: str, mka_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "export"
    _ingest(write_export("normalised", d, n_orders=200))
    from_files = _figures(mka_home)

    _load_into_postgres(postgres_url, d)
    monkeypatch.setenv("SHOP_DB_URL", postgres_url)
    source = "{{postgres: {{url: 'env:SHOP_DB_URL', {}}}}}"
    (d / "pg.yaml").write_text(
        "preset: normalised\nsources:\n"
        f"  orders: {source.format('table: shop.orders')}\n"
        f"  items: {source.format('table: shop.order_items')}\n"
        f"  customers: {source.format('table: shop.customers')}\n"
        f"  products: {source.format('table: shop.products')}\n"
        f"  categories: {source.format('table: shop.categories')}\n"
        # a query instead of a table: what a shop's own view would be
        f"  reviews: {source.format(REVIEWS_QUERY)}\n",
        encoding="utf-8",
    )
    home = tmp_path / "through-postgres"  # its own workspace: two builds within one second share a build id
    monkeypatch.setenv("MKA_HOME", str(home))
    _ingest(d / "pg.yaml")
    assert _figures(home) == from_files
    assert from_files["orders"] == 200 and from_files["reviews"] > 0


def test_postgres_errors_name_the_table_not_the_password(postgres_url: str, mka_home: Path, tmp_path: Path) -> None:
    url = postgres_url.replace("mka@", "mka:secret@")
    (tmp_path / "m.yaml").write_text(
        f"sources:\n  orders: {{postgres: {{url: '{url}', table: shop.no_such_table}}}}\n"
        "orders:\n  from: orders\n  columns: {order_id: orders.id, ordered_at: orders.at, product_id: orders.sku,"
        " quantity: orders.qty, unit_price: orders.price}\n",
        encoding="utf-8",
    )
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["ingest", "--mapping", str(tmp_path / "m.yaml"), "--quiet", "--skip", "all"])
    assert result.exit_code != 0
    assert "shop.no_such_table" in result.output and "secret" not in result.output, result.output

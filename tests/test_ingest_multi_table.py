"""Multi-table mappings and presets: each synthetic export shape ingests with one mapping file, and the
warehouse's figures equal those recomputed here from the raw files with plain pandas (not our ingest code)."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.settings import get_settings
from assistant.core.workspace import Workspace
from assistant.ingest import limits
from assistant.ingest.errors import IngestError
from assistant.ingest.sources import SourceFile, read_source
from assistant.ingest.synthetic_exports import SHAPES, write_export
from tests.helpers.ingest import ingest


def expected_normalised(d: Path) -> dict[str, float]:
    orders = pd.read_csv(d / "orders.csv", dtype=str, keep_default_na=False)
    items = pd.read_csv(d / "order_items.csv.gz", dtype=str, keep_default_na=False)
    reviews = pd.read_csv(d / "reviews.tsv", sep="\t", dtype=str, keep_default_na=False)
    delivered = set(orders.loc[orders["status"] == "delivered", "order_id"])
    products_per_order = items.groupby("order_id")["product_id"].nunique()
    return {
        "orders": len(orders),
        "completed": len(delivered),
        "cancelled": int((orders["status"] == "canceled").sum()),
        "customers": orders.loc[orders["customer_id"] != "", "customer_id"].nunique(),
        "revenue": round(items.loc[items["order_id"].isin(delivered), "price"].astype(float).sum(), 2),
        "units": len(items),
        "reviews": int(reviews["order_id"].map(products_per_order).fillna(0).sum()),
    }


def expected_shopify(d: Path) -> dict[str, float]:
    rows = pd.read_csv(d / "orders_export.csv", dtype=str, keep_default_na=False)
    lines = rows[rows["Lineitem sku"] != ""]
    paid = lines[lines["Financial Status"] == "paid"]
    return {
        "orders": rows["Name"].nunique(),
        "completed": rows.loc[rows["Financial Status"] == "paid", "Name"].nunique(),
        "cancelled": rows.loc[rows["Financial Status"] == "voided", "Name"].nunique(),
        "customers": rows.loc[rows["Email"] != "", "Email"].nunique(),
        "revenue": round((paid["Lineitem quantity"].astype(int) * paid["Lineitem price"].astype(float)).sum(), 2),
        "units": int(lines["Lineitem quantity"].astype(int).sum()),
        "reviews": 0,
    }


def expected_woocommerce(d: Path) -> dict[str, float]:
    rows = pd.read_csv(d / "orders.csv", sep=";", dtype=str, keep_default_na=False)
    lines = rows[rows["SKU"] != ""]
    done = lines[lines["Order Status"] == "wc-completed"]
    price = done["Item Cost"].str.replace(",", ".").astype(float)
    return {
        "orders": rows["Order ID"].nunique(),
        "completed": rows.loc[rows["Order Status"] == "wc-completed", "Order ID"].nunique(),
        "cancelled": rows.loc[rows["Order Status"] == "wc-cancelled", "Order ID"].nunique(),
        "customers": rows.loc[rows["Customer User ID"] != "0", "Customer User ID"].nunique(),
        "revenue": round((done["Quantity"].astype(int) * price).sum(), 2),
        "units": int(lines["Quantity"].astype(int).sum()),
        "reviews": 0,
    }


EXPECTED = {"normalised": expected_normalised, "shopify": expected_shopify, "woocommerce": expected_woocommerce}


def warehouse_figures(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    def one(sql: str) -> float:
        row = con.execute(sql).fetchone()
        return row[0] if row and row[0] is not None else 0

    return {
        "orders": one("SELECT count(*) FROM orders"),
        "completed": one("SELECT count(*) FROM orders WHERE status = 'completed'"),
        "cancelled": one("SELECT count(*) FROM orders WHERE status = 'cancelled'"),
        "customers": one("SELECT count(*) FROM customers"),
        "revenue": round(
            one(
                "SELECT sum(l.quantity * l.unit_price) FROM order_lines l JOIN orders o USING (order_id) "
                "WHERE o.status = 'completed'"
            ),
            2,
        ),
        "units": one("SELECT sum(quantity) FROM order_lines"),
        "reviews": one("SELECT count(*) FROM reviews"),
    }


@pytest.mark.parametrize("shape", SHAPES)
def test_preset_export_ingests_with_independently_recomputed_figures(
    shape: str, mka_home: Path, tmp_path: Path
) -> None:
    mapping = write_export(shape, tmp_path / shape)  # type: ignore[arg-type]
    code, message = ingest(mapping)
    assert code == 0, message
    con = Workspace(mka_home).connect()
    try:
        got = warehouse_figures(con)
        statuses = {r[0] for r in con.execute("SELECT DISTINCT status FROM orders").fetchall()}
        emails = con.execute("SELECT count(*) FROM customers WHERE customer_id LIKE '%@%'").fetchone()
    finally:
        con.close()
    expected = EXPECTED[shape](tmp_path / shape)
    assert got == expected
    assert statuses == {"completed", "in_progress", "cancelled", "returned"}
    assert emails == (0,)  # Shopify's e-mail key is stored as a pseudonym only
    assert expected["orders"] > expected["completed"] + expected["cancelled"]  # the data has every kind


def test_synthetic_exports_are_deterministic(tmp_path: Path) -> None:
    for shape in SHAPES:
        a = write_export(shape, tmp_path / "a" / shape).parent
        b = write_export(shape, tmp_path / "b" / shape).parent
        for f in sorted(a.iterdir()):
            if f.suffix in (".parquet", ".gz", ".xlsx"):  # container metadata may differ; compare the content
                continue
            assert f.read_bytes() == (b / f.name).read_bytes(), f.name


def test_orders_without_lines_count_as_orders_and_cancellations(mka_home: Path, tmp_path: Path) -> None:
    d = tmp_path / "n"
    mapping = write_export("normalised", d)
    code, message = ingest(mapping)
    assert code == 0, message
    orders = pd.read_csv(d / "orders.csv", dtype=str, keep_default_na=False)
    items = pd.read_csv(d / "order_items.csv.gz", dtype=str, keep_default_na=False)
    without = set(orders["order_id"]) - set(items["order_id"])
    assert without  # the export has them
    con = Workspace(mka_home).connect()
    try:
        got = con.execute(
            "SELECT count(*) FROM orders WHERE order_id NOT IN (SELECT order_id FROM order_lines)"
        ).fetchone()
    finally:
        con.close()
    assert got == (len(without),)


def _checksum(home: Path) -> tuple[str, str]:
    ws = Workspace(home)
    return str(ws.current.resolve()), hashlib.sha256(ws.warehouse_path.read_bytes()).hexdigest()


def test_multi_table_errors_name_the_source_file_column_and_line(mka_home: Path, tmp_path: Path) -> None:
    base = tmp_path / "base"
    code, message = ingest(write_export("normalised", base, n_orders=60))
    assert code == 0, message
    before = _checksum(mka_home)

    # A price that is not a number, deep in the gzipped items file: named there, not in the joined frame.
    bad = tmp_path / "bad-price"
    shutil.copytree(base, bad)
    items = pd.read_csv(bad / "order_items.csv.gz", dtype=str, keep_default_na=False)
    items.loc[10:60, "price"] = "n/a"
    with gzip.open(bad / "order_items.csv.gz", "wt", encoding="utf-8") as f:
        items.to_csv(f, index=False)
    code, message = ingest(bad / "mapping.yaml")
    assert code != 0 and "order_items.csv.gz" in message and "'price'" in message and "line 12" in message, message

    # A lookup with a repeated key would double sales: an error naming the lookup file, key and line.
    dup = tmp_path / "dup-lookup"
    shutil.copytree(base, dup)
    with open(dup / "products.jsonl", "a", encoding="utf-8") as f:
        f.write('{"product_id": "SKU-003", "name": "Garrafa", "category": "casa"}\n')
    code, message = ingest(dup / "mapping.yaml")
    assert code != 0 and "products.jsonl" in message and "'product_id'" in message and "'SKU-003'" in message, message
    assert "line 13" in message, message  # 12 products, then the repeat

    # A mapping that names a column the source lacks.
    missing = tmp_path / "missing-column"
    shutil.copytree(base, missing)
    (missing / "mapping.yaml").write_text(
        (base / "mapping.yaml").read_text() + "orders: {columns: {order_id: orders.id, ordered_at: orders.purchased_at,"
        " product_id: items.product_id, unit_price: items.price}}\n",
        encoding="utf-8",
    )
    code, message = ingest(missing / "mapping.yaml")
    assert code != 0 and "orders.csv" in message and "'id'" in message, message

    # Two one-to-many joins would multiply each other's rows.
    (missing / "mapping.yaml").write_text(
        (base / "mapping.yaml").read_text() + "orders:\n  join:\n"
        "    - {source: items, on: {order_id: orders.order_id}, one_to_many: true}\n"
        "    - {source: reviews, on: {order_id: orders.order_id}, one_to_many: true}\n",
        encoding="utf-8",
    )
    code, message = ingest(missing / "mapping.yaml")
    assert code != 0 and "mapping.yaml" in message and "'items' and 'reviews'" in message, message
    assert _checksum(mka_home) == before


def test_sql_view_over_the_sources(mka_home: Path, tmp_path: Path) -> None:
    d = tmp_path / "sql"
    write_export("normalised", d, n_orders=80)
    (d / "view.yaml").write_text(
        "sources:\n  orders: {file: orders.csv}\n  items: {file: order_items.csv.gz}\n"
        "orders:\n  sql: |\n"
        "    SELECT o.order_id, o.customer_id, o.purchased_at AS ordered_at, o.status, i.product_id,\n"
        "           CAST(count(*) AS VARCHAR) AS quantity, i.price AS unit_price\n"
        "    FROM orders o JOIN items i USING (order_id) GROUP BY ALL\n"
        "  statuses: {delivered: completed, shipped: in_progress, canceled: cancelled, returned: returned}\n",
        encoding="utf-8",
    )
    code, message = ingest(d / "view.yaml")
    assert code == 0, message
    expected = expected_normalised(d)
    con = Workspace(mka_home).connect()
    try:
        got = warehouse_figures(con)
    finally:
        con.close()
    assert got["revenue"] == expected["revenue"] and got["units"] == expected["units"]

    # An error in the query's result names the mapping, the query's column and row.
    bad = (
        (d / "view.yaml")
        .read_text()
        .replace("i.price AS unit_price", "CASE WHEN o.order_id < '10040' THEN 'n/a' ELSE i.price END AS unit_price")
        .replace("GROUP BY ALL", "GROUP BY ALL ORDER BY o.order_id")
    )
    (d / "bad.yaml").write_text(bad.replace("statuses:", "decimal: '.'\n  statuses:"), encoding="utf-8")
    code, message = ingest(d / "bad.yaml")
    assert code != 0 and "bad.yaml" in message and "'sql unit_price'" in message and "of the query" in message, message


def test_append_a_multi_table_export(mka_home: Path, tmp_path: Path) -> None:
    """The first 200 orders ingested, then the whole export appended: the warehouse equals the whole export."""
    full = tmp_path / "full"
    write_export("normalised", full)
    first = tmp_path / "first"
    shutil.copytree(full, first)
    orders = pd.read_csv(full / "orders.csv", dtype=str, keep_default_na=False)
    orders.head(200).to_csv(first / "orders.csv", index=False)
    code, message = ingest(first / "mapping.yaml")
    assert code == 0, message

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["ingest", "--append", str(full / "mapping.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    con = Workspace(mka_home).connect()
    try:
        got = warehouse_figures(con)
    finally:
        con.close()
    assert got == expected_normalised(full)
    again = CliRunner().invoke(app, ["ingest", "--append", str(full / "mapping.yaml"), "--json"])
    assert again.exit_code == 0 and '"new_orders": 0' in again.output, again.output


def test_readme_multi_table_example_ingests(mka_home: Path, tmp_path: Path) -> None:
    """README's full multi-table example is a working mapping (on the synthetic export's files, renamed)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("#### Several files") :]
    example = section[section.index("```yaml\n") + len("```yaml\n") : section.index("```\n", section.index("```yaml"))]
    d = tmp_path / "readme"
    write_export("normalised", d)
    (d / "categories.xlsx").rename(d / "category_translation.xlsx")
    (d / "example.yaml").write_text(example, encoding="utf-8")
    code, message = ingest(d / "example.yaml")
    assert code == 0, message
    con = Workspace(mka_home).connect()
    try:
        got = warehouse_figures(con)
        categories = {r[0] for r in con.execute("SELECT DISTINCT category FROM products").fetchall()}
    finally:
        con.close()
    assert got == expected_normalised(d)
    assert categories == {"fashion", "sports", "home", "electronics"}  # translated through the lookup


def test_constants_and_a_header_with_items(mka_home: Path, tmp_path: Path) -> None:
    (tmp_path / "orders.tsv").write_text("id\twhen\tbuyer\n1\t2024-05-01\tb1\n2\t2024-05-02\tb2\n3\t2024-05-03\tb1\n")
    (tmp_path / "items.csv").write_text("order,sku,price\n1,A,10.00\n1,B,5.00\n2,A,10.00\n")
    (tmp_path / "m.yaml").write_text(
        "sources:\n  orders: {file: orders.tsv}\n  items: {file: items.csv}\n"
        "orders:\n  from: orders\n  join:\n    - {source: items, on: {order: orders.id}, one_to_many: true}\n"
        "  columns: {order_id: orders.id, ordered_at: orders.when, customer_id: orders.buyer,"
        " product_id: items.sku, unit_price: items.price}\n"
        "  constants: {country: Brasil, quantity: 1}\n",
        encoding="utf-8",
    )
    code, message = ingest(tmp_path / "m.yaml")
    assert code == 0, message
    con = Workspace(mka_home).connect()
    try:
        orders = con.execute("SELECT order_id, country FROM orders ORDER BY 1").fetchall()
        lines = con.execute("SELECT count(*), sum(quantity * unit_price) FROM order_lines").fetchone()
    finally:
        con.close()
    assert orders == [("1", "Brasil"), ("2", "Brasil"), ("3", "Brasil")]  # order 3 has no items and is kept
    assert lines == (3, 25.0)


def test_caps_are_checked_before_unpacking_xlsx_and_parquet(tmp_path: Path) -> None:
    """An XLSX is a zip (its unzipped size is checked), a Parquet file says its rows (checked before reading)."""
    d = tmp_path / "caps"
    write_export("normalised", d, n_orders=600)
    xlsx, parquet = d / "categories.xlsx", d / "customers.parquet"
    with zipfile.ZipFile(xlsx) as archive:
        unzipped = sum(m.file_size for m in archive.infolist())
    assert unzipped > xlsx.stat().st_size
    cap = limits.IngestLimits(max_bytes=xlsx.stat().st_size + 1)
    with limits.applied(cap), pytest.raises(IngestError, match=r"unzips to .* MKA_INGEST_MAX_BYTES") as caught:
        read_source(SourceFile(file=xlsx, sheet="translation"), ["category"])
    assert caught.value.path == str(xlsx)
    with (
        limits.applied(limits.IngestLimits(max_rows=10)),
        pytest.raises(IngestError, match="MKA_INGEST_MAX_ROWS") as caught,
    ):
        read_source(SourceFile(file=parquet), ["customer_id"])
    assert caught.value.path == str(parquet)
    assert len(read_source(SourceFile(file=parquet), ["customer_id"])) > 10  # under the default caps


def test_shopify_order_fields_on_the_first_row_only(mka_home: Path, tmp_path: Path) -> None:
    """Shopify writes an order's fields on its first line item row only: the preset fills them down per order."""
    d = tmp_path / "shopify"
    mapping = write_export("shopify", d)
    rows = pd.read_csv(d / "orders_export.csv", dtype=str, keep_default_na=False)
    expected = expected_shopify(d)
    later = rows["Name"] == rows["Name"].shift()
    assert later.sum() > 50
    for column in ("Email", "Financial Status", "Created at", "Billing Country"):
        rows.loc[later, column] = ""
    rows.to_csv(d / "orders_export.csv", index=False)
    code, message = ingest(mapping)
    assert code == 0, message
    con = Workspace(mka_home).connect()
    try:
        got = warehouse_figures(con)
    finally:
        con.close()
    assert got == expected

"""The synthetic demo and the generic CSV adapter, end to end through `mka ingest`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.workspace import Workspace


def test_demo_is_labelled_synthetic_and_deterministic(mka_home: Path, cli: CliRunner) -> None:
    first = cli.invoke(app, ["ingest", "--demo", "--json", "--skip", "all"])
    assert first.exit_code == 0, first.output
    second = cli.invoke(app, ["ingest", "--demo", "--json", "--skip", "all"])
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["synthetic"] is True and a["counts"] == b["counts"]
    assert a["counts"]["completed_orders"] > 500 and a["counts"]["reviews"] == 1500
    ws = Workspace(mka_home)
    con = ws.connect()
    assert con.execute("SELECT value FROM meta WHERE key = 'synthetic'").fetchone() == ("true",)
    assert con.execute("SELECT DISTINCT source FROM products").fetchall() == [("synthetic-demo",)]
    # Guest orders exist and are kept out of customers.
    guests = con.execute("SELECT count(*) FROM orders WHERE customer_id IS NULL").fetchone()
    assert guests is not None and guests[0] > 0
    con.close()
    text = cli.invoke(app, ["ingest", "--demo", "--quiet", "--skip", "all"])
    assert "SYNTHETIC" in text.output


def test_ingest_is_read_only_for_tools(mka_home: Path, cli: CliRunner) -> None:
    assert cli.invoke(app, ["ingest", "--demo", "--quiet", "--skip", "all"]).exit_code == 0
    con = Workspace(mka_home).connect()
    try:
        con.execute("DELETE FROM orders")
    except Exception as exc:  # duckdb raises InvalidInputException for writes on read-only
        assert "read-only" in str(exc).lower()
    else:
        raise AssertionError("a tool connection could write to the warehouse")
    finally:
        con.close()


def test_generic_mapping_adapter(mka_home: Path, cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text(
        "Invoice;Customer;Date;SKU;Product;Qty;Price;State\n"
        "1001;C1;02/01/2024 10:00;A1;Blue Mug;2;3,50;paid\n"
        "1001;C1;02/01/2024 10:00;B2;Red Plate;1;9.00;paid\n"
        "1002;;03/01/2024 11:00;A1;Blue Mug;1;3.50;paid\n"
        "1003;C2;04/01/2024 12:00;B2;Red Plate;1;9.00;refunded\n"
        "1004;C2;05/01/2024 12:00;B2;Red Plate;0;9.00;paid\n",
        encoding="utf-8",
    )
    (tmp_path / "reviews.csv").write_text(
        "id,sku,stars,text\nr1,A1,5,Lovely mug\nr2,B2,2,Chipped on arrival\nr3,B2,9,bad rating\n",
        encoding="utf-8",
    )
    (tmp_path / "mapping.yaml").write_text(
        "orders:\n  file: sales.csv\n  delimiter: ';'\n  date_format: '%d/%m/%Y %H:%M'\n  columns:\n"
        "    order_id: Invoice\n    customer_id: Customer\n    ordered_at: Date\n    product_id: SKU\n"
        "    product_name: Product\n    quantity: Qty\n    unit_price: Price\n    status: State\n"
        "  cancelled_values: [refunded]\n"
        "reviews:\n  file: reviews.csv\n  columns:\n    review_id: id\n    product_id: sku\n"
        "    rating: stars\n    body: text\n",
        encoding="utf-8",
    )
    result = cli.invoke(app, ["ingest", "--mapping", str(tmp_path / "mapping.yaml"), "--json", "--skip", "all"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    orders_report, reviews_report = summary["adapters"]
    assert orders_report["rows_read"] == 5
    assert orders_report["dropped"] == {"unparseable value": 1, "zero quantity": 1}  # "3,50" and qty 0
    assert reviews_report["dropped"] == {"rating missing or not 1-5": 1}
    counts = summary["counts"]
    assert counts["completed_orders"] == 2 and counts["cancelled_orders"] == 1
    assert counts["guest_orders"] == 1 and counts["customers"] == 2
    assert counts["products"] == 2 and counts["reviewed_products"] == 2
    con = Workspace(mka_home).connect()
    assert con.execute("SELECT name FROM products WHERE product_id = 'A1'").fetchone() == ("Blue Mug",)
    assert con.execute("SELECT quantity FROM order_lines WHERE order_id = '1003'").fetchone() == (1,)
    con.close()

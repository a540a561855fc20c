"""Inputs that used to be accepted silently and made the warehouse wrong: now an error naming file, column and
line (the previous workspace byte-for-byte unchanged), or read correctly when the mapping says how."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.settings import get_settings
from assistant.core.workspace import Workspace
from tests.helpers.ingest import ingest

HEADER = "Invoice,Customer,Date,SKU,Qty,Price,State"
GOOD = [
    "1001,C1,2024-01-02 10:00,A1,2,3.50,paid",
    "1001,C1,2024-01-02 10:00,B2,1,9.00,paid",
    "1002,C2,2024-01-03 11:00,A1,1,3.50,paid",
]
ORDER_COLUMNS = (
    "  columns:\n    order_id: Invoice\n    customer_id: Customer\n    ordered_at: Date\n    product_id: SKU\n"
    "    quantity: Qty\n    unit_price: Price\n    status: State\n"
)


def write_orders(d: Path, lines: list[str], extra: str = "", columns: str = ORDER_COLUMNS) -> Path:
    (d / "orders.csv").write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    mapping = d / "mapping.yaml"
    mapping.write_text("orders:\n  file: orders.csv\n" + columns + extra, encoding="utf-8")
    return mapping


def write_reviews(d: Path, ratings: list[str], extra: str = "") -> Path:
    rows = [f"r{i},A1,{r},text {i}" for i, r in enumerate(ratings)]
    (d / "reviews.csv").write_text("\n".join(["id,sku,stars,text", *rows]) + "\n", encoding="utf-8")
    mapping = d / "mapping.yaml"
    mapping.write_text(
        "reviews:\n  file: reviews.csv\n  columns:\n    review_id: id\n    product_id: sku\n    rating: stars\n"
        "    body: text\n" + extra,
        encoding="utf-8",
    )
    return mapping


def checksum(home: Path) -> tuple[str, str, str]:
    ws = Workspace(home)
    return (
        str(ws.current.resolve()),
        hashlib.sha256(ws.warehouse_path.read_bytes()).hexdigest(),
        hashlib.sha256(ws.manifest_path.read_bytes()).hexdigest(),
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One small built workspace shared by the module: every failure below must leave it exactly as it is."""
    root = tmp_path_factory.mktemp("safe")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MKA_HOME", str(root / "mka-home"))
        mp.setenv("MKA_LLM", "scripted")
        get_settings.cache_clear()
        result = CliRunner().invoke(
            app, ["ingest", "--mapping", str(write_orders(root, GOOD)), "--quiet", "--skip", "all"]
        )
        assert result.exit_code == 0, result.output
        yield root / "mka-home"
    get_settings.cache_clear()


def _ambiguous_dates(d: Path) -> Path:
    return write_orders(d, ["1001,C1,03/04/2024,A1,2,3.50,paid", "1002,C2,05/06/2024 10:00,A1,1,3.50,paid"])


def _mixed_date_orders(d: Path) -> Path:
    return write_orders(d, ["1001,C1,13/04/2024,A1,2,3.50,paid", "1002,C2,04/14/2024,A1,1,3.50,paid"])


def _day_first_contradicted(d: Path) -> Path:
    return write_orders(
        d, ["1001,C1,04/03/2024,A1,2,3.50,paid", "1002,C2,25/03/2024,A1,1,3.50,paid"], "  day_first: false\n"
    )


def _order_two_customers(d: Path) -> Path:
    return write_orders(d, [*GOOD, "1001,C9,2024-01-02 10:00,C3,1,4.00,paid"])


def _order_two_dates(d: Path) -> Path:
    return write_orders(d, [*GOOD, "1002,C2,2024-02-20 11:00,B2,1,9.00,paid"])


def _ambiguous_thousands(d: Path) -> Path:
    return write_orders(d, ['1001,C1,2024-01-02,A1,2,"1,250",paid', '1002,C2,2024-01-03,A1,1,"2,500",paid'])


def _ambiguous_thousands_dots(d: Path) -> Path:
    return write_orders(d, ["1001,C1,2024-01-02,A1,2,1.250,paid", "1002,C2,2024-01-03,A1,1,2.500,paid"])


def _mixed_decimals(d: Path) -> Path:
    rows = [
        f'10{i},C1,2024-01-02,A1,1,"{p}",paid' for i, p in enumerate(["3,50", "4,10", "5,20", "3.50", "9.00", "1.25"])
    ]
    return write_orders(d, rows)


def _email_customer(d: Path) -> Path:
    return write_orders(d, [*GOOD, "1003,ana.silva@example.com,2024-01-04 10:00,A1,1,3.50,paid"])


def _phone_customer(d: Path) -> Path:
    return write_orders(d, [*GOOD, "1003,+55 11 91234-5678,2024-01-04 10:00,A1,1,3.50,paid"])


def _unlisted_status(d: Path) -> Path:
    return write_orders(d, [*GOOD, "1003,C2,2024-01-04 10:00,A1,1,3.50,on-hold"], "  statuses: {paid: completed}\n")


def _no_quantity(d: Path) -> Path:
    return write_orders(d, GOOD, columns=ORDER_COLUMNS.replace("    quantity: Qty\n", ""))


def _ratings_0_to_10(d: Path) -> Path:
    return write_reviews(d, ["10", "8", "0", "6", "9", "3", "7", "10", "4", "5"])


def _thumbs_as_numbers(d: Path) -> Path:
    return write_reviews(d, ["up", "down", "up", "up", "5"])  # declared 1-5, given thumbs


# name -> (files, text the error must contain: the file, the column, the line, and the values or ids at fault)
CASES = {
    "dates read both ways": (
        _ambiguous_dates,
        ["orders.csv", "'Date'", "line 2", "'03/04/2024'", "'05/06/2024 10:00'", "day_first"],
    ),
    "day-first and month-first mixed": (
        _mixed_date_orders,
        ["orders.csv", "'Date'", "line 2", "13/04/2024", "04/14/2024"],
    ),
    "day_first contradicted": (_day_first_contradicted, ["orders.csv", "'Date'", "line 3", "25/03/2024"]),
    "order id with two customers": (_order_two_customers, ["orders.csv", "'Customer'", "line 5", "'1001'", "'C9'"]),
    "order id with two dates": (_order_two_dates, ["orders.csv", "'Date'", "line 5", "'1002'"]),
    "thousands or decimal": (_ambiguous_thousands, ["orders.csv", "'Price'", "line 2", "'1,250'", "decimal"]),
    "thousands or decimal (dots)": (
        _ambiguous_thousands_dots,
        ["orders.csv", "'Price'", "line 2", "'1.250'", "decimal"],
    ),
    "decimal commas and points": (_mixed_decimals, ["orders.csv", "'Price'", "line 2", "'3,50'", "'3.50'"]),
    "e-mail as customer id": (_email_customer, ["orders.csv", "'Customer'", "line 5", "e-mail"]),
    "phone as customer id": (_phone_customer, ["orders.csv", "'Customer'", "line 5", "phone"]),
    "status not in the map": (_unlisted_status, ["orders.csv", "'State'", "line 5", "'on-hold'"]),
    "no quantity, units not declared": (_no_quantity, ["mapping.yaml", "quantity", "rows_are_units"]),
    "ratings on 0-10 read as 1-5": (_ratings_0_to_10, ["reviews.csv", "'stars'", "line", "rating_scale"]),
    "thumbs read as 1-5": (_thumbs_as_numbers, ["reviews.csv", "'stars'", "line 2", "'up'"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_silent_case_is_an_error_and_workspace_unchanged(case: str, home: Path, tmp_path: Path) -> None:
    before = checksum(home)
    make, expected = CASES[case]
    code, message = ingest(make(tmp_path))
    assert code != 0, message
    assert message.startswith("error:") and len(message.splitlines()) == 1, message
    for part in expected:
        assert part in message, (part, message)
    assert checksum(home) == before
    assert len(list(Workspace(home).builds_dir.iterdir())) == 1


def test_byte_cap_stops_a_decompression_bomb(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = checksum(home)
    row = "1001,C1,2024-01-02 10:00,A1,2,3.50,paid\n"
    with gzip.open(tmp_path / "orders.csv.gz", "wt", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        f.write(row * 60_000)  # ~2.5 MB of text in a ~10 kB file
    assert (tmp_path / "orders.csv.gz").stat().st_size < 50_000
    mapping = write_orders(tmp_path, GOOD)
    mapping.write_text(mapping.read_text().replace("orders.csv", "orders.csv.gz"), encoding="utf-8")
    monkeypatch.setenv("MKA_INGEST_MAX_BYTES", "1000000")
    code, message = ingest(mapping)
    assert code != 0 and "orders.csv.gz" in message and "MKA_INGEST_MAX_BYTES" in message, message
    assert checksum(home) == before


def test_row_cap(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = checksum(home)
    monkeypatch.setenv("MKA_INGEST_MAX_ROWS", "2")
    code, message = ingest(write_orders(tmp_path, GOOD))
    assert code != 0 and "orders.csv" in message and "MKA_INGEST_MAX_ROWS" in message, message
    assert checksum(home) == before


def _warehouse(home: Path, sql: str) -> list[tuple[object, ...]]:
    con = Workspace(home).connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def fresh_home(mka_home: Path) -> Path:
    return mka_home


def new_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> Path:
    """A second workspace in one test (two builds within one second would share a build id)."""
    home = tmp_path / name
    monkeypatch.setenv("MKA_HOME", str(home))
    return home


def test_day_first_setting_and_inferred_day_first(
    fresh_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, message = ingest(write_orders(tmp_path, ["1001,C1,03/04/2024,A1,2,3.50,paid"], "  day_first: true\n"))
    assert code == 0, message
    assert _warehouse(fresh_home, "SELECT strftime(ordered_at, '%Y-%m-%d') FROM orders") == [("2024-04-03",)]
    # One value with a first part over 12 settles the column: every date is day-first.
    home = new_home(monkeypatch, tmp_path, "second")
    code, message = ingest(
        write_orders(tmp_path, ["1001,C1,03/04/2024,A1,2,3.50,paid", "1002,C2,25/12/2024,A1,1,3.50,paid"])
    )
    assert code == 0, message
    got = _warehouse(home, "SELECT order_id, strftime(ordered_at, '%Y-%m-%d') FROM orders ORDER BY 1")
    assert got == [("1001", "2024-04-03"), ("1002", "2024-12-25")]


def test_decimal_commas_and_currency_symbols(fresh_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        '1001,C1,2024-01-02,A1,1,"R$ 1.234,50",paid',
        '1002,C2,2024-01-03,B2,2,"€12,50",paid',
        "1003,C2,2024-01-04,B2,1,7,paid",
    ]
    code, message = ingest(write_orders(tmp_path, rows))
    assert code == 0, message
    assert _warehouse(fresh_home, "SELECT sum(quantity * unit_price) FROM order_lines") == [(1234.5 + 25.0 + 7.0,)]
    rows = ['1001,C1,2024-01-02,A1,1,"1,250",paid', '1002,C2,2024-01-03,B2,2,"£2,000",paid']
    home = new_home(monkeypatch, tmp_path, "second")
    code, message = ingest(write_orders(tmp_path, rows, '  decimal: "."\n'))
    assert code == 0, message
    assert _warehouse(home, "SELECT sum(quantity * unit_price) FROM order_lines") == [(1250.0 + 4000.0,)]


@pytest.mark.parametrize(
    ("scale", "given", "stored"),
    [
        ("0-10", ["0", "5", "10", "8", "2"], [1, 3, 5, 4, 2]),
        ("1-10", ["1", "10", "5", "8"], [1, 5, 3, 4]),
        ("thumbs", ["up", "down", "👍", "👎"], [5, 1, 5, 1]),
    ],
)
def test_rating_scales_map_onto_1_to_5(
    fresh_home: Path, tmp_path: Path, scale: str, given: list[str], stored: list[int]
) -> None:
    code, message = ingest(write_reviews(tmp_path, given, f'  rating_scale: "{scale}"\n'))
    assert code == 0, message
    got = _warehouse(fresh_home, "SELECT rating FROM reviews ORDER BY CAST(substr(review_id, 2) AS INTEGER)")
    assert [r[0] for r in got] == stored


def test_each_row_is_one_unit(fresh_home: Path, tmp_path: Path) -> None:
    rows = ["1001,C1,2024-01-02 10:00,A1,,3.50,paid"] * 3 + ["1001,C1,2024-01-02 10:00,B2,,9.00,paid"]
    mapping = write_orders(tmp_path, rows, "  rows_are_units: true\n", ORDER_COLUMNS.replace("    quantity: Qty\n", ""))
    code, message = ingest(mapping)
    assert code == 0, message
    got = _warehouse(fresh_home, "SELECT product_id, quantity FROM order_lines ORDER BY 1")
    assert got == [("A1", 3), ("B2", 1)]


def test_statuses_map_onto_the_four_canonical_ones(fresh_home: Path, tmp_path: Path) -> None:
    rows = [
        "1001,C1,2024-01-02,A1,1,3.50,Delivered",
        "1002,C1,2024-01-03,A1,1,3.50,shipped",
        "1003,C2,2024-01-04,A1,1,3.50,canceled",
        "1004,C2,2024-01-05,A1,-1,3.50,returned",
        "1005,C2,2024-01-06,A1,1,3.50,",
    ]
    extra = "  statuses: {delivered: completed, shipped: in_progress, canceled: cancelled, returned: returned}\n"
    code, message = ingest(write_orders(tmp_path, rows, extra))
    assert code == 0, message
    got = _warehouse(fresh_home, "SELECT order_id, status FROM orders ORDER BY 1")
    assert got == [
        ("1001", "completed"),
        ("1002", "in_progress"),
        ("1003", "cancelled"),
        ("1004", "returned"),
        ("1005", "completed"),
    ]
    assert _warehouse(fresh_home, "SELECT quantity FROM order_lines WHERE order_id = '1004'") == [(1,)]


@pytest.mark.parametrize(
    ("locale", "date", "price", "day", "amount"),
    [
        ("de_DE", "03.04.2024", '"1.234,50"', "2024-04-03", 1234.5),
        ("pt-BR", "03/04/2024", '"R$ 12,50"', "2024-04-03", 12.5),
        ("en_US", "03/04/2024", '"$1,234.50"', "2024-03-04", 1234.5),
    ],
)
def test_locale_sets_day_first_and_decimal(
    fresh_home: Path, tmp_path: Path, locale: str, date: str, price: str, day: str, amount: float
) -> None:
    code, message = ingest(write_orders(tmp_path, [f"1001,C1,{date},A1,1,{price},paid"], f"  locale: {locale}\n"))
    assert code == 0, message
    got = _warehouse(
        fresh_home,
        "SELECT strftime(o.ordered_at, '%Y-%m-%d'), l.unit_price FROM orders o JOIN order_lines l USING (order_id)",
    )
    assert got == [(day, amount)]


def test_unknown_locale_is_an_error(home: Path, tmp_path: Path) -> None:
    before = checksum(home)
    code, message = ingest(write_orders(tmp_path, GOOD, "  locale: xx_YY\n"))
    assert code != 0 and "mapping.yaml" in message and "orders.locale" in message and "xx_YY" in message, message
    assert checksum(home) == before

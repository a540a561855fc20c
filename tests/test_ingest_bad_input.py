"""Bad input: one line naming the file and column/field, non-zero exit, previous workspace untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.workspace import Workspace

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
GOOD_LINES = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
    "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,17850.0,United Kingdom",
]


def snapshot(home: Path) -> tuple[str, str, str]:
    ws = Workspace(home)
    return (
        str(ws.current.resolve()),
        hashlib.sha256(ws.warehouse_path.read_bytes()).hexdigest(),
        hashlib.sha256(ws.manifest_path.read_bytes()).hexdigest(),
    )


@pytest.fixture
def built_home(mka_home: Path, cli: CliRunner) -> Path:
    result = cli.invoke(app, ["ingest", "--demo", "--quiet", "--skip", "all"])
    assert result.exit_code == 0, result.output
    return mka_home


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _case_missing_column(d: Path) -> tuple[list[str], str, str]:
    header = HEADER.replace(",Quantity", "")
    rows = [",".join(v for i, v in enumerate(line.split(",")) if i != 3) for line in GOOD_LINES]
    f = write(d / "orders.csv", "\n".join([header, *rows]) + "\n")
    return ["--orders", str(f)], "orders.csv", "Quantity"


def _case_wrong_delimiter(d: Path) -> tuple[list[str], str, str]:
    f = write(d / "orders.csv", "\n".join([HEADER, *GOOD_LINES]).replace(",", ";") + "\n")
    return ["--orders", str(f)], "orders.csv", "semicolon"


def _case_empty_file(d: Path) -> tuple[list[str], str, str]:
    f = write(d / "orders.csv", "")
    return ["--orders", str(f)], "orders.csv", "empty"


def _case_not_utf8(d: Path) -> tuple[list[str], str, str]:
    bad = GOOD_LINES[1].replace("HAND WARMER", "CAF\xc9 WARMER").encode("latin-1")
    f = write(d / "orders.csv", (HEADER + "\n" + GOOD_LINES[0] + "\n").encode() + bad + b"\n")
    return ["--orders", str(f)], "orders.csv", "Description"


def _case_only_cancellations(d: Path) -> tuple[list[str], str, str]:
    rows = [
        "C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,2010-12-01 09:41:00,2.55,14527.0,United Kingdom",
        "C536383,22633,HAND WARMER UNION JACK,-2,2010-12-01 09:49:00,1.85,15311.0,United Kingdom",
    ]
    f = write(d / "orders.csv", "\n".join([HEADER, *rows]) + "\n")
    return ["--orders", str(f)], "orders.csv", "InvoiceNo"


def _case_mapping_unknown_column(d: Path) -> tuple[list[str], str, str]:
    write(d / "sales.csv", "id,date,sku,qty,price\n1,2024-01-02,A1,2,3.50\n")
    m = write(
        d / "mapping.yaml",
        "orders:\n  file: sales.csv\n  columns:\n    order_id: id\n    ordered_at: date\n"
        "    product_id: product_code\n    quantity: qty\n    unit_price: price\n",
    )
    return ["--mapping", str(m)], "mapping.yaml", "product_code"


def _case_unreadable_path(d: Path) -> tuple[list[str], str, str]:
    return ["--orders", str(d / "no-such-file.csv")], "no-such-file.csv", "not found"


def _case_mapping_unknown_field(d: Path) -> tuple[list[str], str, str]:
    write(d / "sales.csv", "id,date,sku,qty,price\n1,2024-01-02,A1,2,3.50\n")
    m = write(
        d / "mapping.yaml",
        "orders:\n  file: sales.csv\n  columns:\n    order_id: id\n    ordered_at: date\n"
        "    product_id: sku\n    quantity: qty\n    unit_price: price\n    colour: sku\n",
    )
    return ["--mapping", str(m)], "mapping.yaml", "orders.columns.colour"


def _case_unparseable_column(d: Path) -> tuple[list[str], str, str]:
    rows = [line.replace(",6,", ",six,") for line in GOOD_LINES]
    f = write(d / "orders.csv", "\n".join([HEADER, *rows]) + "\n")
    return ["--orders", str(f)], "orders.csv", "Quantity"


CASES = {
    "missing column": _case_missing_column,
    "wrong delimiter": _case_wrong_delimiter,
    "empty file": _case_empty_file,
    "non-UTF-8 bytes": _case_not_utf8,
    "only cancellations": _case_only_cancellations,
    "mapping names unknown column": _case_mapping_unknown_column,
    "mapping names unknown field": _case_mapping_unknown_field,
    "unreadable path": _case_unreadable_path,
    "unparseable numbers": _case_unparseable_column,
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_names_file_and_column_and_keeps_workspace(
    case: str, built_home: Path, tmp_path: Path, cli: CliRunner
) -> None:
    before = snapshot(built_home)
    args, file_name, column = CASES[case](tmp_path)
    result = cli.invoke(app, ["ingest", "--quiet", *args])
    assert result.exit_code != 0
    message = result.output.strip()
    assert message.startswith("error:"), message
    assert len(message.splitlines()) == 1, message
    assert file_name in message and column in message, message
    assert snapshot(built_home) == before
    assert len(list(Workspace(built_home).builds_dir.iterdir())) == 1


def test_two_builds_within_one_second_get_distinct_directories(tmp_path: Path) -> None:
    # A build followed at once by another (an append) in the same process must not collide on the build id.
    workspace = Workspace(tmp_path / "home")
    built = []
    for marker in ("first", "second"):
        with workspace.build() as build:
            (build.path / "marker").write_text(marker)
            built.append(build.path)
    assert built[0] != built[1]
    assert (workspace.current / "marker").read_text() == "second"

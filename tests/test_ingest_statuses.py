"""Statuses beyond completed / cancelled: in-progress and returned orders are neither revenue nor cancellations,
in the warehouse counts and in the tools' SQL that reads `status` (revenue = completed orders)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.settings import get_settings
from assistant.core.workspace import Workspace
from tools.predict.forecast import DAILY_SQL

ROWS = [
    "1001,C1,2024-01-02,A1,2,10.00,delivered",
    "1002,C2,2024-01-02,A1,1,10.00,shipped",
    "1003,C2,2024-01-02,A1,1,10.00,returned",
    "1004,C3,2024-01-03,A1,1,10.00,canceled",
    "1005,C3,2024-01-03,A1,3,10.00,delivered",
]


def test_in_progress_and_returned_are_not_revenue(mka_home: Path, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("\n".join(["Id,Customer,Date,SKU,Qty,Price,State", *ROWS]) + "\n")
    (tmp_path / "mapping.yaml").write_text(
        "orders:\n  file: orders.csv\n  columns: {order_id: Id, customer_id: Customer, ordered_at: Date,"
        " product_id: SKU, quantity: Qty, unit_price: Price, status: State}\n"
        "  statuses: {delivered: completed, shipped: in_progress, returned: returned, canceled: cancelled}\n",
        encoding="utf-8",
    )
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["ingest", "--mapping", str(tmp_path / "mapping.yaml"), "--json", "--skip", "all"])
    assert result.exit_code == 0, result.output
    con = Workspace(mka_home).connect()
    try:
        daily = con.execute(DAILY_SQL, {"category": None}).fetchall()
        statuses = con.execute("SELECT status, count(*) FROM orders GROUP BY 1 ORDER BY 1").fetchall()
    finally:
        con.close()
    assert statuses == [("cancelled", 1), ("completed", 2), ("in_progress", 1), ("returned", 1)]
    # Day 1: only the delivered order is revenue; day 2: the delivered order (a cancellation is not subtracted).
    assert [(str(d), r, n) for d, r, n in daily] == [("2024-01-02", 20.0, 1), ("2024-01-03", 30.0, 1)]

"""Real data: the ingest summary equals an independent pandas computation from the raw files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from assistant.core.workspace import Workspace
from tests.conftest import RETAIL_CSV, REVIEWS_CSV, SHARED_DATA, require_real_data

pytestmark = pytest.mark.integration

# The ingest rules (README.md), written again here from the raw files without the adapters' code.
NON_PRODUCT = {
    "POST",
    "DOT",
    "C2",
    "D",
    "M",
    "S",
    "B",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "PADS",
    "CARRIAGE",
}


def expected_counts() -> dict[str, int]:
    raw = pd.read_csv(RETAIL_CSV, dtype=str, keep_default_na=False)
    lines = raw[~raw.duplicated()]
    quantity = lines["Quantity"].astype(int)
    price = lines["UnitPrice"].astype(float)
    code = lines["StockCode"].str.strip().str.upper()
    cancelled = lines["InvoiceNo"].str.upper().str.startswith("C")
    product = ~(code.isin(NON_PRODUCT) | code.str.startswith("GIFT_"))
    sign_ok = (cancelled & (quantity < 0)) | (~cancelled & (quantity > 0))
    kept = lines[product & (price > 0) & sign_ok]
    kept_cancelled = kept["InvoiceNo"].str.upper().str.startswith("C")
    customer = kept["CustomerID"].str.replace(".0", "", regex=False)

    reviews = pd.read_csv(REVIEWS_CSV, index_col=0)
    reviews = reviews[~reviews.duplicated()]
    reviews = reviews[reviews["Clothing ID"].notna() & reviews["Rating"].between(1, 5)]
    reviewed = reviews["Clothing ID"].astype(int).astype(str)

    return {
        "lines_read": len(raw) + len(pd.read_csv(REVIEWS_CSV, index_col=0)),
        "customers": customer[customer != ""].nunique(),
        "products": len(set(kept["StockCode"].str.upper()) | set(reviewed)),
        "completed_orders": kept.loc[~kept_cancelled, "InvoiceNo"].nunique(),
        "cancelled_orders": kept.loc[kept_cancelled, "InvoiceNo"].nunique(),
        "guest_orders": kept.loc[customer == "", "InvoiceNo"].nunique(),
        "order_lines": len(kept),
        "reviews": len(reviews),
        "reviewed_products": reviewed.nunique(),
    }


def _ingest(home: Path, *extra: str) -> dict[str, object]:
    env = {**os.environ, "MKA_HOME": str(home), "MKA_LLM": "scripted"}
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", "--data-dir", str(SHARED_DATA), "--json", *extra],
        env=env, capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_real_ingest_counts_match_pandas_and_are_idempotent(real_workspace: Workspace) -> None:
    require_real_data()
    manifest = real_workspace.manifest()
    assert manifest["synthetic"] is False
    assert manifest["counts"] == expected_counts()
    # Every adapter accounts for every row it read.
    for report in manifest["adapters"]:
        assert report["rows_read"] == report["rows_kept"] + sum(report["dropped"].values())
    # And the warehouse holds what the summary says.
    con = real_workspace.connect()
    assert con.execute("SELECT count(*) FROM order_lines").fetchone() == (manifest["counts"]["order_lines"],)
    assert con.execute("SELECT count(*) FROM orders WHERE customer_id IS NULL").fetchone() == (
        manifest["counts"]["guest_orders"],
    )
    # CustomerIDs are normalised and cancellations are stored with positive quantities.
    assert con.execute("SELECT count(*) FROM customers WHERE customer_id LIKE '%.0'").fetchone() == (0,)
    assert con.execute("SELECT min(quantity) FROM order_lines").fetchone() == (1,)
    con.close()


@pytest.mark.subprocess
def test_second_ingest_gives_identical_counts(tmp_path: Path) -> None:
    require_real_data()
    home = tmp_path / "home"
    first = _ingest(home, "--skip", "all")
    second = _ingest(home, "--skip", "all")
    assert first["counts"] == second["counts"]
    assert len(list((home / "builds").iterdir())) == 1  # the old build was removed after the swap


@pytest.mark.subprocess
def test_sigkill_halfway_leaves_previous_workspace_queryable(tmp_path: Path) -> None:
    require_real_data()
    home = tmp_path / "home"
    env = {**os.environ, "MKA_HOME": str(home), "MKA_LLM": "scripted"}
    subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", "--demo", "--quiet", "--skip", "all"],
                   env=env, check=True, capture_output=True, timeout=300)  # fmt: skip
    ws = Workspace(home)
    before_target = ws.current.resolve()
    con = ws.connect()
    before = con.execute("SELECT count(*), sum(quantity) FROM order_lines").fetchone()
    con.close()

    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ingest", "--data-dir", str(SHARED_DATA), "--quiet"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            builds = [p for p in (home / "builds").iterdir() if p.resolve() != before_target]
            if builds and (builds[0] / "warehouse.duckdb").exists():
                break
            assert proc.poll() is None, "ingest finished before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the new build never started")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)

    assert ws.current.resolve() == before_target
    con = ws.connect()
    assert con.execute("SELECT count(*), sum(quantity) FROM order_lines").fetchone() == before
    con.close()
    # The next ingest clears the half-written build.
    subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", "--demo", "--quiet", "--skip", "all"],
                   env=env, check=True, capture_output=True, timeout=300)  # fmt: skip
    assert len(list((home / "builds").iterdir())) == 1

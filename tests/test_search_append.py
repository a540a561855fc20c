"""`mka ingest --append`: new reviews and orders reach the warehouse and the index without a rebuild."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.settings import Settings, get_settings
from assistant.core.workspace import Workspace, WorkspaceMissingError
from assistant.ingest.append import run_append
from assistant.ingest.errors import IngestError
from tests.helpers.search import context, copy_workspace
from tools.search import SearchProductsInput, SearchReviewsInput, retriever, search_products, search_reviews
from vectorstore.documents import PRODUCTS, REVIEWS

REVIEW_HEADER = ["", "Clothing ID", "Age", "Title", "Review Text", "Rating", "Recommended IND",
                 "Positive Feedback Count", "Division Name", "Department Name", "Class Name"]  # fmt: skip
MARKER = "The velcro strap snapped off the first time I wore it."


def _write_reviews(path: Path, ws: Workspace, n: int) -> list[str]:
    """n new reviews reusing demo texts (cached vectors), plus one with a unique sentence; returns their ids."""
    con = ws.connect(read_only=True)
    rows = con.execute(
        "SELECT product_id, title, body, rating FROM reviews ORDER BY review_id LIMIT ?", [n - 1]
    ).fetchall()
    con.close()
    ids = [f"NEW{i:04d}" for i in range(n)]
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(REVIEW_HEADER)
        for i, (rid, (pid, title, body, rating)) in enumerate(zip(ids, rows, strict=False)):
            # A distinct feedback count: rows equal in every field but the id are dropped as duplicates.
            out.writerow([rid, pid, 30, title, body, rating, 1, 1000 + i, "General", "Dresses", "Dresses"])
        out.writerow([ids[-1], "D101", 40, "Broken strap", MARKER, 1, 0, 3, "General", "Dresses", "Dresses"])
    return ids


def test_appended_reviews_are_searchable_at_once_and_concurrent_searches_lose_nothing(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    ws = copy_workspace(demo_workspace, tmp_path / "home")
    settings = Settings(home=ws.home, llm="scripted")
    ctx = context(ws)
    r = retriever(ctx)
    before = r.count(REVIEWS)
    ids = _write_reviews(tmp_path / "new.csv", ws, 300)

    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                result = search_reviews(SearchReviewsInput(query="velcro strap snapped", k=3), ctx)
                seen.append(result.indexed)
                search_products(SearchProductsInput(query="dress", k=3), ctx)
            except BaseException as exc:  # every failure is collected and asserted on below
                errors.append(exc)
                return

    threads = [threading.Thread(target=keep_searching) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        summary = run_append(tmp_path / "new.csv", settings)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    assert not errors, errors
    assert summary.new_reviews == len(ids) and summary.existing_reviews_skipped == 0
    assert summary.index == "updated" and summary.indexed[REVIEWS] == len(ids)
    assert seen and set(seen) <= {before, before + len(ids)}
    assert seen == sorted(seen)  # a search never sees the index shrink

    # The same context sees the new documents at once, no reload.
    assert r.count(REVIEWS) == before + len(ids)
    for mode in ("hybrid", "lexical", "dense"):
        hit = search_reviews(SearchReviewsInput(query="velcro strap snapped", k=1, mode=mode), ctx).hits[0]
        assert hit.review_id == ids[-1] and hit.quote == MARKER, mode
    con = ws.connect(read_only=True)
    assert con.execute("SELECT count(*) FROM reviews WHERE review_id LIKE 'NEW%'").fetchone() == (len(ids),)
    con.close()

    again = run_append(tmp_path / "new.csv", settings)  # idempotent: nothing new, nothing lost
    assert again.new_reviews == 0 and again.existing_reviews_skipped == len(ids)
    assert again.indexed[REVIEWS] == 0
    assert r.count(REVIEWS) == before + len(ids)
    manifest = ws.manifest()
    assert [a["new_reviews"] for a in manifest["appends"]] == [len(ids), 0]
    ctx.close()


def test_appended_orders_add_new_orders_products_and_index_the_products(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    ws = copy_workspace(demo_workspace, tmp_path / "home")
    con = ws.connect(read_only=True)
    existing_order = con.execute("SELECT order_id FROM orders WHERE status = 'completed' LIMIT 1").fetchone()[0]  # type: ignore[index]
    last_before = con.execute("SELECT value FROM meta WHERE key = 'last_order_at'").fetchone()[0]  # type: ignore[index]
    con.close()
    path = tmp_path / "orders.csv"
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID",
                      "Country"])  # fmt: skip
        out.writerow(["990001", "NEWLAMP", "COPPER MOON TABLE LAMP", "2", "2030-01-05 10:00:00", "24.50", "77001",
                      "France"])  # fmt: skip
        out.writerow(["990002", "D101", "Linen Summer Dress", "1", "2030-01-06 11:00:00", "70.00", "", "France"])
        out.writerow([existing_order, "D101", "Linen Summer Dress", "1", "2024-03-01 09:00:00", "70.00", "", "Spain"])
    summary = run_append(path, Settings(home=ws.home, llm="scripted"))
    assert (summary.new_orders, summary.existing_orders_skipped, summary.new_order_lines) == (2, 1, 2)
    assert (summary.new_customers, summary.new_products) == (1, 1)
    assert summary.indexed == {PRODUCTS: 1, REVIEWS: 0}
    con = ws.connect(read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'last_order_at'").fetchone()[0] > last_before  # type: ignore[index]
    assert con.execute("SELECT first_order_at FROM customers WHERE customer_id = '77001'").fetchone() is not None
    con.close()
    ctx = context(ws)
    hit = search_products(SearchProductsInput(query="copper moon lamp", k=1), ctx).hits[0]
    assert hit.product_id == "NEWLAMP"
    ctx.close()


def test_append_rejects_unknown_files_and_missing_workspaces(demo_workspace: Workspace, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    ws = copy_workspace(demo_workspace, tmp_path / "home")
    with pytest.raises(IngestError, match="unrecognised columns for --append"):
        run_append(odd, Settings(home=ws.home, llm="scripted"))
    with pytest.raises(IngestError, match="file not found"):
        run_append(tmp_path / "nope.csv", Settings(home=ws.home, llm="scripted"))
    with pytest.raises(WorkspaceMissingError, match="mka ingest"):
        run_append(odd, Settings(home=tmp_path / "empty", llm="scripted"))


def test_cli_append_refuses_to_mix_with_a_rebuild(mka_home: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", "--append", str(tmp_path / "x.csv"), "--demo"])
    assert result.exit_code == 1 and "--append cannot be combined" in result.output
    get_settings.cache_clear()


@pytest.mark.subprocess
def test_a_running_process_sees_reviews_appended_by_another(demo_workspace: Workspace, tmp_path: Path) -> None:
    """The UI keeps its retriever open while `mka ingest --append` runs in another process."""
    import os
    import subprocess
    import sys

    ws = copy_workspace(demo_workspace, tmp_path / "home")
    ids = _write_reviews(tmp_path / "new.csv", ws, 5)
    ctx = context(ws)
    r = retriever(ctx)
    before = r.count(REVIEWS)
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", "--append", str(tmp_path / "new.csv"), "--quiet"],
        env={**os.environ, "MKA_HOME": str(ws.home)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert r.count(REVIEWS) == before + len(ids)
    for mode in ("dense", "hybrid", "lexical"):
        hit = search_reviews(SearchReviewsInput(query="velcro strap snapped", k=1, mode=mode), ctx).hits[0]
        assert hit.review_id == ids[-1], mode
    ctx.close()

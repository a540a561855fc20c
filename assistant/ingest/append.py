"""`mka ingest --append FILE`: add new reviews or orders to the current build in place, and to the index.

FILE is a data file in a known format, or a multi-table mapping (`sources:` / `preset:`): then its orders and
reviews are appended together, through the same joins as a full ingest.

No rebuild: the file goes through the same adapter rules as a full ingest, rows whose ids are already in
the warehouse are skipped (so appending a file twice changes nothing), and only the new documents are
embedded and upserted. Products whose reviews changed are re-upserted too, for their review count and
mean rating; their text is unchanged, so the embedding cache makes that free.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
from pydantic import BaseModel, Field
from rich.progress import Progress

from assistant.core.settings import Settings
from assistant.core.workspace import MANIFEST_FILE, Workspace
from assistant.ingest import clothing_reviews, limits, multi_table, online_retail
from assistant.ingest.errors import IngestError
from assistant.ingest.orders import OrderTables
from assistant.ingest.readers import header_fields_any
from assistant.ingest.report import AdapterReport
from assistant.ingest.reviews import ReviewTables
from assistant.ingest.schema import column_names

Kind = Literal["reviews", "orders", "orders and reviews"]


class AppendSummary(BaseModel):
    """What an append added, skipped and indexed."""

    file: str
    kind: Kind
    adapter: AdapterReport
    new_reviews: int = 0
    existing_reviews_skipped: int = 0
    new_orders: int = 0
    existing_orders_skipped: int = 0
    new_order_lines: int = 0
    new_customers: int = 0
    new_products: int = 0
    indexed: dict[str, int] = Field(default_factory=dict)
    index: Literal["updated", "not built"] = "not built"
    seconds: float = 0.0


@contextlib.contextmanager
def _ingest_lock(workspace: Workspace) -> Iterator[None]:
    """The lock a full ingest takes: an append never races a rebuild or another append."""
    with open(workspace.home / ".ingest.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RuntimeError(f"another ingest is running in {workspace.home}; try again when it finishes") from exc
        yield


def _load(path: Path) -> tuple[Kind, list[OrderTables | ReviewTables], AdapterReport]:
    if path.suffix.lower() in (".yaml", ".yml"):
        if not multi_table.is_multi_table(path):
            raise IngestError(path, "--append takes a data file or a multi-table mapping (one with 'sources:')")
        orders, reviews, reports = multi_table.load(path)
        kind: Kind = "orders and reviews" if orders and reviews else "orders" if orders else "reviews"
        report = AdapterReport(adapter=multi_table.NAME, source=str(path))
        for part in reports:
            report.rows_read += part.rows_read
            report.rows_kept += part.rows_kept
            for reason, count in part.dropped.items():
                report.drop(reason, count)
            report.notes += part.notes
        return kind, [*orders, *reviews], report
    fields = header_fields_any(path)[0]
    if clothing_reviews.looks_like(fields):
        review_tables, report = clothing_reviews.load(path)
        return "reviews", [review_tables], report
    if online_retail.looks_like(fields):
        order_tables, report = online_retail.load(path)
        return "orders", [order_tables], report
    raise IngestError(
        path,
        "unrecognised columns for --append: expected the clothing-reviews or the online-retail format "
        f"(header has: {', '.join(f for f in fields if f) or 'nothing'})",
    )


def _insert_new(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, key: str) -> list[str]:
    """Insert rows whose `key` is not yet in `table`; returns the keys inserted."""
    con.register("incoming", frame.reindex(columns=column_names(table)))
    try:
        new = [
            str(r[0])
            for r in con.execute(
                f"SELECT DISTINCT {key} FROM incoming WHERE {key} NOT IN (SELECT {key} FROM {table})"
            ).fetchall()
        ]
        con.execute(f"INSERT INTO {table} SELECT * FROM incoming WHERE {key} NOT IN (SELECT {key} FROM {table})")
    finally:
        con.unregister("incoming")
    return new


def _append_reviews(con: duckdb.DuckDBPyConnection, tables: ReviewTables, out: AppendSummary) -> list[str]:
    """Returns the ids of the products that are new."""
    new_products = _insert_new(con, "products", tables.products, "product_id")
    out.new_products += len(new_products)
    new = _insert_new(con, "reviews", tables.reviews, "review_id")
    out.new_reviews = len(new)
    out.existing_reviews_skipped = len(tables.reviews) - len(new)
    return new_products


def _append_orders(con: duckdb.DuckDBPyConnection, tables: OrderTables, out: AppendSummary) -> list[str]:
    """Returns the ids of the products that are new."""
    new_products = _insert_new(con, "products", tables.products, "product_id")
    out.new_products += len(new_products)
    new_orders = _insert_new(con, "orders", tables.orders, "order_id")
    out.new_orders = len(new_orders)
    out.existing_orders_skipped = len(tables.orders) - len(new_orders)
    lines = tables.order_lines[tables.order_lines["order_id"].isin(set(new_orders))]
    con.register("incoming", lines.reindex(columns=column_names("order_lines")))
    con.execute("INSERT INTO order_lines SELECT * FROM incoming")
    con.unregister("incoming")
    out.new_order_lines = len(lines)
    out.new_customers = len(_insert_new(con, "customers", tables.customers, "customer_id"))
    # A known customer's first completed order may only now exist (earlier ones were all cancelled).
    con.register("incoming", tables.customers)
    con.execute(
        """UPDATE customers SET first_order_at = i.first_order_at FROM incoming i
           WHERE customers.customer_id = i.customer_id AND i.first_order_at IS NOT NULL
             AND (customers.first_order_at IS NULL OR i.first_order_at < customers.first_order_at)"""
    )
    con.unregister("incoming")
    span = con.execute("SELECT min(ordered_at), max(ordered_at) FROM orders").fetchone()
    if span and span[0] is not None:
        for key, value in (("first_order_at", span[0]), ("last_order_at", span[1])):
            con.execute("UPDATE meta SET value = ? WHERE key = ?", [str(value), key])
    return new_products


def _index(
    con: duckdb.DuckDBPyConnection,
    build_path: Path,
    settings: Settings,
    review_ids: list[str],
    product_ids: list[str],
    progress: Progress | None,
) -> dict[str, int]:
    """Upsert the file's reviews missing from the index (so a re-run repairs a failed one) and their products."""
    from vectorstore.documents import REVIEWS
    from vectorstore.encoder import Encoder
    from vectorstore.index import index_warehouse
    from vectorstore.store import VectorStore

    store = VectorStore.open(build_path, settings.chroma_url)
    missing: list[str] = []
    for start in range(0, len(review_ids), 5000):
        chunk = review_ids[start : start + 5000]
        present = set(store.collection(REVIEWS).get(ids=chunk, include=[])["ids"])
        missing += [r for r in chunk if r not in present]
    touched = {str(r[0]) for r in con.execute(
        "SELECT DISTINCT product_id FROM reviews WHERE list_contains(?, review_id)", [missing]
    ).fetchall()}  # fmt: skip
    encoder = Encoder.load(settings.home, batch_size=settings.embed_batch_size)
    try:
        return index_warehouse(
            con, store, encoder, review_ids=missing, product_ids=sorted(touched | set(product_ids)), progress=progress
        )
    finally:
        encoder.close()


def _record_in_manifest(build_path: Path, summary: AppendSummary) -> None:
    path = build_path / MANIFEST_FILE
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    manifest.setdefault("appends", []).append(
        {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), **summary.model_dump(mode="json", exclude={"adapter"})}
    )
    tmp = path.with_name(f".{MANIFEST_FILE}.{os.getpid()}")
    tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def run_append(path: Path, settings: Settings, progress: Progress | None = None) -> AppendSummary:
    """Add the rows of `path` that are new to the current build's warehouse and search index."""
    from vectorstore.index import index_is_built

    started = time.perf_counter()
    workspace = Workspace(settings.home)
    workspace.require_built()
    with limits.applied(limits.from_settings(settings)):
        kind, tables, report = _load(path)
    summary = AppendSummary(file=str(path), kind=kind, adapter=report)
    with _ingest_lock(workspace):
        build_path = workspace.current.resolve()
        try:
            con = duckdb.connect(str(build_path / "warehouse.duckdb"))
        except duckdb.IOException as exc:
            raise RuntimeError(
                f"the warehouse is open in another process, so it cannot be written now ({exc}); "
                "stop that process (e.g. `mka ui`) or append through it"
            ) from exc
        try:
            con.execute("BEGIN TRANSACTION")
            new_products: list[str] = []
            review_ids: list[str] = []
            for part in tables:  # orders first: reviews may name the products they bring
                if isinstance(part, ReviewTables):
                    new_products += _append_reviews(con, part, summary)
                    review_ids += part.reviews["review_id"].astype(str).tolist()
                else:
                    new_products += _append_orders(con, part, summary)
            con.execute("COMMIT")
            if index_is_built(build_path, settings.chroma_url):
                summary.indexed = _index(con, build_path, settings, review_ids, new_products, progress)
                summary.index = "updated"
            con.execute("CHECKPOINT")
        finally:
            con.close()
        summary.seconds = round(time.perf_counter() - started, 2)
        _record_in_manifest(build_path, summary)
    return summary

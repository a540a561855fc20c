"""Ingest: resolve sources, run adapters, write the warehouse, run build steps, swap the build in.

Everything is written into a fresh build directory; only a build that finished is made current.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from pydantic import BaseModel
from rich.progress import Progress

from assistant.core.settings import Settings
from assistant.core.workspace import BuildContext, Workspace
from assistant.ingest import clothing_reviews, demo, generic_csv, limits, multi_table, online_retail
from assistant.ingest.errors import IngestError
from assistant.ingest.orders import OrderTables
from assistant.ingest.readers import header_fields_any
from assistant.ingest.report import AdapterReport, IngestSummary, WarehouseCounts
from assistant.ingest.reviews import ReviewTables
from assistant.ingest.schema import TABLES, column_names, create_statements
from tools.families import build_steps

SCHEMA_VERSION = 1


class Sources(BaseModel):
    """What to ingest. Exactly one way: a data dir, explicit files (+ mapping), a mapping, or the demo."""

    data_dir: Path | None = None
    orders: Path | None = None
    reviews: Path | None = None
    mapping: Path | None = None
    demo: bool = False


def _find(directory: Path, *names: str) -> Path | None:
    for name in names:
        for candidate in (directory / name, directory / (name + ".gz")):
            if candidate.is_file():
                return candidate
    return None


def _header_fields(path: Path) -> list[str]:
    fields = header_fields_any(path)[0]
    if not fields or not any(fields):
        raise IngestError(path, "file is empty (no header line)")
    return fields


_Loaded = tuple[list[OrderTables], list[ReviewTables], list[AdapterReport], bool, pd.DataFrame | None]


def _load_sources(sources: Sources, progress: Progress) -> _Loaded:
    """Tables, reports, whether synthetic, and the shop's campaign contacts (only a multi-table mapping has them)."""
    orders: list[OrderTables] = []
    reviews: list[ReviewTables] = []
    reports: list[AdapterReport] = []

    if sources.demo:
        o, o_rep, r, r_rep = demo.generate()
        return [o], [r], [o_rep, r_rep], True, None

    orders_path, reviews_path, mapping_path = sources.orders, sources.reviews, sources.mapping
    if sources.data_dir is not None:
        d = sources.data_dir
        if not d.is_dir():
            raise IngestError(d, "data directory not found")
        mapping_path = mapping_path or _find(d, "mapping.yaml", "mka-mapping.yaml")
        orders_path = orders_path or _find(d, "online_retail/online_retail.csv", "online_retail.csv")
        reviews_path = reviews_path or _find(
            d, "clothing_reviews/womens_clothing_reviews.csv", "womens_clothing_reviews.csv"
        )
        if not (mapping_path or orders_path or reviews_path):
            raise IngestError(
                d,
                "no known dataset found (expected online_retail/online_retail.csv[.gz], "
                "clothing_reviews/womens_clothing_reviews.csv[.gz] or a mapping.yaml)",
            )

    if mapping_path is not None and multi_table.is_multi_table(mapping_path):
        if sources.orders is not None or sources.reviews is not None:
            raise IngestError(mapping_path, "a multi-table mapping names its own files: drop --orders / --reviews")
        m_orders, m_reviews, m_reports, campaigns = multi_table.load_with_campaigns(mapping_path)
        return m_orders, m_reviews, m_reports, False, campaigns
    mapping = generic_csv.load_mapping(mapping_path) if mapping_path else None
    if orders_path is not None:
        if online_retail.looks_like(_header_fields(orders_path)):
            o_tables, o_report = online_retail.load(orders_path, progress)
        elif mapping is not None and mapping.orders is not None:
            mapping.orders.file = orders_path
            o_tables, o_report = generic_csv.load_orders(mapping_path or orders_path, mapping.orders, progress)
        else:
            raise IngestError(
                orders_path, "unrecognised orders columns; describe them in a mapping file (--mapping FILE)"
            )
        orders.append(o_tables)
        reports.append(o_report)
    elif mapping is not None and mapping.orders is not None and mapping_path is not None:
        o_tables, o_report = generic_csv.load_orders(mapping_path, mapping.orders, progress)
        orders.append(o_tables)
        reports.append(o_report)

    if reviews_path is not None:
        if clothing_reviews.looks_like(_header_fields(reviews_path)):
            r_tables, r_report = clothing_reviews.load(reviews_path, progress)
        elif mapping is not None and mapping.reviews is not None:
            mapping.reviews.file = reviews_path
            r_tables, r_report = generic_csv.load_reviews(mapping_path or reviews_path, mapping.reviews, progress)
        else:
            raise IngestError(
                reviews_path, "unrecognised review columns; describe them in a mapping file (--mapping FILE)"
            )
        reviews.append(r_tables)
        reports.append(r_report)
    elif mapping is not None and mapping.reviews is not None and mapping_path is not None:
        r_tables, r_report = generic_csv.load_reviews(mapping_path, mapping.reviews, progress)
        reviews.append(r_tables)
        reports.append(r_report)

    if not reports:
        raise IngestError(mapping_path or Path("."), "nothing to ingest: give --data-dir, --orders/--reviews or --demo")
    return orders, reviews, reports, False, None


def _frame_for(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reindex(columns=column_names(table))


def write_warehouse(
    con: duckdb.DuckDBPyConnection,
    orders: list[OrderTables],
    reviews: list[ReviewTables],
    campaigns: pd.DataFrame | None = None,
) -> None:
    for statement in create_statements():
        con.execute(statement)
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    for o in orders:
        frames["customers"].append(o.customers)
        frames["orders"].append(o.orders)
        frames["order_lines"].append(o.order_lines)
        frames["products"].append(o.products)
    for r in reviews:
        frames["reviews"].append(r.reviews)
        frames["products"].append(r.products)  # first wins: a reviewed product already sold keeps its data
    if campaigns is not None:
        frames["campaign_contacts"].append(campaigns)
    for table, parts in frames.items():
        if not parts:
            continue
        frame = pd.concat([_frame_for(table, p) for p in parts], ignore_index=True)
        if table == "products":
            frame = frame.drop_duplicates("product_id", keep="first")
        con.register("incoming", frame)
        con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
        con.unregister("incoming")
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")


def warehouse_counts(con: duckdb.DuckDBPyConnection, lines_read: int) -> WarehouseCounts:
    def one(sql: str) -> int:
        row = con.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    return WarehouseCounts(
        lines_read=lines_read,
        customers=one("SELECT count(*) FROM customers"),
        products=one("SELECT count(*) FROM products"),
        completed_orders=one("SELECT count(*) FROM orders WHERE status = 'completed'"),
        cancelled_orders=one("SELECT count(*) FROM orders WHERE status = 'cancelled'"),
        guest_orders=one("SELECT count(*) FROM orders WHERE customer_id IS NULL"),
        order_lines=one("SELECT count(*) FROM order_lines"),
        reviews=one("SELECT count(*) FROM reviews"),
        reviewed_products=one("SELECT count(DISTINCT product_id) FROM reviews"),
    )


def run_ingest(
    sources: Sources,
    settings: Settings,
    progress: Progress,
    skip_steps: frozenset[str] = frozenset(),
) -> IngestSummary:
    """Build a new workspace from `sources` and make it current; raise (leaving the old one) on failure."""
    started = time.perf_counter()
    workspace = Workspace(settings.home)
    with limits.applied(limits.from_settings(settings)):
        orders, reviews, reports, synthetic, campaigns = _load_sources(sources, progress)
    lines_read = sum(r.rows_read for r in reports)
    with workspace.build() as build:
        con = duckdb.connect(str(build.warehouse_path))
        try:
            task = progress.add_task("Writing warehouse", total=1)
            write_warehouse(con, orders, reviews, campaigns)
            counts = warehouse_counts(con, lines_read)
            span = con.execute("SELECT min(ordered_at), max(ordered_at) FROM orders").fetchone()
            first, last = (str(span[0]), str(span[1])) if span and span[0] is not None else (None, None)
            con.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ["schema_version", str(SCHEMA_VERSION)],
                    ["synthetic", str(synthetic).lower()],
                    ["first_order_at", first or ""],
                    ["last_order_at", last or ""],
                ],
            )
            progress.update(task, completed=1)
            ctx = BuildContext(build=build, con=con, settings=settings, progress=progress, synthetic=synthetic)
            step_results: dict[str, dict[str, Any]] = {}
            for name, step in build_steps():  # each tool family's, in dependency order (tools/families.py)
                if name in skip_steps or "all" in skip_steps:
                    step_results[name] = {"skipped": True}
                    continue
                step_results[name] = step(ctx)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        summary = IngestSummary(
            synthetic=synthetic,
            adapters=reports,
            counts=counts,
            first_order_at=first,
            last_order_at=last,
            steps=step_results,
            seconds=round(time.perf_counter() - started, 2),
        )
        build.write_manifest(
            {
                "schema_version": SCHEMA_VERSION,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "sources": sources.model_dump(mode="json"),
                **summary.model_dump(mode="json"),
            }
        )
    return summary

"""`mka bench ingest`: ingest wall time, rows/s and peak RSS per real dataset (flat files), beside a plain pandas
read of the file; and a multi-table figure on a SYNTHETIC normalised export (six sources, joins, reviews per order)."""

from __future__ import annotations

import csv
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer


def register(bench_app: typer.Typer) -> None:
    bench_app.command("ingest")(bench_ingest)


def _run_measured(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall seconds and peak RSS (MB) of one child process, from wait4's rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{' '.join(args)} failed: {stderr.strip()[-500:]}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def _source_rows(directory: Path) -> int:
    """Data rows in every source file of a synthetic export (what the multi-table ingest reads)."""
    import gzip

    import duckdb
    import openpyxl

    total = 0
    for path in directory.iterdir():
        if path.name.endswith((".csv", ".tsv", ".csv.gz")):
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as f:
                total += sum(1 for _ in f) - 1
        elif path.suffix == ".jsonl":
            total += sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        elif path.suffix == ".parquet":
            row = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()
            total += int(row[0]) if row else 0
        elif path.suffix == ".xlsx":
            sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
            total += (sheet.max_row or 1) - 1
    return total


def _multi_table(tmp: Path, env: dict[str, str], orders: int) -> dict[str, Any]:
    from assistant.ingest.synthetic_exports import write_export

    mapping = write_export("normalised", tmp / "normalised", n_orders=orders, seed=11)
    rows = _source_rows(mapping.parent)
    ingest = _run_measured(
        [sys.executable, "-m", "assistant.cli", "ingest", "--mapping", str(mapping), "--skip", "all", "--quiet"], env
    )
    return {
        "export": f"SYNTHETIC normalised, {orders:,} orders, 6 sources (CSV, CSV.gz, Parquet, JSONL, XLSX, TSV)",
        "source_rows": rows,
        "ingest_warehouse_only": ingest,
        "rows_per_second": round(rows / ingest["seconds"]),
    }


def bench_ingest(
    data_dir: Annotated[Path | None, typer.Option(help="Folder with the real datasets (MKA_DATA_DIR).")] = None,
    full: Annotated[bool, typer.Option(help="Also time a full ingest with every build step.")] = True,
    flat: Annotated[bool, typer.Option(help="Time the real flat datasets (needs the data directory).")] = True,
    multi_table_orders: Annotated[
        int, typer.Option(help="Orders in the SYNTHETIC multi-table export timed beside the flat files (0: skip).")
    ] = 50_000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Time `mka ingest` per dataset (warehouse only) and in full, against `pandas.read_csv` of the same file;
    and a multi-table export of the normalised preset's shape."""
    from assistant.core.console import fail, load_settings, print_json
    from bench.common import machine, save_report

    settings = load_settings()
    data_dir = data_dir or settings.data_dir
    if data_dir is None and (flat or full):
        fail("no data directory: pass --data-dir or set MKA_DATA_DIR (or --no-flat --no-full)")
    datasets = (
        {
            "online_retail": ("--orders", data_dir / "online_retail" / "online_retail.csv.gz", "None"),
            "clothing_reviews": ("--reviews", data_dir / "clothing_reviews" / "womens_clothing_reviews.csv.gz", "0"),
        }
        if data_dir is not None and flat
        else {}
    )
    results: dict[str, Any] = {"machine": machine(), "datasets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MKA_HOME": str(Path(tmp) / "home")}
        for name, (flag, path, index_col) in datasets.items():
            if not path.is_file():
                fail(f"{path}: file not found")
            ingest = _run_measured(
                [sys.executable, "-m", "assistant.cli", "ingest", flag, str(path), "--skip", "all", "--quiet"], env
            )
            read_only = _run_measured(
                [
                    sys.executable,
                    "-c",
                    f"import pandas as pd; pd.read_csv({str(path)!r}, index_col={index_col})",
                ],
                env,
            )
            with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
                rows = sum(1 for _ in csv.reader(f)) - 1  # records, not lines: review texts hold newlines
            results["datasets"][name] = {
                "rows_read": rows,
                "rows_per_second": round(rows / ingest["seconds"]),
                "ingest_warehouse_only": ingest,
                "baseline_pandas_read_csv": read_only,
                "ratio_ingest_vs_read": round(ingest["seconds"] / read_only["seconds"], 2),
            }
        if multi_table_orders > 0:
            results["multi_table"] = _multi_table(Path(tmp), env, multi_table_orders)
        if full:
            results["full_ingest_all_steps"] = _run_measured(
                [sys.executable, "-m", "assistant.cli", "ingest", "--data-dir", str(data_dir), "--quiet"], env
            )
    results["report"] = str(save_report(settings.home / "runs", "ingest", results))
    if as_json:
        print_json(results)
        return
    for name, r in results["datasets"].items():
        own = r["ingest_warehouse_only"]
        typer.echo(
            f"{name}: ingest {own['seconds']} s ({r['rows_per_second']:,} rows/s), peak {own['peak_rss_mb']} MB;"
            f" pandas read_csv {r['baseline_pandas_read_csv']['seconds']} s"
            f" (ratio {r['ratio_ingest_vs_read']}x)"
        )
    if "multi_table" in results:
        m = results["multi_table"]
        own = m["ingest_warehouse_only"]
        typer.echo(
            f"multi-table ({m['export']}): {m['source_rows']:,} source rows in {own['seconds']} s"
            f" ({m['rows_per_second']:,} rows/s), peak {own['peak_rss_mb']} MB"
        )
    if full:
        f = results["full_ingest_all_steps"]
        typer.echo(f"full ingest (all steps): {f['seconds']} s, peak {f['peak_rss_mb']} MB")

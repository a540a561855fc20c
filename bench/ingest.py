"""`mka bench ingest`: ingest wall time and peak RSS per real dataset, beside a plain pandas read of the file."""

from __future__ import annotations

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


def bench_ingest(
    data_dir: Annotated[Path | None, typer.Option(help="Folder with the real datasets (MKA_DATA_DIR).")] = None,
    full: Annotated[bool, typer.Option(help="Also time a full ingest with every build step.")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Time `mka ingest` per dataset (warehouse only) and in full, against `pandas.read_csv` of the same file."""
    from assistant.core.console import fail, load_settings, print_json
    from bench.common import machine, save_report

    settings = load_settings()
    data_dir = data_dir or settings.data_dir
    if data_dir is None:
        fail("no data directory: pass --data-dir or set MKA_DATA_DIR")
    datasets = {
        "online_retail": ("--orders", data_dir / "online_retail" / "online_retail.csv.gz", "None"),
        "clothing_reviews": ("--reviews", data_dir / "clothing_reviews" / "womens_clothing_reviews.csv.gz", "0"),
    }
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
            results["datasets"][name] = {
                "ingest_warehouse_only": ingest,
                "baseline_pandas_read_csv": read_only,
                "ratio_ingest_vs_read": round(ingest["seconds"] / read_only["seconds"], 2),
            }
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
            f"{name}: ingest {own['seconds']} s, peak {own['peak_rss_mb']} MB;"
            f" pandas read_csv {r['baseline_pandas_read_csv']['seconds']} s"
            f" (ratio {r['ratio_ingest_vs_read']}x)"
        )
    if full:
        f = results["full_ingest_all_steps"]
        typer.echo(f"full ingest (all steps): {f['seconds']} s, peak {f['peak_rss_mb']} MB")

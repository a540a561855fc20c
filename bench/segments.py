"""`mka bench segments`: RFM + segment assignment in DuckDB vs a straightforward pandas version, and K-Means.

Both RFM versions run in this process on the same warehouse tables and must agree customer by customer;
pandas gets its frames already in memory (loading them is not timed), DuckDB reads the warehouse file.
"""

from __future__ import annotations

import importlib
from datetime import date
from functools import partial
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer


def register(bench_app: typer.Typer) -> None:
    bench_app.command("segments")(bench_segments)


def pandas_rfm(orders: pd.DataFrame, lines: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The same definitions as tools/segments/rfm.py, written plainly in pandas."""
    from tools.segments.rfm import segment_of

    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    done = orders[(orders["status"] == "completed") & orders["customer_id"].notna() & (orders["ordered_at"] < cutoff)]
    merged = lines.merge(done[["order_id", "customer_id", "ordered_at"]], on="order_id")
    merged["amount"] = merged["quantity"] * merged["unit_price"]
    per_order = merged.groupby(["order_id", "customer_id", "ordered_at"], as_index=False)["amount"].sum()
    c = per_order.groupby("customer_id").agg(
        frequency=("order_id", "count"), monetary=("amount", "sum"), last_order_at=("ordered_at", "max")
    )
    c["monetary"] = c["monetary"].round(3)  # equal spends tie exactly, whatever the summation order
    c["recency_days"] = (pd.Timestamp(as_of) - c["last_order_at"].dt.normalize()).dt.days
    n = len(c)
    for column, ascending, score in (
        ("recency_days", False, "r_score"),
        ("frequency", True, "f_score"),
        ("monetary", True, "m_score"),
    ):
        rank = c[column].rank(method="min", ascending=ascending).astype("int64")
        c[score] = 1 + (5 * (rank - 1)) // n
    c["fm_score"] = (c["f_score"] + c["m_score"] + 1) // 2
    c["segment"] = [segment_of(int(r), int(fm)).value for r, fm in zip(c["r_score"], c["fm_score"], strict=True)]
    return c.reset_index()


def _sample_specs() -> dict[str, Any]:
    from tools.segments import SegmentSpec

    return {
        "champions by country": SegmentSpec(segments=["champions"], group_by="country"),
        "bought category, by segment": SegmentSpec(bought_category="Christmas", group_by="segment"),
        "lapsed frequent buyers": SegmentSpec(recency_days_min=180, frequency_min=6, group_by="month"),
        "as_of mid-year (live RFM)": SegmentSpec(as_of=date(2011, 6, 30), segments=["at_risk"]),
    }


def bench_segments(
    repeat: Annotated[int, typer.Option(help="Warm runs per measurement (best is reported).")] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Time RFM + segments (DuckDB vs pandas, same process, same data), K-Means, and typical segment queries."""
    for module in ("sklearn.cluster", "sklearn.metrics"):  # import cost is not K-Means time
        importlib.import_module(module)

    from assistant.core.console import fail, load_settings, print_json
    from assistant.core.settings import Settings
    from assistant.core.workspace import Workspace
    from bench.common import best_of, machine, peak_rss_mb, save_report
    from tools.context import ToolContext
    from tools.segments import SegmentQueryError, segment_query
    from tools.segments.clusters import fit_clusters
    from tools.segments.query import data_span
    from tools.segments.rfm import RFM_SELECT

    settings: Settings = load_settings()
    workspace = Workspace(settings.home)
    if not workspace.is_built():
        fail(f"no workspace at {settings.home}: run `mka ingest` first")
    manifest = workspace.manifest()
    con = workspace.connect(read_only=True)
    con.execute("SET threads = 2")
    as_of = data_span(con).last
    order_lines = int(con.execute("SELECT count(*) FROM order_lines").fetchone()[0])  # type: ignore[index]

    def duck() -> pd.DataFrame:
        return con.execute(RFM_SELECT, {"as_of": as_of}).df()

    duck()  # warm: file pages and plan cache
    orders = con.execute("SELECT order_id, customer_id, ordered_at, status FROM orders").df()
    lines = con.execute("SELECT order_id, quantity, unit_price FROM order_lines").df()
    # Interleaved, best of each: on a shared machine both see the same load.
    duck_s = pandas_s = float("inf")
    for _ in range(repeat):
        seconds, duck_rfm = best_of(duck, 1)
        duck_s = min(duck_s, seconds)
        seconds, pandas_result = best_of(lambda: pandas_rfm(orders, lines, as_of), 1)
        pandas_s = min(pandas_s, seconds)
    joined = duck_rfm.merge(pandas_result, on="customer_id", suffixes=("", "_pd"), how="outer", indicator=True)
    disagree = int(
        ((joined["_merge"] != "both") | (joined["segment"] != joined["segment_pd"])).sum()
        + (~np.isclose(joined["monetary"], joined["monetary_pd"], rtol=0, atol=1e-6)).sum()
    )
    fit_clusters(duck_rfm, str(as_of))  # warm
    kmeans_s, (model, _labels) = best_of(lambda: fit_clusters(duck_rfm, str(as_of)), 1)

    ctx = ToolContext.from_settings(settings)
    queries: dict[str, Any] = {}
    for name, spec in _sample_specs().items():
        try:
            seconds, result = best_of(partial(segment_query, spec, ctx), max(1, min(repeat, 3)))
            queries[name] = {"ms": round(seconds * 1000, 1), "customers": result.customers}
        except SegmentQueryError as exc:  # e.g. the demo shop has no 'Christmas' category
            queries[name] = {"skipped": str(exc)}
    ctx.close()
    con.close()

    adapters = manifest.get("adapters", [])
    results: dict[str, Any] = {
        "machine": machine(),
        "synthetic": manifest.get("synthetic"),
        "raw_order_lines_read": sum(a["rows_read"] for a in adapters if a.get("adapter") != "clothing-reviews"),
        "warehouse_order_lines": order_lines,
        "customers": len(duck_rfm),
        "as_of": str(as_of),
        "rfm_duckdb_s": round(duck_s, 4),
        "rfm_runs": repeat,
        "rfm_pandas_s": round(pandas_s, 4),
        "speedup_vs_pandas": round(pandas_s / duck_s, 2),
        "rfm_disagreements": disagree,
        "kmeans": {
            "seconds": round(kmeans_s, 2),
            "k": model.k,
            "silhouette": model.silhouette,
            "silhouette_by_k": model.silhouette_by_k,
            "profiles": [f"{p.cluster}: {p.label} ({p.customers})" for p in model.profiles],
        },
        "segment_query": queries,
        "peak_rss_mb": peak_rss_mb(),
    }
    results["report"] = str(save_report(settings.home / "runs", "segments", results))
    if as_json:
        print_json(results)
        return
    typer.echo(
        f"RFM + segments over {order_lines:,} order lines ({len(duck_rfm):,} customers): DuckDB {duck_s:.3f} s, "
        f"pandas {pandas_s:.3f} s ({results['speedup_vs_pandas']}x); disagreements {disagree}"
    )
    typer.echo(f"K-Means: {kmeans_s:.2f} s, k={model.k}, silhouette {model.silhouette}")
    for name, q in queries.items():
        typer.echo(f"segment_query {name}: {q}")

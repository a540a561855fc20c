"""Build step: store RFM scores/segments and K-Means clusters in the new warehouse, and the model as JSON.

Tables written: customer_rfm (one row per customer with a completed order, as of the data's last order
date), customer_clusters (customer_id, cluster) and cluster_profiles. Model: models/segments/kmeans.json.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pandas as pd

from tools.segments.clusters import fit_clusters
from tools.segments.rfm import RFM_SELECT

if TYPE_CHECKING:
    from assistant.core.workspace import BuildContext

MODEL_DIR = "segments"
MODEL_FILE = "kmeans.json"


def build_step(ctx: BuildContext) -> dict[str, Any]:
    started = time.perf_counter()
    con = ctx.con
    task = ctx.progress.add_task("Customer segments (RFM, K-Means)", total=3)
    row = con.execute("SELECT value FROM meta WHERE key = 'last_order_at'").fetchone()
    if row is None or not row[0]:
        ctx.progress.update(task, completed=3)
        return {"customers": 0, "note": "no orders: no segments"}
    as_of = str(row[0])[:10]
    con.execute(f"CREATE TABLE customer_rfm AS {RFM_SELECT}", {"as_of": as_of})
    rfm = con.execute("SELECT * FROM customer_rfm ORDER BY customer_id").df()
    ctx.progress.advance(task)
    summary: dict[str, Any] = {
        "as_of": as_of,
        "customers": len(rfm),
        "segments": {str(k): int(v) for k, v in rfm["segment"].value_counts().items()},
    }
    if len(rfm) < 10:
        ctx.progress.update(task, completed=3)
        return {**summary, "clusters": None, "note": "too few customers to cluster"}
    model, labels = fit_clusters(rfm, as_of)
    ctx.progress.advance(task)
    clusters = pd.DataFrame({"customer_id": rfm["customer_id"].astype(str), "cluster": labels.astype("int32")})
    profiles = pd.DataFrame([p.model_dump() for p in model.profiles])
    for table, frame in (("customer_clusters", clusters), ("cluster_profiles", profiles)):
        con.register("incoming", frame)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming")
        con.unregister("incoming")
    out = ctx.build.models_dir / MODEL_DIR
    out.mkdir(parents=True, exist_ok=True)
    (out / MODEL_FILE).write_text(model.model_dump_json(indent=2), encoding="utf-8")
    ctx.progress.advance(task)
    return {
        **summary,
        "k": model.k,
        "silhouette": model.silhouette,
        "silhouette_by_k": model.silhouette_by_k,
        "seconds": round(time.perf_counter() - started, 2),
    }

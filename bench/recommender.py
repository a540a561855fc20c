"""`mka bench recommender`: every model trained before a cutoff, tested on what returning customers bought after.

Popularity, seasonal popularity, item-kNN, EASE, next-period EASE, ALS, content and the hybrid run side by
side in one process on the same split, under two protocols (all / new), with full ranking over every
product known at the cutoff. Also times training, model loading and single recommendation calls.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer


def register(bench_app: typer.Typer) -> None:
    bench_app.command("recommender")(bench_recommender)


def _latency(settings: Any, customer_ids: list[str], basket_ids: list[str]) -> dict[str, Any]:
    """Load time of the workspace's trained models and p50/p95 of single tool calls."""
    import numpy as np

    from tools.context import ToolContext
    from tools.recommend.tool import RecommendProductsInput, load_recommender, recommend_products

    ctx = ToolContext.from_settings(settings)
    if not (ctx.workspace.models_dir / "recommender" / "recommender.json").is_file():
        return {"measured": False, "why": "no recommender in the workspace: run `mka ingest` first"}
    loads = []
    for _ in range(3):
        start = time.perf_counter()
        load_recommender(ctx)
        loads.append(time.perf_counter() - start)
    recommend_products(RecommendProductsInput(customer_id=customer_ids[0]), ctx)  # warm the context
    calls: list[float] = []
    requests = [RecommendProductsInput(customer_id=c) for c in customer_ids]
    requests += [RecommendProductsInput(product_ids=[p]) for p in basket_ids]
    for request in requests:
        start = time.perf_counter()
        recommend_products(request, ctx)
        calls.append((time.perf_counter() - start) * 1000)
    ctx.close()
    return {
        "measured": True,
        "load_seconds_best_of_3": round(min(loads), 3),
        "calls": len(calls),
        "call_ms_p50": round(float(np.percentile(calls, 50)), 2),
        "call_ms_p95": round(float(np.percentile(calls, 95)), 2),
    }


def bench_recommender(
    cutoff: Annotated[str, typer.Option(help="Train before this date (YYYY-MM-DD); test after it.")] = "2011-09-01",
    k: Annotated[int, typer.Option(min=1, max=100, help="Cut-off rank for the metrics.")] = 10,
    dump: Annotated[
        Path | None, typer.Option(help="Write the hybrid's top-k per test customer (new protocol) as JSON lines.")
    ] = None,
    latency: Annotated[bool, typer.Option(help="Also time loading and calls on the workspace's models.")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Recall/NDCG/HitRate@k and coverage of every recommender and the hybrid, with training times."""
    import numpy as np

    from assistant.core.console import fail, load_settings, print_json
    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from bench.common import machine, peak_rss_mb, save_report
    from tools.recommend.catalogue import embed_catalogue
    from tools.recommend.data import load_events, load_products
    from tools.recommend.evaluate import evaluate_scores, make_split, top_k
    from tools.recommend.train import SINGLE_MODELS, train_recommender
    from vectorstore.embeddings import load_embedder

    settings = load_settings()
    try:
        cut = datetime.fromisoformat(cutoff)
    except ValueError:
        fail(f"--cutoff: '{cutoff}' is not a date (YYYY-MM-DD)")
    try:
        con = Workspace(settings.home).connect(read_only=True)
    except WorkspaceMissingError as exc:
        fail(str(exc))
    events, products = load_events(con), load_products(con)
    con.close()
    if events.empty:
        fail("no completed orders from known customers in the warehouse")
    first, last = events["ordered_at"].min(), events["ordered_at"].max()
    if not first < cut <= last:
        fail(f"--cutoff {cutoff} must fall inside the orders ({first:%Y-%m-%d} .. {last:%Y-%m-%d})")

    sold_before = events.loc[events["ordered_at"] < cut, "product_id"].unique()
    embedder = load_embedder(threads=2)
    embed_start, cpu_start = time.perf_counter(), time.process_time()
    catalogue = embed_catalogue(products[products["product_id"].isin(sold_before)], embedder)
    embed_seconds = time.perf_counter() - embed_start
    fit_start = time.perf_counter()
    rec = train_recommender(events, cut, catalogue)
    train_seconds = embed_seconds + time.perf_counter() - fit_start  # loading the embedder itself is not training
    train_cpu_seconds = time.process_time() - cpu_start  # CPU time of all threads: honest on a busy machine

    split = make_split(events, cut)
    if not np.array_equal(split.train.item_ids, rec.interactions.item_ids):
        raise RuntimeError("training and test splits disagree on the product index")
    history = split.train.binary[split.test_rows]
    results: dict[str, Any] = {}
    scorers: dict[str, Any] = {name: rec.models[name] for name in SINGLE_MODELS} | {"hybrid": rec.hybrid}
    hybrid_scores = None
    for name, model in scorers.items():
        start = time.perf_counter()
        scores = model.score(history)
        score_ms = (time.perf_counter() - start) * 1000 / max(len(split.test_rows), 1)
        row: dict[str, Any] = {
            "train_seconds": rec.train_seconds.get(name),
            "score_ms_per_customer": round(score_ms, 3),
        }
        for protocol in ("all", "new"):
            row[protocol] = evaluate_scores(scores, split, protocol, k)[0].model_dump()
        results[name] = row
        if name == "hybrid":
            hybrid_scores = scores
    results["content"]["train_seconds"] = round(embed_seconds, 2)
    singles = {n: results[n]["new"]["ndcg"] for n in SINGLE_MODELS}
    best_single = max(singles, key=lambda n: singles[n])
    hybrid_ndcg = results["hybrid"]["new"]["ndcg"]

    def ratio(baseline: float) -> float | None:
        return round(hybrid_ndcg / baseline, 3) if baseline else None

    report: dict[str, Any] = {
        "machine": machine(),
        "cutoff": cutoff,
        "k": k,
        "train_customers": split.train.n_users,
        "products_known_at_cutoff": split.train.n_items,
        "test_customers": {p: int((split.target_sizes[p] > 0).sum()) for p in ("all", "new")},
        "targets_unknown_at_cutoff_share": {
            p: round(1 - sum(len(t) for t in split.targets[p]) / max(int(split.target_sizes[p].sum()), 1), 4)
            for p in ("all", "new")
        },
        "models": results,
        "hybrid_weights": {n: w for n, w in rec.tuning.weights.items() if w},
        "hybrid_tuning": rec.tuning.model_dump(),
        "new_protocol": {
            "best_single_model": best_single,
            "hybrid_vs_best_single_ndcg": ratio(singles[best_single]),
            "hybrid_vs_popularity_ndcg": ratio(singles["popularity"]),
        },
        "training_seconds_all_models": round(train_seconds, 1),
        "training_cpu_seconds_all_models": round(train_cpu_seconds, 1),
        "training_seconds_detail": {**rec.train_seconds, "content_embeddings": round(embed_seconds, 2)},
        "peak_rss_mb": peak_rss_mb(),
    }
    if dump is not None and hybrid_scores is not None:
        ranked = top_k(hybrid_scores, k, exclude=history)
        with dump.open("w", encoding="utf-8") as out:
            for row_index, ranking in zip(split.test_rows, ranked, strict=True):
                items = [str(split.train.item_ids[i]) for i in ranking]
                out.write(json.dumps({"customer_id": str(split.train.user_ids[row_index]), "items": items}) + "\n")
        report["dump"] = str(dump)
    if latency:
        rng = np.random.default_rng(0)
        user_ids, item_ids = split.train.user_ids, split.train.item_ids
        customers = [str(c) for c in rng.choice(user_ids, size=min(200, len(user_ids)), replace=False)]
        baskets = [str(p) for p in rng.choice(item_ids, size=min(50, len(item_ids)), replace=False)]
        report["latency"] = _latency(settings, customers, baskets)
    report["report"] = str(save_report(settings.home / "runs", "recommender", report))
    if as_json:
        print_json(report)
        return
    typer.echo(f"cutoff {cutoff}, k={k}, test customers {report['test_customers']}")
    header = f"{'model':22s} {'NDCG new':>9s} {'Recall new':>10s} {'HR new':>7s} {'NDCG all':>9s} {'cov new':>8s}"
    typer.echo(header + " train s")
    for name, r in results.items():
        n, a = r["new"], r["all"]
        typer.echo(
            f"{name:22s} {n['ndcg']:9.4f} {n['recall']:10.4f} {n['hit_rate']:7.3f} {a['ndcg']:9.4f} "
            f"{n['coverage']:8.3f} {r['train_seconds']}"
        )
    typer.echo(f"hybrid weights: {report['hybrid_weights']}")
    typer.echo(f"new protocol: {report['new_protocol']}; training all models {report['training_seconds_all_models']} s")
    if "latency" in report:
        typer.echo(f"latency: {report['latency']}")

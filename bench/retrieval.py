"""`mka bench retrieval`: quality of dense vs lexical vs hybrid, indexing throughput vs raw MiniLM, query latency.

All on the current workspace's index, in one run:
- Recall@10 and MRR@10 of the three rankers on a labelled query set (bench/retrieval_queries.py).
- Indexing throughput of every review document through our store (encode + cache + Chroma upsert) against
  a plain `SentenceTransformer.encode` of the same texts, same model, batch and truncation.
- Latency of a full search (encode + search + filters), p50/p95, on the real index and on a copy scaled
  to `--scale` vectors by replicating the real vectors with small Gaussian noise.
- The query encoder: the numpy MiniLM a chat process uses against sentence-transformers on one thread (the
  path it replaced), same queries: p50 per query, the lowest cosine between their vectors, and the peak RSS
  of a fresh process that loads each and embeds one query.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from bench.retrieval_queries import Query, build_queries
from vectorstore.filters import Condition
from vectorstore.retriever import MODES, Retriever

NOISE_SIGMA = 0.005  # per dimension: a replica stays near its original (cosine ~0.99) but is a distinct vector


def register(bench_app: typer.Typer) -> None:
    bench_app.command("retrieval")(bench_retrieval)


def _quality(retriever: Retriever, queries: list[Query]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode in MODES:
        ranks: dict[str, list[int | None]] = {}
        held_out: list[int | None] = []
        for i, q in enumerate(queries):
            ids = [r.id for r in retriever.search(q.kind, q.text, 10, mode=mode)]
            rank = ids.index(q.relevant) + 1 if q.relevant in ids else None
            ranks.setdefault(q.source, []).append(rank)
            if i % 2:
                held_out.append(rank)
        ranks["all"] = [r for source in list(ranks) for r in ranks[source]]
        # The fusion weights (vectorstore/fusion.py) were chosen on the even-indexed queries: this is the rest.
        ranks["held_out_odd"] = held_out
        out[mode] = {
            source: {
                "queries": len(rs),
                "recall_at_10": round(sum(r is not None for r in rs) / len(rs), 4),
                "mrr_at_10": round(sum(1 / r for r in rs if r is not None) / len(rs), 4),
            }
            for source, rs in ranks.items()
        }
    return out


def _percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def _latency(retriever: Retriever, texts: list[str]) -> dict[str, Any]:
    from vectorstore.documents import REVIEWS

    cases: dict[str, tuple[str, list[Condition]]] = {m: (m, []) for m in MODES}
    cases["hybrid+filter(rating<=2)"] = ("hybrid", [Condition("rating", "lte", 2)])
    cases["dense+filter(rating<=2)"] = ("dense", [Condition("rating", "lte", 2)])
    for text in texts[:5]:  # warm-up: model, HNSW pages, lexical mirror
        retriever.search(REVIEWS, text, 10)
    out: dict[str, Any] = {"queries": len(texts)}
    for name, (mode, conditions) in cases.items():
        samples = []
        for text in texts:
            start = time.perf_counter()
            retriever.search(REVIEWS, text, 10, conditions, mode)  # type: ignore[arg-type]
            samples.append(time.perf_counter() - start)
        out[name] = _percentiles(samples)
    return out


def _throughput(con: Any, retriever: Retriever, limit: int, batch_size: int) -> dict[str, Any]:
    from vectorstore.cache import EmbeddingCache
    from vectorstore.documents import REVIEWS, review_documents
    from vectorstore.embeddings import embed_texts
    from vectorstore.encoder import Encoder
    from vectorstore.index import index_documents
    from vectorstore.store import VectorStore

    docs = review_documents(con)
    docs = docs[:limit] if limit else docs
    texts = [d.text for d in docs]
    model = retriever.encoder.model
    embed_texts(model, texts[:batch_size], batch_size)  # warm-up
    start = time.perf_counter()
    embed_texts(model, texts, batch_size)
    raw = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build"
        store = VectorStore.open(build, None, create=True)
        cold_cache = EmbeddingCache(Path(tmp) / "cache.sqlite")  # everything gets embedded
        encoder = Encoder(lambda: model, cold_cache, batch_size)
        start = time.perf_counter()
        index_documents(store, encoder, REVIEWS, docs)
        ours = time.perf_counter() - start
        encoder.close()
    return {
        "texts": len(texts),
        "raw_minilm_encode": {"seconds": round(raw, 2), "texts_per_s": round(len(texts) / raw, 1)},
        "store_indexing": {"seconds": round(ours, 2), "texts_per_s": round(len(texts) / ours, 1)},
        "ratio_store_vs_raw": round(raw / ours, 3),
    }


def _scaled(retriever: Retriever, scale: int, texts: list[str]) -> dict[str, Any]:
    from vectorstore.documents import REVIEWS, Document, Metadata
    from vectorstore.store import FETCH_PAGE, SEQ, VectorStore

    col = retriever.store.collection(REVIEWS)
    ids: list[str] = []
    documents: list[str] = []
    metas: list[Metadata] = []
    parts: list[np.ndarray] = []
    while True:  # paged, as in VectorStore.fetch
        got = col.get(include=["embeddings", "documents", "metadatas"], limit=FETCH_PAGE, offset=len(ids))
        ids += list(got["ids"])
        documents += [d or "" for d in (got["documents"] or [])]
        metas += [
            {k: v for k, v in dict(m).items() if k != SEQ and isinstance(v, str | int | float | bool)}
            for m in (got["metadatas"] or [])
        ]
        parts.append(np.asarray(got["embeddings"], dtype=np.float32).reshape(-1, 384))
        if len(got["ids"]) < FETCH_PAGE:
            break
    vectors = np.vstack(parts)
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        store = VectorStore.open(Path(tmp) / "build", None, create=True)
        start = time.perf_counter()
        written, copy = 0, 0
        while written < scale:
            take = min(len(ids), scale - written)
            block = vectors[:take]
            if copy:
                block = block + rng.normal(0, NOISE_SIGMA, block.shape).astype(np.float32)
                block /= np.linalg.norm(block, axis=1, keepdims=True)
            suffix = f"~{copy}" if copy else ""
            batch = store.max_batch()
            for s in range(0, take, batch):
                chunk = [
                    Document(ids[i] + suffix, documents[i] or "", metas[i]) for i in range(s, min(s + batch, take))
                ]
                store.upsert(REVIEWS, chunk, block[s : s + len(chunk)])
            written += take
            copy += 1
        add_seconds = time.perf_counter() - start
        scaled = Retriever(store, retriever.encoder)
        result = {"vectors": store.count(REVIEWS), "add_seconds": round(add_seconds, 1)}
        result.update(_latency(scaled, texts))
    return result


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork + exec, so a child would report this process's peak.
_RSS_PROBE = """
import re, sys
from vectorstore.encoder import Encoder
encoder = Encoder.load(None)
if sys.argv[1] == "numpy":
    encoder.encode_query("runs small")
else:
    encoder.encode(["runs small"])
status = open("/proc/self/status").read()
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024)
"""


def _query_encoders(encoder: Any, texts: list[str]) -> dict[str, Any]:
    import subprocess
    import sys

    import torch

    from vectorstore.embeddings import embed_texts

    def reference(text: str) -> np.ndarray:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # what encode_query did before the numpy port: a query is too small to split
        try:
            return embed_texts(encoder.model, [text], batch_size=1)[0]
        finally:
            torch.set_num_threads(threads)

    timings: dict[str, list[float]] = {"numpy": [], "sentence_transformers": []}
    cosines = []
    encoder.encode_query(texts[0]), reference(texts[0])  # loaded and warm before anything is timed
    for text in texts:
        start = time.perf_counter()
        ours = encoder.encode_query(text)
        middle = time.perf_counter()
        theirs = reference(text)
        timings["numpy"].append((middle - start) * 1000)
        timings["sentence_transformers"].append((time.perf_counter() - middle) * 1000)
        cosines.append(float(ours @ theirs))
    rss = {}
    for kind in ("numpy", "sentence_transformers"):
        out = subprocess.run(
            [sys.executable, "-c", _RSS_PROBE, kind], capture_output=True, text=True, check=True
        ).stdout.split()
        rss[kind] = round(float(out[-1]), 1)
    p50 = {k: float(np.percentile(v, 50)) for k, v in timings.items()}
    return {
        "queries": len(texts),
        "p50_ms": {k: round(v, 2) for k, v in p50.items()},
        "speedup_p50": round(p50["sentence_transformers"] / p50["numpy"], 1),
        "min_cosine": round(min(cosines), 6),
        "fresh_process_peak_rss_mb": rss,
        "rss_saved_mb": round(rss["sentence_transformers"] - rss["numpy"], 1),
    }


def bench_retrieval(
    scale: Annotated[int, typer.Option(help="Vectors in the scaled latency test (0 to skip).")] = 100_000,
    throughput_texts: Annotated[
        int, typer.Option(help="Review texts for the throughput test (0 = all, -1 to skip).")
    ] = 0,
    latency_queries: Annotated[int, typer.Option(help="Queries timed per case.")] = 200,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Recall@10/MRR of dense, lexical and hybrid; indexing throughput vs raw MiniLM; latency at 23k and --scale."""
    from assistant.core.console import fail, load_settings, print_json
    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from bench.common import machine, peak_rss_mb, save_report
    from vectorstore.encoder import Encoder
    from vectorstore.store import IndexUnavailableError

    settings = load_settings()
    ws = Workspace(settings.home)
    try:
        ws.require_built()
        retriever = Retriever.open(
            ws.current.resolve(), settings.chroma_url, Encoder.load(None, settings.embed_batch_size)
        )
        con = ws.connect(read_only=True)
    except (WorkspaceMissingError, IndexUnavailableError) as exc:
        fail(str(exc))
    started = time.perf_counter()
    queries = build_queries(con)
    if not queries:
        fail("no labelled queries could be built from this workspace (no unique review titles or product names)")
    results: dict[str, Any] = {"machine": machine(), "index": retriever.store.location}
    results["query_set"] = {
        "queries": len(queries),
        "by_source": {s: sum(q.source == s for q in queries) for s in sorted({q.source for q in queries})},
        "method": "bench/retrieval_queries.py (seeded)",
    }
    results["quality"] = _quality(retriever, queries)
    # Timed against the reviews collection: review titles, else (a shop without titles) the other queries.
    review_texts = ([q.text for q in queries if q.source == "review-title"] or [q.text for q in queries])[
        :latency_queries
    ]
    results["latency_real"] = {"vectors": retriever.count("reviews"), **_latency(retriever, review_texts)}
    results["query_encoder"] = _query_encoders(retriever.encoder, review_texts)
    if throughput_texts >= 0:
        results["throughput"] = _throughput(con, retriever, throughput_texts, settings.embed_batch_size)
    if scale > 0:
        results["latency_scaled"] = _scaled(retriever, scale, review_texts)
    con.close()
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["peak_rss_mb"] = peak_rss_mb()
    results["report"] = str(save_report(ws.runs_dir, "retrieval", results))
    if as_json:
        print_json(results)
        return
    for mode, by_source in results["quality"].items():
        a = by_source["all"]
        typer.echo(f"{mode:8s} recall@10 {a['recall_at_10']:.3f}  MRR {a['mrr_at_10']:.3f}  ({a['queries']} queries)")
    if "throughput" in results:
        t = results["throughput"]
        typer.echo(
            f"indexing {t['store_indexing']['texts_per_s']} texts/s vs raw encode "
            f"{t['raw_minilm_encode']['texts_per_s']} ({t['ratio_store_vs_raw']}x)"
        )
    q = results["query_encoder"]
    rss = q["fresh_process_peak_rss_mb"]
    typer.echo(
        f"query encoder: numpy p50 {q['p50_ms']['numpy']} ms vs sentence-transformers "
        f"{q['p50_ms']['sentence_transformers']} ms ({q['speedup_p50']}x), min cosine {q['min_cosine']}, "
        f"fresh process {rss['numpy']} vs {rss['sentence_transformers']} MB"
    )
    for key in ("latency_real", "latency_scaled"):
        if key in results:
            r = results[key]
            typer.echo(f"{key} at {r['vectors']:,} vectors: hybrid p50 {r['hybrid']['p50_ms']} ms, "
                       f"p95 {r['hybrid']['p95_ms']} ms; dense p50 {r['dense']['p50_ms']} ms")  # fmt: skip

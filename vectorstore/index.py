"""Writing products and reviews into the store: the ingest build step and the incremental path for appends."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from vectorstore.documents import PRODUCTS, REVIEWS, Document, has_table, product_documents, review_documents
from vectorstore.encoder import Encoder
from vectorstore.store import VectorStore

if TYPE_CHECKING:
    from assistant.core.workspace import BuildContext


def index_documents(
    store: VectorStore,
    encoder: Encoder,
    kind: str,
    docs: list[Document],
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Embed (cache first) and upsert `docs` in store-sized batches; returns how many were written."""
    batch = store.max_batch()
    for start in range(0, len(docs), batch):
        chunk = docs[start : start + batch]
        vectors = encoder.encode([d.text for d in chunk], on_batch=on_progress)
        store.upsert(kind, chunk, vectors)
    return len(docs)


def index_warehouse(
    con: duckdb.DuckDBPyConnection,
    store: VectorStore,
    encoder: Encoder,
    review_ids: list[str] | None = None,
    product_ids: list[str] | None = None,
    progress: Any = None,
) -> dict[str, int]:
    """Index all products and reviews of the warehouse, or only the given ids (an append)."""
    counts: dict[str, int] = {}
    for kind, docs in (
        (PRODUCTS, product_documents(con, product_ids)),
        (REVIEWS, review_documents(con, review_ids)),
    ):
        if progress is not None:
            task = progress.add_task(f"Indexing {kind}", total=len(docs))

            def advance(n: int, task: Any = task) -> None:
                progress.advance(task, n)

            counts[kind] = index_documents(store, encoder, kind, docs, advance)
        else:
            counts[kind] = index_documents(store, encoder, kind, docs)
    return counts


def build_step(ctx: BuildContext) -> dict[str, Any]:
    """Ingest step: embed every product and review into the new build's store (`mka ingest --skip index`)."""
    started = time.perf_counter()
    store = VectorStore.open(ctx.build.path, ctx.settings.chroma_url, create=True)
    for kind in (PRODUCTS, REVIEWS):
        store.collection(kind, create=True)  # present even when empty, so searches say "no hits", not "missing"
    encoder = Encoder.load(ctx.settings.home, batch_size=ctx.settings.embed_batch_size)
    try:
        counts = index_warehouse(ctx.con, store, encoder, progress=ctx.progress)
    finally:
        encoder.close()
    total_reviews = ctx.con.execute("SELECT count(*) FROM reviews").fetchone()
    current = ctx.settings.home / "current"
    keep = {ctx.build.path.name} | ({current.resolve().name} if current.exists() else set())
    return {
        "store": "server" if store.server else "embedded",
        "products": counts[PRODUCTS],
        "reviews": counts[REVIEWS],
        "reviews_without_text": int(total_reviews[0] if total_reviews else 0) - counts[REVIEWS],
        "embedded": encoder.encoded,
        "from_cache": encoder.reused,
        "sentiment_labels": has_table(ctx.con, "review_sentiment"),
        "dropped_server_collections": len(store.drop_other_builds(keep)),
        "seconds": round(time.perf_counter() - started, 1),
    }


def index_is_built(build_path: Path, chroma_url: str | None) -> bool:
    """Whether this build has a store to append to (a build made with `--skip index` has none)."""
    if chroma_url:
        return True
    return (build_path / "chroma" / "chroma.sqlite3").is_file()

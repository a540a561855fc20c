"""Embeddings cached by content hash, outside any build: a re-ingest never re-embeds an unchanged text.

One SQLite file per model setting under MKA_HOME/cache/embeddings/. The key is the sha256 of the model
name, its truncation length and the exact text, so changing either invalidates the entry by itself.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from vectorstore.embeddings import EMBEDDING_DIM

_SQLITE_VARS = 900  # stay under SQLite's host-parameter limit per statement


def content_key(model_key: str, text: str) -> str:
    return hashlib.sha256(f"{model_key}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """hash -> float32 vector, in one SQLite file (safe for several processes; WAL mode)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self._con = self._open(path)
        except sqlite3.DatabaseError:
            # A damaged cache only costs re-embedding: set it aside and start a fresh one.
            path.replace(path.with_name(path.name + ".corrupt"))
            self._con = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        con = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return con

    def get_many(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), _SQLITE_VARS):
            chunk = wanted[start : start + _SQLITE_VARS]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._con.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (EMBEDDING_DIM,):  # a truncated row is a miss, not a crash
                    found[key] = vector
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [(key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in items.items()]
        with self._con:
            self._con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def __len__(self) -> int:
        row = self._con.execute("SELECT count(*) FROM vectors").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._con.close()

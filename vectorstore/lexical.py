"""A BM25 ranker over the store's documents, held in memory and grown incrementally.

It mirrors a Chroma collection (ids, texts, metadata) so that lexical hits, filters and quotes need no
second round trip; a document written again under the same id replaces its earlier row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from vectorstore.documents import Metadata

_WORD = re.compile(r"[a-z0-9]+")
# Negations carry meaning in reviews ("not soft", "no zipper"); keep them out of the stop list.
_STOP = frozenset(ENGLISH_STOP_WORDS) - {"not", "no", "nor", "never", "without", "off", "down", "up"}
K1 = 1.2
B = 0.75


def _stem(word: str) -> str:
    """Harman's S-stemmer (plurals only, so other words are not mangled), plus sibilant plurals (dresses)."""
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if len(word) > 2 and word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


class LexicalIndex:
    """BM25 over documents; rows are append-only, replaced rows are marked dead."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.metadata: list[Metadata] = []
        self.row_of: dict[str, int] = {}
        self.max_seq = 0
        self._vocab: dict[str, int] = {}
        self._blocks: list[sparse.csr_matrix] = []
        self._tf: sparse.csc_matrix = sparse.csc_matrix((0, 0), dtype=np.float32)
        self._alive = np.zeros(0, dtype=bool)
        self._doc_len = np.zeros(0, dtype=np.float32)
        self._columns: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return int(self._alive.sum())

    def add(self, ids: Sequence[str], texts: Sequence[str], metadata: Sequence[Metadata]) -> None:
        if not ids:
            return
        start = len(self.ids)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[int] = []
        lengths = np.zeros(len(ids), dtype=np.float32)
        for i, text in enumerate(texts):
            tokens = tokenize(text)
            lengths[i] = len(tokens)
            counts: dict[int, int] = {}
            for tok in tokens:
                col = self._vocab.setdefault(tok, len(self._vocab))
                counts[col] = counts.get(col, 0) + 1
            rows.extend([i] * len(counts))
            cols.extend(counts)
            vals.extend(counts.values())
        block = sparse.csr_matrix((vals, (rows, cols)), shape=(len(ids), len(self._vocab)), dtype=np.float32)
        self._blocks.append(block)
        alive = np.ones(len(ids), dtype=bool)
        for offset, doc_id in enumerate(ids):
            old = self.row_of.get(doc_id)
            if old is not None and old >= start:  # the same id twice in one batch: the later wins
                alive[old - start] = False
            elif old is not None:
                self._alive[old] = False
            self.row_of[doc_id] = start + offset
        self.ids.extend(ids)
        self.texts.extend(texts)
        self.metadata.extend(metadata)
        self._alive = np.concatenate([self._alive, alive])
        self._doc_len = np.concatenate([self._doc_len, lengths])
        width = len(self._vocab)
        self._tf = sparse.vstack([b if b.shape[1] == width else _widen(b, width) for b in self._blocks]).tocsc()
        self._blocks = [self._tf.tocsr()]
        self._columns.clear()
        seqs = [int(m.get("seq", 0)) for m in metadata]
        self.max_seq = max([self.max_seq, *seqs])

    def column(self, field: str) -> np.ndarray:
        """One metadata field as an array (None where absent), for vectorised filters."""
        if field not in self._columns:
            values = [m.get(field) for m in self.metadata]
            numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values if v is not None)
            if numeric:  # NaN where absent: every comparison with it is False, as a filter wants
                self._columns[field] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
            else:
                self._columns[field] = np.array(values, dtype=object)
        return self._columns[field]

    def alive_mask(self) -> np.ndarray:
        return self._alive.copy()

    def search(self, query: str, n: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top `n` (row, BM25 score) among rows allowed by `mask`; only rows sharing a term score."""
        terms = [self._vocab[t] for t in dict.fromkeys(tokenize(query)) if t in self._vocab]
        if not terms or not len(self.ids):
            return []
        allowed = self._alive if mask is None else (self._alive & mask)
        n_docs = max(int(self._alive.sum()), 1)
        avg_len = float(self._doc_len[self._alive].mean()) if self._alive.any() else 1.0
        scores = np.zeros(len(self.ids), dtype=np.float32)
        norm = K1 * (1 - B + B * self._doc_len / max(avg_len, 1e-6))
        for col in terms:
            start, end = self._tf.indptr[col], self._tf.indptr[col + 1]
            rows = self._tf.indices[start:end]
            tf = self._tf.data[start:end]
            live = self._alive[rows]
            df = int(live.sum())
            if df == 0:
                continue
            idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
            scores[rows] += idf * tf * (K1 + 1) / (tf + norm[rows])
        scores[~allowed] = 0
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > n:
            candidates = candidates[np.argpartition(-scores[candidates], n - 1)[:n]]
        ranked = candidates[np.lexsort((candidates, -scores[candidates]))]
        return [(int(r), float(scores[r])) for r in ranked]


def _widen(block: sparse.csr_matrix, width: int) -> sparse.csr_matrix:
    block = block.copy()
    block.resize((block.shape[0], width))
    return block

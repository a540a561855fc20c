"""A RAM cache of llama.cpp KV states that holds only what a restore reads.

llama-cpp-python's `LlamaRAMCache` keeps, with every saved state, a copy of the logits of up to n_batch
tokens (512 × 151,936 floats = 311 MB for Qwen) and leaves that copy out of its size count. After a
restore llama.cpp always decodes at least one token again before sampling, so those logits are never
read — but a long session kept hundreds of them: 872 short classifications grew one process to 24 GB.
Imported only when the local model loads (it loads llama.cpp's shared library).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from llama_cpp import LlamaRAMCache

_ZERO_ROWS: dict[tuple[int, str], np.ndarray] = {}  # one shared row per vocabulary size and dtype


def _zero_row(width: int, dtype: np.dtype[Any]) -> np.ndarray:
    key = (width, dtype.str)
    if key not in _ZERO_ROWS:
        row = np.zeros((1, width), dtype=dtype)
        row.flags.writeable = False
        _ZERO_ROWS[key] = row
    return _ZERO_ROWS[key]


class SlimRAMCache(LlamaRAMCache):
    """States stored with a zero-stride stand-in for their logits; the size limit then counts what is kept."""

    def __setitem__(self, key: Sequence[int], value: Any) -> None:
        scores = value.scores
        # Same shape and dtype (a restore copies it into the live buffer); all states share one zero row.
        value.scores = np.broadcast_to(_zero_row(scores.shape[1], scores.dtype), scores.shape)
        super().__setitem__(key, value)


def stored_logit_bytes(cache: LlamaRAMCache) -> int:
    """Bytes of logits the cached states hold: full copies, plus the shared zero rows if any state uses one."""
    states = list(cache.cache_state.values())
    copies = sum(s.scores.nbytes for s in states if s.scores.strides[0] != 0)
    shared = sum(row.nbytes for row in _ZERO_ROWS.values()) if any(s.scores.strides[0] == 0 for s in states) else 0
    return copies + shared

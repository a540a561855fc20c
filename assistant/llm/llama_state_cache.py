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


class SlimRAMCache(LlamaRAMCache):
    """States stored with a zero-stride stand-in for their logits; the size limit then counts what is kept."""

    def __setitem__(self, key: Sequence[int], value: Any) -> None:
        scores = value.scores
        # Same shape and dtype (restores assign it into the live buffer), one row of memory.
        value.scores = np.broadcast_to(np.zeros((1, scores.shape[1]), dtype=scores.dtype), scores.shape)
        super().__setitem__(key, value)


def stored_logit_bytes(cache: LlamaRAMCache) -> int:
    """Bytes actually held by the cached states' logits (0-stride rows cost one row)."""
    total = 0
    for state in cache.cache_state.values():
        scores = state.scores
        total += scores.itemsize * scores.shape[1] if scores.strides[0] == 0 else scores.nbytes
    return total

"""A RAM cache of llama.cpp KV states that holds only what a restore reads.

llama-cpp-python's `LlamaRAMCache` keeps, with every saved state, a copy of the logits of up to n_batch
tokens (512 × 151,936 floats = 311 MB for Qwen) and leaves that copy out of its size count. After a
restore llama.cpp always decodes at least one token again before sampling, so those logits are never
read — but a long session kept hundreds of them: 872 short classifications grew one process to 24 GB.

It also keeps one state per system prompt. llama-cpp-python saves the state after every completion (prompt
+ reply); what a later call reuses from it is the fixed system-prompt prefix, which the newest state of that
prompt holds as well as any older one. Keeping them all let two ~55 MB routing states push the narration's
state out of a 128 MB cache, so every narration decoded its system prompt again (~2 s on 2 cores).

Imported only when the local model loads (it loads llama.cpp's shared library).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from llama_cpp import Llama, LlamaRAMCache

SAME_PROMPT_TOKENS = 32  # states whose first 32 tokens agree share a system prompt (ours differ within ~10)
# A stored state "covers" a new one when the new tokens share all of it but a tail this long: the same system
# prompt and the start of a user turn, which is all a later call reuses of either.
COVERED_TAIL_TOKENS = 64
_ZERO_ROWS: dict[tuple[int, str], np.ndarray] = {}  # one shared row per vocabulary size and dtype


def _zero_row(width: int, dtype: np.dtype[Any]) -> np.ndarray:
    key = (width, dtype.str)
    if key not in _ZERO_ROWS:
        row = np.zeros((1, width), dtype=dtype)
        row.flags.writeable = False
        _ZERO_ROWS[key] = row
    return _ZERO_ROWS[key]


def zero_scores(shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
    """A read-only array of zeros of `shape` that stores one row (all rows share it)."""
    return np.broadcast_to(_zero_row(shape[1], np.dtype(dtype)), shape)


class SlimRAMCache(LlamaRAMCache):
    """States stored with a zero-stride stand-in for their logits (the size limit then counts what is kept), one
    per system prompt: a new state replaces older ones that open with the same tokens."""

    def drop_same_prompt(self, key: Sequence[int]) -> None:
        """Forget the states that open like `key`, and free their KV bytes now.

        Called just before the state of `key` is saved (and again when it is stored), so an old ~55 MB routing
        state and its successor are never both in memory. The bytes go even though llama-cpp-python's completion
        still holds the state object it restored from: that object has been copied into the context already."""
        head = tuple(key[:SAME_PROMPT_TOKENS])
        if len(head) < SAME_PROMPT_TOKENS:
            return
        for old in [k for k in self.cache_state if k[:SAME_PROMPT_TOKENS] == head]:
            self.cache_state.pop(old).llama_state = b""

    def covering_state(self, key: Sequence[int]) -> Any | None:
        """A stored state of `key`'s system prompt that a later call can reuse as much of as of `key`'s own
        (see COVERED_TAIL_TOKENS), or None. Saving `key` then only costs a copy of the whole KV (~75 MB for the
        routing prompt, ~40 ms) on every call for nothing."""
        head = tuple(key[:SAME_PROMPT_TOKENS])
        if len(head) < SAME_PROMPT_TOKENS:
            return None
        for stored, state in self.cache_state.items():
            if stored[:SAME_PROMPT_TOKENS] != head:
                continue
            if Llama.longest_token_prefix(stored, key) >= len(stored) - COVERED_TAIL_TOKENS:
                return state
        return None

    def __setitem__(self, key: Sequence[int], value: Any) -> None:
        for stored, state in self.cache_state.items():
            if state is value:  # the covering state, handed back by save_state: keep it under its own key
                self.cache_state.move_to_end(stored)
                return
        self.drop_same_prompt(key)
        scores = value.scores
        # Same shape and dtype (a restore copies it into the live buffer); all states share one zero row.
        value.scores = zero_scores(scores.shape, scores.dtype)
        super().__setitem__(key, value)


def stored_logit_bytes(cache: LlamaRAMCache) -> int:
    """Bytes of logits the cached states hold: full copies, plus the shared zero rows if any state uses one."""
    states = list(cache.cache_state.values())
    copies = sum(s.scores.nbytes for s in states if s.scores.strides[0] != 0)
    shared = sum(row.nbytes for row in _ZERO_ROWS.values()) if any(s.scores.strides[0] == 0 for s in states) else 0
    return copies + shared

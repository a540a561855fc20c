"""The KV-state cache keeps one state per system prompt and no logits copies (no model needed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.llm.llamacpp.state_cache import _ZERO_ROWS, SAME_PROMPT_TOKENS, SlimRAMCache, stored_logit_bytes


@dataclass
class FakeState:
    llama_state_size: int
    scores: np.ndarray
    llama_state: bytes


def state(size: int) -> FakeState:
    return FakeState(size, np.ones((4, 10), dtype=np.float32), b"kv" * size)


ROUTING = list(range(1000, 1000 + SAME_PROMPT_TOKENS + 50))  # a long fixed system prompt...
NARRATION = list(range(5000, 5000 + SAME_PROMPT_TOKENS + 10))


def test_a_new_state_replaces_older_ones_of_the_same_system_prompt() -> None:
    cache = SlimRAMCache(capacity_bytes=1000)
    cache[[*ROUTING, 1, 2, 3]] = state(400)  # ...then question 1 and its decision
    cache[[*NARRATION, 7]] = state(100)
    cache[[*ROUTING, 4, 5]] = state(400)  # question 2: without the rule, 900 bytes and both routing states
    assert len(cache.cache_state) == 2
    assert tuple([*ROUTING, 4, 5]) in cache.cache_state and tuple([*NARRATION, 7]) in cache.cache_state
    # the narration's state survives; and a lookup for question 3 restores the shared routing prefix
    assert cache[[*ROUTING, 9]] is cache.cache_state[tuple([*ROUTING, 4, 5])]
    # no logits copies: every state shares one zero row (other tests' models add rows of their own widths)
    assert all(st.scores.strides[0] == 0 for st in cache.cache_state.values())
    assert stored_logit_bytes(cache) == sum(row.nbytes for row in _ZERO_ROWS.values())


def test_dropping_before_a_save_frees_the_old_state_even_if_it_is_still_referenced() -> None:
    cache = SlimRAMCache(capacity_bytes=10_000)
    cache[[*ROUTING, 1]] = state(400)
    restored = cache[[*ROUTING, 2]]  # what llama-cpp-python's completion keeps in a local while it runs
    cache.drop_same_prompt([*ROUTING, 2, 7])  # about to save the state after question 2
    assert len(cache.cache_state) == 0 and restored.llama_state == b""
    cache.drop_same_prompt(NARRATION[:5])  # too short to be sure it is the same prompt: a no-op
    cache[[*ROUTING, 2, 7]] = state(400)
    assert len(cache.cache_state) == 1


def test_short_prompts_and_different_system_prompts_are_kept_apart() -> None:
    cache = SlimRAMCache(capacity_bytes=10_000)
    cache[[1, 2, 3]] = state(10)
    cache[[1, 2, 4]] = state(10)  # shorter than the shared-prompt window: not assumed to be the same prompt
    cache[ROUTING] = state(10)
    cache[NARRATION] = state(10)
    assert len(cache.cache_state) == 4


def test_a_stored_state_that_covers_the_new_tokens_is_kept_instead_of_a_new_save() -> None:
    from assistant.llm.llamacpp.state_cache import COVERED_TAIL_TOKENS

    cache = SlimRAMCache(capacity_bytes=10_000)
    warm = state(400)
    cache[[*ROUTING, 1, 2, 3]] = warm  # the warm-up: system prompt, "Hi", its decision
    cache[[*NARRATION, 7]] = state(100)
    # The next question shares the system prompt and all of the stored state but its short tail.
    assert cache.covering_state([*ROUTING, 1, 9, 9]) is warm
    assert cache.covering_state([*NARRATION[:-1], 8]) is not None
    assert cache.covering_state([9, *ROUTING]) is None  # another prompt
    cache[[*ROUTING, 1, 9, 9]] = warm  # what save_state hands back then: stored once, under its own key
    assert list(cache.cache_state)[-1] == tuple([*ROUTING, 1, 2, 3]) and len(cache.cache_state) == 2
    assert warm.llama_state != b""
    # A state with a long tail of its own (e.g. a long history) is replaced by the next save as before.
    long_tail = [*ROUTING, *range(COVERED_TAIL_TOKENS + 10)]
    cache[long_tail] = state(400)
    assert cache.covering_state([*ROUTING, 5, 5]) is None  # it would reuse only the system prompt of it
    assert cache.covering_state([*long_tail[:-5], 5]) is not None

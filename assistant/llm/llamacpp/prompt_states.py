"""Saved prompt states: a system prompt's KV state kept on disk, so a fresh process does not decode it again.

Before each completion the chat model asks `PromptStates.prepare(llama, messages)` to make sure the KV of the
messages' fixed prefix — the system turn and the opening of the user turn, what every call with that system
prompt shares — is in the context or in the RAM cache. In order of cost:
- it already is (the live context or the RAM state cache holds it): nothing to do;
- a verified state file of exactly these tokens exists (state_file.py): load it (~0.1–0.5 s for the routing
  prefix instead of ~2 minutes of decoding on 2 cores);
- otherwise decode the prefix alone, save its state to the file, and go on: the completion then decodes only
  the request.
Either way the completion's own prefix reuse (greedy_grammar.py, or llama-cpp-python's stock path) starts from
the prefix, so the answer is the one the model writes without a saved state.

Which tokens are the prefix is found with the model's own chat handler: the prompts of [system, "0"] and
[system, "1"] agree exactly up to where the user's text starts. So any chat template works, and the prompt's
hash changes whenever the system text (e.g. the routing prompt's enums of the data's values after a new
ingest), the template or the tokenizer does.

Imported only when the local model loads (it imports llama-cpp-python).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from llama_cpp import Llama, LlamaState

from assistant.llm.llamacpp.state_file import (
    StateKey,
    prompt_sha256,
    prune_state_files,
    read_state_file,
    write_state_file,
)

log = logging.getLogger("mka.llm")

# Below this many tokens decoding (~1 s on 2 cores) costs about what reading the file does: not worth a file.
MIN_PREFIX_TOKENS = 64
_PREFIX_MEMO = 32  # system prompts whose prefix tokens are remembered (routing, narration, copy, …)

Outcome = Literal["none", "short", "live", "cached", "loaded", "saved", "failed"]


class _Captured(Exception):  # a signal, not an error
    def __init__(self, tokens: list[int]) -> None:
        super().__init__("prompt captured")
        self.tokens = tokens


class _PromptCapture:
    """Stands in for the Llama a chat handler is given: the handler formats the messages, then tokenizes the
    prompt before anything else touches the model; that is where it is stopped and the tokens kept."""

    def __init__(self, llama: Any) -> None:
        self._llama = llama

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        raise _Captured(list(self._llama.tokenize(text, add_bos=add_bos, special=special)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llama, name)


def chat_prompt_tokens(llama: Any, messages: list[dict[str, str]]) -> list[int] | None:
    """The token ids `create_chat_completion(messages)` would decode, without decoding; None if the model's chat
    handler does not tokenize the way llama-cpp-python's formatters do."""
    from llama_cpp import llama_chat_format

    handler: Any = (
        llama.chat_handler
        or llama._chat_handlers.get(llama.chat_format)
        or llama_chat_format.get_chat_completion_handler(llama.chat_format)
    )
    try:
        handler(llama=_PromptCapture(llama), messages=messages)
    except _Captured as captured:
        return captured.tokens
    except Exception as exc:  # an unusual handler: no saved states, answers as before
        log.info("prompt states off for this chat format: %s", exc)
    return None


def shared_prefix(a: list[int], b: list[int]) -> list[int]:
    return a[: Llama.longest_token_prefix(a, b)]


def system_prefix_tokens(llama: Any, system: str) -> list[int] | None:
    """The tokens every prompt with this system message starts with: up to where the user's text begins."""
    zero = chat_prompt_tokens(llama, [{"role": "system", "content": system}, {"role": "user", "content": "0"}])
    one = chat_prompt_tokens(llama, [{"role": "system", "content": system}, {"role": "user", "content": "1"}])
    if zero is None or one is None:
        return None
    return shared_prefix(zero, one)


def snapshot(llama: Any) -> LlamaState:
    """The context's KV state in one buffer llama.cpp fills (no `bytes` copy) with zero-stride logits: a restore
    always decodes again before sampling (state_cache.py), so the logits are never read."""
    import llama_cpp

    from assistant.llm.llamacpp.state_cache import zero_scores

    size = int(llama_cpp.llama_state_get_size(llama._ctx.ctx))
    buffer = (ctypes.c_uint8 * size)()
    written = int(llama_cpp.llama_state_get_data(llama._ctx.ctx, buffer, size))
    if written > size:
        raise RuntimeError("llama.cpp wrote more state than it asked room for")
    return LlamaState(
        input_ids=llama.input_ids.copy(),
        scores=zero_scores(llama._scores.shape, llama.scores.dtype),
        n_tokens=llama.n_tokens,
        llama_state=buffer,  # type: ignore[arg-type]  # any buffer: restores read it in place
        llama_state_size=written,
        seed=llama._seed,
    )


def _as_llama_state(llama: Any, tokens: list[int], kv: ctypes.Array[ctypes.c_uint8]) -> LlamaState:
    from assistant.llm.llamacpp.state_cache import zero_scores

    ids = np.zeros(llama.input_ids.shape, dtype=llama.input_ids.dtype)
    ids[: len(tokens)] = tokens
    return LlamaState(
        input_ids=ids,
        scores=zero_scores(llama._scores.shape, llama.scores.dtype),
        n_tokens=len(tokens),
        llama_state=kv,  # type: ignore[arg-type]
        llama_state_size=len(kv),
        seed=llama._seed,
    )


class PromptStates:
    """Saved prompt states of one loaded model (see the module docstring). Call on the model's llama.cpp thread."""

    def __init__(
        self,
        directory: Path,
        key_for: Callable[[str], StateKey],
        budget_bytes: int,
    ) -> None:
        self.directory = directory
        self._key_for = key_for  # prompt sha256 -> the full key (model, llama.cpp build, context, KV cache)
        self.budget_bytes = budget_bytes
        self._prefixes: OrderedDict[str, list[int] | None] = OrderedDict()
        self.events: list[tuple[Outcome, int, float]] = []  # (outcome, prefix tokens, seconds): for benches, tests

    def prefix(self, llama: Any, system: str) -> list[int] | None:
        memo = hashlib.sha256(system.encode("utf-8")).hexdigest()
        if memo not in self._prefixes:
            self._prefixes[memo] = system_prefix_tokens(llama, system)
            while len(self._prefixes) > _PREFIX_MEMO:
                self._prefixes.popitem(last=False)
        self._prefixes.move_to_end(memo)
        return self._prefixes[memo]

    def prepare(self, llama: Any, messages: list[dict[str, str]]) -> Outcome:
        started = time.perf_counter()
        outcome, n = self._prepare(llama, messages)
        self.events.append((outcome, n, round(time.perf_counter() - started, 3)))
        del self.events[:-50]
        return outcome

    def _prepare(self, llama: Any, messages: list[dict[str, str]]) -> tuple[Outcome, int]:
        if not messages or messages[0].get("role") != "system":
            return "none", 0
        prefix = self.prefix(llama, messages[0]["content"])
        if prefix is None or len(prefix) < MIN_PREFIX_TOKENS or len(prefix) >= llama.n_ctx() - 8:
            return "short", len(prefix or [])
        if Llama.longest_token_prefix(llama.input_ids[: llama.n_tokens].tolist(), prefix) >= len(prefix):
            return "live", len(prefix)
        if self._in_ram_cache(llama, prefix):
            return "cached", len(prefix)
        try:
            key = self._key_for(prompt_sha256(prefix))  # may hash a model file given by path, once
        except OSError as exc:
            log.warning("prompt states off: %s", exc)
            return "failed", len(prefix)
        saved = read_state_file(self.directory, key)
        if saved is not None:
            state = _as_llama_state(llama, saved.tokens, saved.kv)
            try:
                llama.load_state(state)
            except RuntimeError as exc:  # llama.cpp refused it: decode instead, and replace the file
                log.warning("llama.cpp refused the saved prompt state %s (%s); it will be rebuilt", saved.path, exc)
                saved.path.unlink(missing_ok=True)
                llama.reset()
            else:
                self._remember(llama, prefix, state)
                log.info("loaded the saved state of a %d-token prompt prefix from %s", len(prefix), saved.path)
                return "loaded", len(prefix)
        return self._decode_and_save(llama, prefix, key)

    def _in_ram_cache(self, llama: Any, prefix: list[int]) -> bool:
        cache = llama.cache
        if cache is None:
            return False
        try:
            item = cache[prefix]
        except KeyError:
            return False
        return Llama.longest_token_prefix(item.input_ids[: item.n_tokens].tolist(), prefix) >= len(prefix)

    def _remember(self, llama: Any, prefix: list[int], state: LlamaState) -> None:
        if llama.cache is not None:
            llama.cache[prefix] = state  # later calls with another system prompt in between restore it from RAM

    def _decode_and_save(self, llama: Any, prefix: list[int], key: StateKey) -> tuple[Outcome, int]:
        llama.eval(llama._reuse_prefix(prefix))
        state = snapshot(llama)
        try:
            path = write_state_file(
                self.directory, key, prefix, memoryview(state.llama_state)[: state.llama_state_size]
            )
            prune_state_files(self.directory, self.budget_bytes, keep=path)
        except OSError as exc:  # a read-only or full disk: answer anyway, just not faster next time
            log.warning("could not save the prompt state to %s: %s", self.directory, exc)
            self._remember(llama, prefix, state)
            return "failed", len(prefix)
        self._remember(llama, prefix, state)
        log.info("saved the state of a %d-token prompt prefix to %s", len(prefix), path)
        return "saved", len(prefix)

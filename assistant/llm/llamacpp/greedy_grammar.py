"""Fast greedy, grammar-constrained decoding for JSON decisions on a CPU.

Two measured costs on 2 cores (Qwen 1.5B): decoding one token takes ~70 ms, and decoding a batch of 5 only
~2.5 times that; and the stock sampler spends ~15-40 ms per token running the grammar over the whole vocabulary.

1. Greedy grammar check.
llama-cpp-python's sampler chain runs the JSON-schema grammar over all ~151k candidate tokens at every step,
which on 2 cores costs ~40 ms per generated token — as much as the forward pass itself. At temperature 0 the
answer is the highest-scoring token the grammar allows, and for a model writing JSON that is nearly always
its top token anyway. So: ask the grammar about the argmax alone; only when it refuses, filter the whole
vocabulary (what llama.cpp's own `common_sampler` does too). Output is identical to the stock chain at
temperature 0 without a repeat penalty; only the cost differs.

2. Prompt-lookup speculation. A routing decision mostly copies text that is already in the prompt (tool and
argument names from the examples, "France" or "12347" from the question), so the tokens that followed the
latest occurrence of the last few generated tokens are a good guess for what comes next. The guess and the
current token are decoded in one batch; each guessed token is kept only while it equals what greedy decoding
with the grammar picks at that position, so the output is the one plain greedy decoding would write (up to
floating-point differences between batched and single-token kernels) in fewer decode steps.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np

TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


class GreedyGrammarSampler:
    """Duck-types the one method `Llama.sample` calls on its sampler: `sample(ctx, idx) -> token`."""

    def __init__(self, llama_cpp: Any, vocab: Any, grammar: str, root: str, n_vocab: int) -> None:
        self._api = llama_cpp
        self._grammar = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), root.encode("utf-8"))
        if not self._grammar:
            raise ValueError("llama.cpp could not compile the JSON-schema grammar")
        self._n_vocab = n_vocab
        self._one = (llama_cpp.llama_token_data * 1)()
        self._all = np.zeros(n_vocab, dtype=TOKEN_DATA)
        self._all["id"] = np.arange(n_vocab, dtype=np.int32)
        self.full_scans = 0  # how often the top token was refused (for tests and curiosity)

    def _apply(self, data: Any, size: int) -> None:
        array = self._api.llama_token_data_array(
            data=ctypes.cast(data, self._api.llama_token_data_p), size=size, selected=-1, sorted=False
        )
        self._api.llama_sampler_apply(self._grammar, ctypes.byref(array))

    def sample(self, ctx: Any, idx: int = -1) -> int:
        pointer = self._api.llama_get_logits_ith(ctx.ctx, idx)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        token = int(np.argmax(logits))
        self._one[0].id, self._one[0].logit, self._one[0].p = token, float(logits[token]), 0.0
        self._apply(self._one, 1)
        if math.isinf(self._one[0].logit):  # the grammar refuses the top token: filter the whole vocabulary
            self.full_scans += 1
            self._all["logit"] = logits
            self._all["p"] = 0.0
            self._apply(self._all.ctypes.data, self._n_vocab)
            token = int(np.argmax(self._all["logit"]))
        self._api.llama_sampler_accept(self._grammar, token)
        return token

    def close(self) -> None:
        if self._grammar:
            self._api.llama_sampler_free(self._grammar)
            self._grammar = None

    def __del__(self) -> None:
        self.close()


class PromptLookup:
    """Guesses the next tokens: what followed the latest earlier occurrence of the last NGRAM tokens."""

    NGRAMS = (3, 2)

    def __init__(self, tokens: list[int]) -> None:
        self.tokens: list[int] = []
        self._seen: dict[tuple[int, ...], int] = {}  # n-gram -> index just after its latest occurrence
        self.extend(tokens)

    def extend(self, tokens: list[int]) -> None:
        for token in tokens:
            self.tokens.append(token)
            end = len(self.tokens)
            for n in self.NGRAMS:
                if end > n:  # index the n-gram that ends just before this token, pointing at this token
                    self._seen[tuple(self.tokens[end - 1 - n : end - 1])] = end - 1

    def guess(self, k: int) -> list[int]:
        for n in self.NGRAMS:
            if len(self.tokens) >= n:
                start = self._seen.get(tuple(self.tokens[-n:]))
                if start is not None:
                    return self.tokens[start : start + k]
        return []


def _fast_path(kwargs: dict[str, Any]) -> bool:
    greedy = kwargs.get("temp", 0.8) == 0.0 and kwargs.get("logits_processor") is None
    plain = kwargs.get("repeat_penalty", 1.0) == 1.0 and not kwargs.get("frequency_penalty")
    return kwargs.get("grammar") is not None and greedy and plain and not kwargs.get("presence_penalty")


def make_fast_llama_class() -> type:
    """A `Llama` subclass whose greedy grammar-constrained generation uses both techniques above."""
    import llama_cpp
    from llama_cpp import Llama

    class FastGrammarLlama(Llama):
        # Guess 3 tokens: of 2-6, 3 decided the routing prompts fastest with the default KV cache on 2 cores
        # (p50 1.61 vs 1.75 s with 4); longer guesses are rarely all right and make every batch dearer.
        draft_tokens = 3

        def _init_sampler(self, *args: Any, **kwargs: Any) -> Any:
            if _fast_path(kwargs):
                grammar = kwargs["grammar"]
                vocab = self._model.vocab
                return GreedyGrammarSampler(llama_cpp, vocab, grammar._grammar, grammar._root, self._n_vocab)
            return super()._init_sampler(*args, **kwargs)

        def generate(self, tokens: Any, *args: Any, **kwargs: Any) -> Any:
            if args or not _fast_path(kwargs):
                yield from super().generate(tokens, *args, **kwargs)
                return
            self._sampler = sampler = self._init_sampler(
                **{k: v for k, v in kwargs.items() if k not in ("reset", "stopping_criteria")}
            )
            prompt = list(tokens)
            todo = self._reuse_prefix(prompt) if kwargs.get("reset", True) else prompt
            self.eval(todo)
            lookup = PromptLookup(prompt)
            current = sampler.sample(self._ctx, -1)
            stop = kwargs.get("stopping_criteria")
            while True:
                if stop is not None and stop(self.input_ids[: self.n_tokens], self._scores[-1, :]):
                    return  # the chat format's check that the last decoded token ends the turn
                lookup.extend([current])
                yield current
                guess = lookup.guess(self.draft_tokens)[: max(0, self._n_ctx - self.n_tokens - 2)]
                batch = [current, *guess]
                n_past = self.n_tokens
                self._batch.set_batch(batch=batch, n_past=n_past, logits_all=True)
                self._ctx.decode(self._batch)
                picked: list[int] = []
                for i in range(len(batch)):
                    token = sampler.sample(self._ctx, i)
                    picked.append(token)
                    if i >= len(guess) or token != guess[i]:
                        break
                kept = len(picked)  # batch[0 .. kept-1] stay in the KV cache; the rest was a wrong guess
                self.input_ids[n_past : n_past + kept] = batch[:kept]
                self.n_tokens = n_past + kept
                self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
                self._requires_eval = False
                for token in picked[:-1]:  # guessed right: already decoded, hand them out
                    lookup.extend([token])
                    yield token
                current = picked[-1]

        def save_state(self) -> Any:
            """The stock save, without its copies: it fills a buffer, copies it twice more (to a compact buffer,
            then to `bytes`) and copies up to n_batch rows of logits (78 MB for Qwen), all alive at once —
            ~4x a ~80 MB routing state on every completion, which set the agent's peak RSS. One buffer here,
            and zero-stride logits (see llama_state_cache: a restore always decodes again before sampling)."""
            from assistant.llm.llamacpp.prompt_states import snapshot
            from assistant.llm.llamacpp.state_cache import SlimRAMCache

            if isinstance(self.cache, SlimRAMCache):
                tokens = self.input_ids[: self.n_tokens].tolist()
                covering = self.cache.covering_state(tokens)
                if covering is not None:  # nothing a later call could reuse more of: keep the stored one
                    return covering
                self.cache.drop_same_prompt(tokens)  # make room first: see SlimRAMCache.drop_same_prompt
            return snapshot(self)

        def load_state(self, state: Any) -> None:
            """The stock restore without its two transient copies (the logits rows and the KV bytes)."""
            # The stock restore also copies the saved logits rows into `scores`; ours are zeros, and a restore always
            # decodes again (`_requires_eval`) before anything reads them, so they are not written (78 MB for Qwen).
            self.input_ids = state.input_ids.copy()
            self.n_tokens = state.n_tokens
            self._requires_eval = True
            self._seed = state.seed
            size = int(state.llama_state_size)
            data = state.llama_state
            if not isinstance(data, ctypes.Array):  # a state saved by the stock class
                data = (ctypes.c_uint8 * size).from_buffer_copy(data)
            if llama_cpp.llama_state_set_data(self._ctx.ctx, data, size) != size:
                raise RuntimeError("llama.cpp did not accept the saved state")

        def _reuse_prefix(self, prompt: list[int]) -> list[int]:
            """Keep the KV cache for the prompt's longest prefix already decoded; return what is left to decode."""
            if self.n_tokens == 0:
                return prompt
            same = Llama.longest_token_prefix(self.input_ids[: self.n_tokens].tolist(), prompt)
            keep = same - 1 if same == len(prompt) else same  # decode at least one token for fresh logits
            if keep > 0 and self._ctx.kv_cache_seq_rm(-1, keep, -1):
                self.n_tokens = keep
                return prompt[keep:]
            self.reset()
            return prompt

    return FastGrammarLlama

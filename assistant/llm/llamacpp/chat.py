"""A LangChain chat model over an in-process llama.cpp model (llama-cpp-python).

Why our own and not langchain-community's: that package is being sunset, defaults to a 512-token context,
and has no way to pass llama.cpp's JSON-schema grammar. This one:
- loads the GGUF lazily on first use (never at import or construction);
- passes `response_format={"type": "json_object", "schema": ...}` through, which llama.cpp turns into a
  grammar, so a small model's output always parses;
- keeps a RAM cache of KV states so the fixed system-prompt prefixes are processed once (without the
  logits copies llama-cpp-python's own cache hoards: see llama_state_cache.py);
- decodes greedy grammar-constrained output with a grammar check on the top token first and prompt-lookup
  speculation (greedy_grammar.py; `mka bench decoding`: 1.15x faster per routing decision on average, 27 of 30
  decisions byte-identical to the stock sampler, the rest near-ties such as "limit": 100 vs 1000);
- makes every llama.cpp call on one thread (llama_thread.py): one llama.cpp context is not thread-safe, and
  OpenMP slows every token by a third once a second thread has called in;
- with a `state_dir`, saves each long system prompt's KV state to a file once and loads it in a fresh process
  instead of decoding it again (prompt_states.py, state_file.py): the routing prefix takes ~2 minutes to decode
  on 2 cores.

Memory (measured, 2 cores, Qwen 1.5B): n_batch 128 decodes prompts as fast as 512 here but needs a quarter of
the logits and compute buffers, and reading the weights into RAM instead of mmap-ing them stops the file pages
and llama.cpp's repacked copy from both counting.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from assistant.llm.llamacpp.state_file import ModelFingerprints, StateKey
from assistant.llm.llamacpp.thread import LlamaThread

GGML_TYPE_Q8_0 = 8
KV_CACHE_PARAMS: dict[str, dict[str, Any]] = {
    "q8_0-keys": {"type_k": GGML_TYPE_Q8_0},
    "q8_0": {"flash_attn": True, "type_k": GGML_TYPE_Q8_0, "type_v": GGML_TYPE_Q8_0},  # llama.cpp: V needs FA
    "f16": {},
}
STATE_SIZE_VS_Q8 = {"q8_0": 1.0, "q8_0-keys": 1.5, "f16": 2.0}  # a saved KV state's size per type, vs q8_0's
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def to_openai_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


def _usage(prompt: int, completion: int) -> UsageMetadata:
    return UsageMetadata(input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion)


class LlamaCppChatModel(BaseChatModel):
    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    n_batch: int = 128
    temperature: float = 0.0
    max_tokens: int = 512
    cache_bytes: int = 192 << 20  # the routing prefix (~75 MB with the default KV cache) and the narration/copy ones
    use_mmap: bool = False
    # 8-bit keys with f16 values and no flash attention: llama.cpp's CPU flash-attention kernel made the routing
    # prompt's tokens after the ~3,500 cached ones 1.4x slower (`mka bench decoding --compare kv-cache`);
    # "q8_0" quantizes the values too (which needs flash attention), "f16" neither.
    kv_cache: Literal["q8_0-keys", "q8_0", "f16"] = "q8_0-keys"
    seed: int = 7
    # Saved prompt states (see prompt_states.py): where, how much disk, and the model file's sha256 (pinned for
    # the embedded models; None: hashed once and remembered). No directory: nothing is saved or loaded.
    state_dir: str | None = None
    state_dir_bytes: int = 512 << 20
    model_sha256: str | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)
    _llama: Any = PrivateAttr(default=None)
    _prompt_states: Any = PrivateAttr(default=None)
    _thread: LlamaThread = PrivateAttr(default_factory=LlamaThread)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def model_name(self) -> str:
        return self.model_path.rsplit("/", 1)[-1]

    def llama_params(self) -> dict[str, Any]:
        """The `Llama(...)` arguments this model loads with (the decoding bench loads the stock class with them)."""
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "n_threads_batch": self.n_threads,
            "n_batch": self.n_batch,
            "seed": self.seed,
            "use_mmap": self.use_mmap,
            **KV_CACHE_PARAMS[self.kv_cache],
            "verbose": False,
        }

    def _load(self) -> Any:
        if self._llama is None:
            from assistant.llm.llamacpp.greedy_grammar import make_fast_llama_class
            from assistant.llm.llamacpp.state_cache import SlimRAMCache

            llama = make_fast_llama_class()(**self.llama_params())
            if self.cache_bytes > 0:
                llama.set_cache(SlimRAMCache(capacity_bytes=self.cache_bytes))
            if self.state_dir is not None and self.state_dir_bytes > 0:
                from assistant.llm.llamacpp.prompt_states import PromptStates

                self._prompt_states = PromptStates(Path(self.state_dir), self.state_key, self.state_dir_bytes)
            self._llama = llama
        return self._llama

    def state_key(self, prompt_sha256: str) -> StateKey:
        """The key a saved prompt state of this model and these llama.cpp parameters is stored under."""
        import llama_cpp

        if self.model_sha256 is None and self.state_dir is not None:
            self.model_sha256 = ModelFingerprints(Path(self.state_dir)).sha256(Path(self.model_path))
        return StateKey(
            model_sha256=str(self.model_sha256),
            llama_cpp_version=str(llama_cpp.__version__),
            n_ctx=self.n_ctx,
            n_batch=self.n_batch,
            kv_cache=self.kv_cache,
            prompt_sha256=prompt_sha256,
        )

    def _prepared(self, messages: list[dict[str, str]]) -> Any:
        """The loaded model, with the messages' system prompt prefix in its context or RAM cache (from the saved
        state when there is one). Runs on the model's thread."""
        llama = self._load()
        if self._prompt_states is not None:
            self._prompt_states.prepare(llama, messages)
        return llama

    def prepare_prompt(self, messages: list[BaseMessage]) -> str:
        """Load or build the saved state of these messages' system prompt now (warm-ups: `mka setup`, start of the
        UI). Returns what was done: loaded, saved, live, cached, short, none, failed, or off."""
        openai = to_openai_messages(messages)

        def run() -> str:
            self._load()
            if self._prompt_states is None:
                return "off"
            return str(self._prompt_states.prepare(self._llama, openai))

        return self._thread.call(run)

    @property
    def prompt_state_events(self) -> list[tuple[str, int, float]]:
        """(outcome, prefix tokens, seconds) of the latest saved-state look-ups (benches and tests read these)."""
        return list(self._prompt_states.events) if self._prompt_states is not None else []

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "temperature": kwargs.get("temperature", self.temperature),
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "stop": stop,
        }
        if kwargs.get("response_format") is not None:
            params["response_format"] = kwargs["response_format"]
        return params

    def close(self) -> None:
        """Free the model and end its thread (the next call loads it again)."""
        self._thread.call(lambda: setattr(self, "_llama", None))
        self._thread.shutdown(wait=True)

    def count_tokens(self, text: str) -> int:
        return self._thread.call(lambda: len(self._load().tokenize(text.encode("utf-8"), add_bos=False, special=True)))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        openai = to_openai_messages(messages)
        out = self._thread.call(
            lambda: self._prepared(openai).create_chat_completion(
                messages=openai, stream=False, **self._params(stop, kwargs)
            )
        )
        text = out["choices"][0]["message"].get("content") or ""
        usage = out.get("usage") or {}
        message = AIMessage(
            content=text,
            usage_metadata=_usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            response_metadata={"model_name": self.model_name, "finish_reason": out["choices"][0].get("finish_reason")},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        def deltas() -> Iterator[tuple[str, int]]:
            openai = to_openai_messages(messages)
            llama = self._prepared(openai)
            chunks = llama.create_chat_completion(messages=openai, stream=True, **self._params(stop, kwargs))
            completion = 0
            for chunk in chunks:
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    completion += 1
                    # llama.cpp reports no usage when streaming: the prompt is what the model evaluated before.
                    yield delta, (max(int(llama.n_tokens) - completion, 0) if completion == 1 else 0)
            if completion == 0:
                yield "", int(llama.n_tokens)

        # Usage rides on each chunk (the prompt on the first, one token each), so a caller that stops reading
        # early — the narration stops after its second sentence — still gets counted what was spent.
        first = True
        for delta, prompt in self._thread.iterate(deltas):
            # model_name on the first chunk only: LangChain concatenates string metadata when it adds chunks.
            metadata = {"model_name": self.model_name} if first else {}
            piece = ChatGenerationChunk(
                message=AIMessageChunk(
                    content=delta, usage_metadata=_usage(prompt, 1 if delta else 0), response_metadata=metadata
                )
            )
            first = False
            if run_manager and delta:
                run_manager.on_llm_new_token(delta, chunk=piece)
            yield piece

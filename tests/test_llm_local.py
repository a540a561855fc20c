"""The in-process model: every llama.cpp call on one thread (OpenMP), and the settings that shape it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.llm.llamacpp.thread import LlamaThread


def test_calls_from_any_thread_run_on_the_same_one() -> None:
    runner = LlamaThread()
    seen: list[int] = []
    callers = [threading.Thread(target=lambda: seen.append(runner.call(threading.get_ident))) for _ in range(4)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    seen.append(runner.call(threading.get_ident))
    assert len(set(seen)) == 1 and seen[0] != threading.get_ident()
    assert runner.call(lambda: runner.call(lambda: 42)) == 42  # a call from the thread itself runs inline
    runner.shutdown()


def test_iterate_hands_over_items_made_on_the_thread_and_raises_its_errors() -> None:
    runner = LlamaThread()

    def numbers() -> Iterator[tuple[int, int]]:
        for i in range(3):
            yield i, threading.get_ident()

    items = list(runner.iterate(numbers))
    assert [i for i, _ in items] == [0, 1, 2]
    assert {ident for _, ident in items} == {runner.call(threading.get_ident)}

    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("model exploded")

    with pytest.raises(ValueError, match="model exploded"):
        list(runner.iterate(broken))
    runner.shutdown()


def test_closing_the_stream_early_stops_the_work() -> None:
    runner = LlamaThread()
    made: list[int] = []

    def endless() -> Iterator[int]:
        for i in range(10_000):
            made.append(i)
            time.sleep(0.001)
            yield i

    stream = runner.iterate(endless)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    assert runner.call(lambda: len(made)) < 100  # queued after the producer stopped: it did not run to the end
    runner.shutdown()


def test_the_kv_cache_setting_reaches_the_model_and_sizes_its_state_cache(tmp_path: Path) -> None:
    from assistant.core.settings import Settings
    from assistant.llm.factory import build_chat_model
    from assistant.llm.llamacpp.chat import GGML_TYPE_Q8_0, LlamaCppChatModel

    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")  # never loaded: the model loads on first use

    def model(**settings: object) -> LlamaCppChatModel:
        built = build_chat_model(Settings(home=tmp_path, gguf_path=gguf, **settings))  # type: ignore[arg-type]
        assert isinstance(built, LlamaCppChatModel)
        return built

    default, q8, f16 = model(), model(llm_kv_cache="q8_0"), model(llm_kv_cache="f16")
    # The default: 8-bit keys, f16 values, and no flash attention (llama.cpp's CPU kernel was the slow part).
    assert default.llama_params()["type_k"] == GGML_TYPE_Q8_0 and "type_v" not in default.llama_params()
    assert not default.llama_params().get("flash_attn") and default.cache_bytes == 192 << 20
    assert q8.llama_params()["type_v"] == GGML_TYPE_Q8_0 and q8.llama_params()["flash_attn"]  # V needs FA
    assert q8.cache_bytes == 128 << 20
    assert "type_k" not in f16.llama_params() and f16.cache_bytes == 256 << 20  # f16 states are twice q8_0's
    assert model(llm_kv_cache="f16", llm_state_cache_mb=100).cache_bytes == 100 << 20  # an explicit size is kept

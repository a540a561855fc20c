"""The in-process model: every llama.cpp call on one thread (OpenMP), and the settings that shape it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.llm.llama_thread import LlamaThread


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
    from assistant.config import Settings
    from assistant.llm.factory import build_chat_model
    from assistant.llm.llamacpp_chat import GGML_TYPE_Q8_0, LlamaCppChatModel

    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")  # never loaded: the model loads on first use
    default = build_chat_model(Settings(home=tmp_path, gguf_path=gguf))
    f16 = build_chat_model(Settings(home=tmp_path, gguf_path=gguf, llm_kv_cache="f16"))
    f16_sized = build_chat_model(Settings(home=tmp_path, gguf_path=gguf, llm_kv_cache="f16", llm_state_cache_mb=100))
    assert isinstance(default, LlamaCppChatModel) and isinstance(f16, LlamaCppChatModel)
    assert isinstance(f16_sized, LlamaCppChatModel)
    assert default.llama_params()["type_k"] == GGML_TYPE_Q8_0 and default.cache_bytes == 128 << 20
    assert "type_k" not in f16.llama_params() and f16.cache_bytes == 256 << 20  # f16 states are twice the size
    assert f16_sized.cache_bytes == 100 << 20  # an explicit size is kept

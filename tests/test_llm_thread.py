"""Every llama.cpp call runs on one thread (OpenMP slows tokens by a third once a second thread calls in)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

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

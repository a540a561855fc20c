"""Runs every call into one llama.cpp model on a single, long-lived thread.

Why: llama.cpp is built with OpenMP (libgomp), and libgomp gives each OS thread that starts parallel work its
own team of worker threads. Once a second team exists on a 2-core machine libgomp counts itself
oversubscribed: its workers stop spinning between the hundreds of parallel regions of one forward pass and
sleep instead, and every wake-up costs. Measured on 2 cores (Qwen 1.5B, greedy narration): 68 ms per
generated token while one thread calls in, 92 ms from a second thread once the first has — and LangGraph runs
each node on a pool thread, the UI warms the model up on another. One thread for all of them keeps one team.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()


class LlamaThread:
    """A one-thread executor with a streaming variant; calls made from the thread itself run inline."""

    def __init__(self, name: str = "llama.cpp") -> None:
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._ident: int | None = None
        self._start_lock = threading.Lock()

    def _pool(self) -> ThreadPoolExecutor:
        with self._start_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
                self._ident = self._executor.submit(threading.get_ident).result()
            return self._executor

    def on_thread(self) -> bool:
        return self._ident is not None and threading.get_ident() == self._ident

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self.on_thread():
            return fn(*args, **kwargs)
        return self._pool().submit(fn, *args, **kwargs).result()

    def iterate(self, make: Callable[[], Iterator[T]]) -> Iterator[T]:
        """Run the iterator `make()` returns on the thread, handing its items over as they come.

        Closing the returned generator early stops the work at its next item (a client went away)."""
        if self.on_thread():
            yield from make()
            return
        items: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for item in make():
                    if stop.is_set():
                        break
                    items.put(item)
            except BaseException as exc:  # handed to the consumer, raised there
                items.put(_Failure(exc))
            finally:
                items.put(_END)

        self._pool().submit(produce)
        try:
            while (item := items.get()) is not _END:
                if isinstance(item, _Failure):
                    raise item.exc
                yield item
        finally:
            stop.set()

    def shutdown(self, wait: bool = False) -> None:
        with self._start_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=wait, cancel_futures=True)
                self._executor, self._ident = None, None


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

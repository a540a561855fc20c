"""`mka bench llm-threads`: the in-process model called from many threads, through our one thread vs directly.

LangGraph runs each graph node on a pool thread and the UI warms the model up on another, so the agent calls
llama.cpp from several threads. llama.cpp is built with OpenMP; once a second thread has started parallel work
libgomp counts itself oversubscribed on 2 cores and its workers sleep between the hundreds of parallel regions
of every token. `LlamaCppChatModel` therefore makes every call on one thread (assistant/llm/llama_thread.py).

Same process, same model file and settings, the same greedy generation (a narration-sized reply):
- ours: `LlamaCppChatModel.stream` called from a fresh thread each round — the work runs on its one thread;
- direct: the stock `Llama` called from the main thread, then from a fresh thread each round — what the agent
  did before. Ours runs first: once a second OpenMP team exists it would slow ours too.
Reports ms per generated token (p50 over rounds) for both and the ratio.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

import typer

QUESTION = (
    "Champions are 891 customers (20.6%) who spent 5,123,004.18 in total. In two sentences, what does this "
    "mean for our marketing, and what should we do next?"
)


def register(bench_app: typer.Typer) -> None:
    bench_app.command("llm-threads")(bench_llm_threads)


def _in_new_thread(fn: Callable[[], float]) -> float:
    out: list[float] = []
    worker = threading.Thread(target=lambda: out.append(fn()))
    worker.start()
    worker.join()
    return out[0]


def bench_llm_threads(
    rounds: Annotated[int, typer.Option(min=1, help="Generations timed per variant.")] = 4,
    tokens: Annotated[int, typer.Option(min=8, help="Tokens generated per round.")] = 80,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """ms per generated token: our one-thread runner vs. llama.cpp called from whichever thread asks."""
    from langchain_core.messages import HumanMessage, SystemMessage
    from llama_cpp import Llama

    from assistant.core.console import fail, load_settings, print_json
    from assistant.llm.factory import LLMUnavailableError, build_chat_model
    from assistant.llm.llamacpp.chat import LlamaCppChatModel, to_openai_messages
    from bench.common import machine, peak_rss_mb, save_report

    settings = load_settings()
    try:
        model = build_chat_model(settings)
    except LLMUnavailableError as exc:
        fail(str(exc))
    if not isinstance(model, LlamaCppChatModel):
        fail("mka bench llm-threads measures the in-process model: set MKA_LLM=local")
    messages = [SystemMessage("You are a marketing analyst."), HumanMessage(QUESTION)]

    def ours() -> float:
        started, n = time.perf_counter(), 0
        for chunk in model.stream(messages, max_tokens=tokens):
            n += 1 if chunk.content else 0
        return (time.perf_counter() - started) * 1000 / max(n, 1)

    list(model.stream(messages, max_tokens=2))  # load + prompt into the KV cache: rounds time generation only
    ours_ms = [_in_new_thread(ours) for _ in range(rounds)]
    params, name = model.llama_params(), model.model_name
    model.close()  # frees the weights; its thread (and its OpenMP team) ends before the direct runs start

    llama: Any = Llama(**params)  # the stock class, untyped here: its stream/non-stream union gets in the way
    prompt = to_openai_messages(messages)

    def direct() -> float:
        started, n = time.perf_counter(), 0
        for chunk in llama.create_chat_completion(messages=prompt, max_tokens=tokens, temperature=0.0, stream=True):
            n += 1 if chunk["choices"][0].get("delta", {}).get("content") else 0
        return (time.perf_counter() - started) * 1000 / max(n, 1)

    direct()  # the main thread uses the model first, as the CLI's warm-up or a first question did
    direct_main = statistics.median([direct() for _ in range(rounds)])
    direct_threads = [_in_new_thread(direct) for _ in range(rounds)]
    results: dict[str, Any] = {
        "machine": machine(),
        "model": name,
        "threads": settings.llm_threads,
        "tokens_per_round": tokens,
        "rounds": rounds,
        "ms_per_token": {
            "ours_from_new_threads": round(statistics.median(ours_ms), 1),
            "direct_from_main_thread": round(direct_main, 1),
            "direct_from_new_threads": round(statistics.median(direct_threads), 1),
        },
        "speedup_vs_direct_threads": round(statistics.median(direct_threads) / statistics.median(ours_ms), 2),
        "peak_rss_mb": peak_rss_mb(),
    }
    results["report"] = str(save_report(settings.home / "runs", "llm-threads", results))
    if as_json:
        print_json(results)
        return
    ms = results["ms_per_token"]
    typer.echo(
        f"ms per token: ours {ms['ours_from_new_threads']} (from new threads), direct {ms['direct_from_main_thread']} "
        f"(main thread) / {ms['direct_from_new_threads']} (new threads): {results['speedup_vs_direct_threads']}x"
    )

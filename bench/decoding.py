"""`mka bench decoding`: routing decisions decoded by llama-cpp-python's stock sampler vs. ours, same process.

The agent's first LLM call for each prompt of an eval suite (the routing prompt, its JSON-schema grammar),
decoded greedily by the stock `Llama` and by `FastGrammarLlama` (grammar check on the top token first, plus
prompt-lookup speculation). Reports p50/mean milliseconds per decision for both, the ratio, and how many
decisions are byte-identical. The two models are loaded one after the other (never both in memory), each
warmed on the routing prefix first, so the timings are of warm decisions as the agent makes them.

`--compare kv-cache` times our decoder with an all-8-bit KV cache (which needs llama.cpp's flash attention)
against the default 8-bit keys with f16 values and no flash attention (MKA_LLM_KV_CACHE q8_0 vs q8_0-keys): the
routing prompt's ~40 new tokens and each decode step attend over ~3,500 cached tokens, which is where the two
differ.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Annotated, Any

import typer


def register(bench_app: typer.Typer) -> None:
    bench_app.command("decoding")(bench_decoding)


def bench_decoding(
    suite_path: Annotated[Path, typer.Option("--suite", help="Suite YAML.")] = Path("evals/suites/core.yaml"),
    limit: Annotated[int, typer.Option("--limit", min=1, help="Only the first N prompts.")] = 30,
    compare: Annotated[
        str, typer.Option(help="sampler: stock vs ours; kv-cache: ours with a q8_0 vs a q8_0-keys KV cache.")
    ] = "sampler",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Time greedy JSON routing decisions two ways (stock sampler vs ours, or two KV cache types); compare outputs."""
    from llama_cpp import Llama

    import prompts
    from assistant.agent.decision import decision_schema
    from assistant.agent.routing import route_system_prompt
    from assistant.agent.runner import Agent
    from assistant.core.console import fail, load_settings, print_json, progress_bars
    from assistant.core.llm_client import grammar_safe
    from assistant.evals.suite import SuiteError, load_suite
    from assistant.llm.llamacpp.chat import LlamaCppChatModel
    from assistant.llm.llamacpp.greedy_grammar import make_fast_llama_class
    from bench.common import machine, peak_rss_mb, save_report

    settings = load_settings()
    try:
        suite = load_suite(suite_path)
    except SuiteError as exc:
        fail(str(exc))
    agent = Agent(settings)
    chat_model = agent.chat_model
    if not isinstance(chat_model, LlamaCppChatModel):
        fail("mka bench decoding measures the in-process model: set MKA_LLM=local")
    system = route_system_prompt(agent.deps)
    schema = {"type": "json_object", "schema": grammar_safe(decision_schema(agent.tools))}
    questions = [case.prompt for case in suite.cases if case.prompt][:limit]  # one-turn cases: no history

    def messages(question: str) -> list[dict[str, str]]:
        user = prompts.render(
            "route_user.j2", history="", results="", next_tool=None, feedback=None, subject="", understood="",
            question=question,
        )  # fmt: skip
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    fast, params = make_fast_llama_class(), chat_model.llama_params()  # the agent's settings for both
    if compare == "sampler":
        variants = [("stock", Llama, params), ("ours", fast, params)]
    elif compare == "kv-cache":
        q8 = chat_model.model_copy(update={"kv_cache": "q8_0"}).llama_params()
        q8_keys = chat_model.model_copy(update={"kv_cache": "q8_0-keys"}).llama_params()
        variants = [("q8_0", fast, q8), ("q8_0-keys", fast, q8_keys)]
    else:
        fail(f"--compare: {compare!r} is not one of sampler, kv-cache")
    runs: dict[str, dict[str, Any]] = {}
    with progress_bars(as_json) as progress:
        for label, cls, llama_params in variants:
            task = progress.add_task(label, total=len(questions) + 1)
            llama = cls(**llama_params)
            warm = messages("Hi")  # the routing prefix goes into the KV cache before anything is timed
            llama.create_chat_completion(messages=warm, temperature=0.0, max_tokens=200, response_format=schema)
            progress.advance(task)
            ms, outputs, tokens = [], [], 0
            for question in questions:
                started = time.perf_counter()
                out = llama.create_chat_completion(
                    messages=messages(question), temperature=0.0, max_tokens=200, response_format=schema
                )
                ms.append((time.perf_counter() - started) * 1000)
                outputs.append(out["choices"][0]["message"]["content"])
                tokens += int(out["usage"]["completion_tokens"])
                progress.advance(task)
            runs[label] = {"p50_ms": round(statistics.median(ms), 1), "mean_ms": round(statistics.fmean(ms), 1),
                           "completion_tokens": tokens, "outputs": outputs}  # fmt: skip
            del llama
    (base_label, _, _), (new_label, _, _) = variants
    base, new = runs[base_label], runs[new_label]
    identical = sum(a == b for a, b in zip(base["outputs"], new["outputs"], strict=True))
    results: dict[str, Any] = {
        "machine": machine(),
        "model": chat_model.model_name,
        "compare": compare,
        "decisions": len(questions),
        base_label: {k: v for k, v in base.items() if k != "outputs"},
        new_label: {k: v for k, v in new.items() if k != "outputs"},
        "speedup_mean": round(base["mean_ms"] / new["mean_ms"], 2),
        "speedup_p50": round(base["p50_ms"] / new["p50_ms"], 2),
        "identical_outputs": identical,
        "differences": [
            {"question": q, base_label: a, new_label: b}
            for q, a, b in zip(questions, base["outputs"], new["outputs"], strict=True)
            if a != b
        ],
        "peak_rss_mb": peak_rss_mb(),
    }
    results["report"] = str(save_report(settings.home / "runs", "decoding", results))
    if as_json:
        print_json(results)
        return
    typer.echo(
        f"{len(questions)} routing decisions: {base_label} p50 {base['p50_ms']} ms, {new_label} {new['p50_ms']} ms "
        f"({results['speedup_p50']}x; mean {results['speedup_mean']}x); identical {identical}/{len(questions)}"
    )

"""`mka bench decoding`: routing decisions decoded by llama-cpp-python's stock sampler vs. ours, same process.

The agent's first LLM call for each prompt of an eval suite (the routing prompt, its JSON-schema grammar),
decoded greedily by the stock `Llama` and by `FastGrammarLlama` (grammar check on the top token first, plus
prompt-lookup speculation). Reports p50/mean milliseconds per decision for both, the ratio, and how many
decisions are byte-identical. The two models are loaded one after the other (never both in memory), each
warmed on the routing prefix first, so the timings are of warm decisions as the agent makes them.
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
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Time greedy JSON routing decisions with the stock sampler and ours; check they are identical."""
    from llama_cpp import Llama

    import prompts
    from assistant.agent.decision import decision_schema
    from assistant.agent.graph import route_system_prompt
    from assistant.agent.runner import Agent
    from assistant.commands.common import fail, load_settings, print_json, progress_bars
    from assistant.evals.suite import SuiteError, load_suite
    from assistant.llm.client import grammar_safe
    from assistant.llm.greedy_grammar import make_fast_llama_class
    from assistant.llm.llamacpp_chat import LlamaCppChatModel
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
        user = prompts.render("route_user.j2", history="", results="", next_tool=None, feedback=None, question=question)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    runs: dict[str, dict[str, Any]] = {}
    with progress_bars(as_json) as progress:
        for label, cls in (("stock", Llama), ("ours", make_fast_llama_class())):
            task = progress.add_task(f"{label} sampler", total=len(questions) + 1)
            llama = cls(**chat_model.llama_params())  # the agent's settings, for both decoders
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
    stock, ours = runs["stock"], runs["ours"]
    identical = sum(a == b for a, b in zip(stock["outputs"], ours["outputs"], strict=True))
    results: dict[str, Any] = {
        "machine": machine(),
        "model": chat_model.model_name,
        "decisions": len(questions),
        "stock": {k: v for k, v in stock.items() if k != "outputs"},
        "ours": {k: v for k, v in ours.items() if k != "outputs"},
        "speedup_mean": round(stock["mean_ms"] / ours["mean_ms"], 2),
        "speedup_p50": round(stock["p50_ms"] / ours["p50_ms"], 2),
        "identical_outputs": identical,
        "differences": [
            {"question": q, "stock": a, "ours": b}
            for q, a, b in zip(questions, stock["outputs"], ours["outputs"], strict=True)
            if a != b
        ],
        "peak_rss_mb": peak_rss_mb(),
    }
    results["report"] = str(save_report(settings.home / "runs", "decoding", results))
    if as_json:
        print_json(results)
        return
    typer.echo(
        f"{len(questions)} routing decisions: stock p50 {stock['p50_ms']} ms, ours {ours['p50_ms']} ms "
        f"({results['speedup_p50']}x; mean {results['speedup_mean']}x); identical {identical}/{len(questions)}"
    )

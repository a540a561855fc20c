"""`mka bench agent`: the agent over an eval suite's prompts on the configured model (embedded by default).

Reports routing accuracy, valid-argument rate, p50/p95 first_content_ms, first_token_ms and total_ms, tokens and
peak RSS. Baseline in the same process: the same prompts routed with tool descriptions only (no examples in the
cached prefix), as a ratio of routing accuracy. `--split test` runs only a generated suite's held-out cases (the
figure to report); `--split dev` the ones prompts and examples may be tuned on. The JSON carries breakdowns by
intent, language and follow-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def register(bench_app: typer.Typer) -> None:
    bench_app.command("agent")(bench_agent)


def bench_agent(
    suite_path: Annotated[Path, typer.Option("--suite", help="Suite YAML.")] = Path("evals/suites/core.yaml"),
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N cases.")] = None,
    every: Annotated[
        int, typer.Option("--every", min=1, help="Every Nth case (a sample across all families, in suite order).")
    ] = 1,
    baseline: Annotated[bool, typer.Option(help="Also route without examples (baseline), same process.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    split: Annotated[
        str | None, typer.Option("--split", help="Only the cases of this split: dev (tuning) or test (reporting).")
    ] = None,
) -> None:
    """Run the agent over a suite; print routing accuracy, valid args, latency percentiles and peak RSS."""
    from langgraph.checkpoint.memory import InMemorySaver

    from assistant.agent.runner import Agent
    from assistant.core.console import fail, load_settings, print_json, progress_bars
    from assistant.evals.runner import run_suite, write_reports
    from assistant.evals.suite import SuiteError, filter_split, load_suite
    from bench.common import machine, peak_rss_mb, save_report

    settings = load_settings()
    try:
        suite = filter_split(load_suite(suite_path), split)
    except SuiteError as exc:
        fail(str(exc))
    if every > 1:
        suite = suite.model_copy(update={"cases": suite.cases[::every]})
    if limit:
        suite = suite.model_copy(update={"cases": suite.cases[:limit]})
    agent = Agent(settings, checkpointer=InMemorySaver())
    results: dict[str, Any] = {"machine": machine(), "suite": suite.name, "cases": len(suite.cases)}
    if split:
        results["split"] = split
    if every > 1:
        results["every"] = every
    with progress_bars(as_json) as progress:
        report = run_suite(suite, agent, progress, split=split)
        write_reports(report, settings.home / "runs")
        results["agent"] = _figures(report)
        if baseline:
            agent.deps.examples = []  # descriptions only, as in the routing probe of docs/offline.md
            from assistant.agent.graph import build_graph

            agent.graph = build_graph(agent.deps, InMemorySaver())
            base = run_suite(suite, agent, progress, split=split)
            results["baseline_no_examples"] = _figures(base)
            if base.routing_accuracy:
                results["routing_ratio_vs_baseline"] = round((report.routing_accuracy or 0) / base.routing_accuracy, 2)
    results["model"] = agent.model_name
    results["peak_rss_mb"] = peak_rss_mb()
    results["report"] = str(save_report(settings.home / "runs", "agent", results))
    if as_json:
        print_json(results)
        return
    a = results["agent"]
    p50 = {k: v["p50"] for k, v in a["latency_ms"].items()}
    name = f"{suite.name} [{split}]" if split else suite.name
    typer.echo(
        f"{name} ({len(suite.cases)} cases, {agent.model_name}): routing {a['routing_accuracy']}, "
        f"valid args {a['valid_args_rate']}, pass {a['pass_rate']}; p50 ms {p50}; peak RSS {results['peak_rss_mb']} MB"
    )


def _figures(report: Any) -> dict[str, Any]:
    return {
        "routing_accuracy": report.routing_accuracy,
        "valid_args_rate": report.valid_args_rate,
        "pass_rate": report.pass_rate,
        "truthfulness": report.truthfulness,
        "latency_ms": report.latency_ms,
        "tokens": report.tokens,
        "confusion": report.confusion,
        "breakdowns": {
            name: {label: b.model_dump() for label, b in groups.items()} for name, groups in report.breakdowns.items()
        },
    }

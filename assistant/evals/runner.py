"""Run a suite through the agent, check every case, and write JSON + Markdown reports."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from rich.progress import Progress

from assistant.agent.events import AgentResult
from assistant.agent.grounding import check_answer
from assistant.agent.runner import Agent
from assistant.evals.checks import CheckContext, CheckResult, run_check
from assistant.evals.suite import Case, Suite, ToolExpectation, filter_split


class CaseOutcome(BaseModel):
    id: str
    category: str
    passed: bool
    checks: list[dict[str, Any]]
    expected_tool: str | None
    tools: list[str]
    valid_args: bool
    answer: str
    timings: dict[str, float | None]
    tokens: dict[str, int]
    ungrounded_numbers: list[str] = Field(
        default_factory=list, description="Numbers in the answer found in no tool result (should be none)."
    )
    error: str | None = None
    flags: list[str] = Field(
        default_factory=list, description="What the agent flagged: invalid arguments, retries, grounding removals."
    )
    family: str | None = None
    split: str | None = None
    intent: str | None = None
    language: str = "en"
    follow_up: bool = False
    exact_args: bool | None = Field(default=None, description="Every `exact` tool check passed (None: none).")
    numbers_true: bool | None = Field(default=None, description="Every number check passed (None: none).")
    useful: bool | None = Field(default=None, description="The `useful` check passed (None: none).")


class Breakdown(BaseModel):
    """One group of cases (an intent, a language, follow-ups): how many, and how they did."""

    cases: int
    first_tool_accuracy: float | None
    exact_args_rate: float | None
    numbers_true_rate: float | None
    useful_rate: float | None
    pass_rate: float


class EvalReport(BaseModel):
    suite: str
    model: str
    settings: dict[str, Any]
    started_at: str
    cases: list[CaseOutcome]
    pass_rate: float
    threshold: float
    passed: bool
    routing_accuracy: float | None
    valid_args_rate: float | None
    truthfulness: dict[str, float | None] = Field(default_factory=dict)
    confusion: dict[str, dict[str, int]]
    latency_ms: dict[str, dict[str, float | None]]
    tokens: dict[str, int]
    skipped_checks: int
    split: str | None = Field(default=None, description="The split run (dev or test); None: every case.")
    breakdowns: dict[str, dict[str, Breakdown]] = Field(
        default_factory=dict, description="By intent, language, follow-up and split: cases and their rates."
    )


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    arr = np.asarray(values, dtype=float)
    return {"p50": round(float(np.percentile(arr, 50)), 1), "p95": round(float(np.percentile(arr, 95)), 1)}


def run_case(case: Case, agent: Agent, ctx: CheckContext) -> CaseOutcome:
    thread = f"eval-{case.id}-{uuid.uuid4().hex[:6]}"
    result: AgentResult | None = None
    try:
        for message in case.messages:
            result = agent.ask(message, thread_id=thread)
    except Exception as exc:  # an eval records a crash as a failed case and goes on
        return CaseOutcome(
            id=case.id,
            category=case.category,
            passed=False,
            checks=[],
            expected_tool=case.expected_tool,
            tools=[],
            valid_args=False,
            answer="",
            timings={},
            tokens={},
            error=f"{type(exc).__name__}: {exc}",
            **_labels(case),
            **_failed_rates(case),
        )
    assert result is not None
    checks: list[CheckResult] = [run_check(a, result, ctx, expected_tool=case.expected_tool) for a in case.assertions]
    passed = all(c.passed is not False for c in checks)
    # The agent flags every decision whose arguments failed validation (even when a retry fixed it).
    valid_args = not any(f.startswith(("invalid args", "unparseable decision")) for f in result.flags)
    return CaseOutcome(
        id=case.id,
        category=case.category,
        passed=passed,
        checks=[c.__dict__ for c in checks],
        expected_tool=case.expected_tool,
        tools=[s.tool for s in result.steps],
        valid_args=valid_args,
        flags=list(result.flags),
        answer=result.answer,
        timings=result.timings.model_dump(),
        tokens=result.tokens.model_dump(),
        ungrounded_numbers=check_answer(
            result.answer, [s.result for s in result.steps], result.question
        ).unsupported_numbers,
        **_labels(case),
        **_rates(case, checks),
    )


def _labels(case: Case) -> dict[str, Any]:
    return {
        "family": case.family,
        "split": case.split,
        "intent": case.intent,
        "language": case.language,
        "follow_up": case.follow_up,
    }


def _kinds(case: Case) -> list[str]:
    """Per assertion: 'exact' for an exact tool expectation, else its kind."""
    return ["exact" if isinstance(a.tool, ToolExpectation) and a.tool.exact else a.kind for a in case.assertions]


def _rates(case: Case, checks: list[CheckResult]) -> dict[str, bool | None]:
    kinds = _kinds(case)

    def all_passed(kind: str) -> bool | None:
        wanted = [c for k, c in zip(kinds, checks, strict=True) if k == kind and c.passed is not None]
        return all(c.passed for c in wanted) if wanted else None

    return {"exact_args": all_passed("exact"), "numbers_true": all_passed("number"), "useful": all_passed("useful")}


def _failed_rates(case: Case) -> dict[str, bool | None]:
    """A case that crashed fails each of its checks."""
    kinds = set(_kinds(case))
    return {
        "exact_args": False if "exact" in kinds else None,
        "numbers_true": False if "number" in kinds else None,
        "useful": False if "useful" in kinds else None,
    }


def run_suite(
    suite: Suite,
    agent: Agent,
    progress: Progress,
    judge: Callable[[str, str, str], tuple[bool, str]] | None = None,
    split: str | None = None,
) -> EvalReport:
    """Every case (or one split's) through the agent, checked; `split` raises SuiteError if it has no cases."""
    suite = filter_split(suite, split)
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    con = agent.ctx.workspace.connect(read_only=True)
    ctx = CheckContext(con=con, judge=judge, sql_snippets=suite.sql_snippets)
    outcomes: list[CaseOutcome] = []
    task = progress.add_task(f"Eval {suite.name}", total=len(suite.cases))
    try:
        for case in suite.cases:
            outcomes.append(run_case(case, agent, ctx))
            progress.advance(task)
    finally:
        con.close()
    return build_report(suite, agent, outcomes, started, split=split)


def build_report(
    suite: Suite, agent: Agent, outcomes: list[CaseOutcome], started: str, split: str | None = None
) -> EvalReport:
    if split is not None:
        outcomes = [o for o in outcomes if o.split == split]
    routed = [o for o in outcomes if o.expected_tool is not None]
    correct = [o for o in routed if _first_tool(o) == o.expected_tool]
    confusion: dict[str, dict[str, int]] = {}
    for o in routed:
        row = confusion.setdefault(o.expected_tool or "none", {})
        actual = _first_tool(o)
        row[actual] = row.get(actual, 0) + 1
    kinds: Counter[str] = Counter()
    kinds_passed: Counter[str] = Counter()
    skipped = 0
    for o in outcomes:
        for c in o.checks:
            if c["passed"] is None:
                skipped += 1
                continue
            kinds[c["kind"]] += 1
            kinds_passed[c["kind"]] += int(bool(c["passed"]))
    truth: dict[str, float | None] = {
        k: round(kinds_passed[k] / kinds[k], 3) if kinds[k] else None
        for k in ("number", "products_exist", "quotes_exist", "no_pii")
    }
    answered = [o for o in outcomes if o.error is None]
    truth["answers_grounded"] = (
        round(sum(not o.ungrounded_numbers for o in answered) / len(answered), 3) if answered else None
    )
    pass_rate = round(sum(o.passed for o in outcomes) / len(outcomes), 3) if outcomes else 0.0
    timing = {
        key: _percentiles([v for o in outcomes if (v := o.timings.get(key)) is not None])
        for key in ("first_content_ms", "first_token_ms", "total_ms")
    }
    settings = agent.settings
    return EvalReport(
        suite=suite.name,
        model=agent.model_name,
        settings={
            "llm": settings.llm,
            "local_model": settings.local_model,
            "llm_model": settings.llm_model,
            "threads": settings.llm_threads,
            "context": settings.llm_context,
        },
        started_at=started,
        cases=outcomes,
        pass_rate=pass_rate,
        threshold=suite.threshold,
        passed=pass_rate >= suite.threshold,
        routing_accuracy=round(len(correct) / len(routed), 3) if routed else None,
        valid_args_rate=round(sum(o.valid_args for o in outcomes) / len(outcomes), 3) if outcomes else None,
        truthfulness=truth,
        confusion=confusion,
        latency_ms=timing,
        tokens={
            "prompt": sum(o.tokens.get("prompt", 0) for o in outcomes),
            "completion": sum(o.tokens.get("completion", 0) for o in outcomes),
        },
        skipped_checks=skipped,
        split=split,
        breakdowns=breakdowns(outcomes),
    )


def _rate(values: list[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 3) if known else None


def breakdown(outcomes: list[CaseOutcome]) -> Breakdown:
    routed = [o for o in outcomes if o.expected_tool is not None]
    return Breakdown(
        cases=len(outcomes),
        first_tool_accuracy=_rate([_first_tool(o) == o.expected_tool for o in routed]),
        exact_args_rate=_rate([o.exact_args for o in outcomes]),
        numbers_true_rate=_rate([o.numbers_true for o in outcomes]),
        useful_rate=_rate([o.useful for o in outcomes]),
        pass_rate=_rate([o.passed for o in outcomes]) or 0.0,
    )


def breakdowns(outcomes: list[CaseOutcome]) -> dict[str, dict[str, Breakdown]]:
    """Cases grouped by intent (the category when a case has none), language, follow-up and split."""
    keys: dict[str, Callable[[CaseOutcome], str | None]] = {
        "intent": lambda o: o.intent or o.category,
        "language": lambda o: o.language,
        "follow_up": lambda o: "follow-up" if o.follow_up else "single turn",
        "split": lambda o: o.split,
    }
    out: dict[str, dict[str, Breakdown]] = {}
    for name, key in keys.items():
        groups: dict[str, list[CaseOutcome]] = {}
        for o in outcomes:
            label = key(o)
            if label is not None:
                groups.setdefault(label, []).append(o)
        if groups:
            out[name] = {label: breakdown(group) for label, group in sorted(groups.items())}
    return out


def _first_tool(outcome: CaseOutcome) -> str:
    return outcome.tools[0] if outcome.tools else "none"


def to_markdown(report: EvalReport) -> str:
    lines = [
        f"# Eval `{report.suite}` — {'PASS' if report.passed else 'FAIL'}",
        "",
        f"- model: {report.model} ({report.settings.get('llm')}); started {report.started_at}",
        f"- pass rate: {report.pass_rate:.1%} (threshold {report.threshold:.0%}) over {len(report.cases)} cases",
        f"- routing accuracy: {_pct(report.routing_accuracy)}; valid arguments: {_pct(report.valid_args_rate)}",
        "- truthfulness: " + ", ".join(f"{k} {_pct(v)}" for k, v in report.truthfulness.items()),
        "- latency (ms): " + ", ".join(f"{k} p50 {v['p50']} / p95 {v['p95']}" for k, v in report.latency_ms.items()),
        f"- tokens: prompt {report.tokens['prompt']:,}, completion {report.tokens['completion']:,}",
        f"- skipped checks: {report.skipped_checks}",
        *([f"- split: {report.split}"] if report.split else []),
        "",
        "## Routing confusion (expected → first tool used)",
        "",
        "| expected | actual | cases |",
        "|---|---|---:|",
    ]
    for expected, row in sorted(report.confusion.items()):
        for actual, n in sorted(row.items()):
            lines.append(f"| {expected} | {actual} | {n} |")
    titles = {"intent": "intent", "language": "language", "follow_up": "Follow-ups", "split": "split"}
    for name, groups in report.breakdowns.items():
        heading = titles.get(name, name)
        lines += [
            "",
            f"## {heading}" if name == "follow_up" else f"## By {heading}",
            "",
            f"| {name.replace('_', '-')} | cases | first tool | exact args | numbers true | useful | pass |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for label, b in groups.items():
            rates = (b.first_tool_accuracy, b.exact_args_rate, b.numbers_true_rate, b.useful_rate, b.pass_rate)
            lines.append(f"| {label} | {b.cases} | " + " | ".join(_pct(r) for r in rates) + " |")
    lines += ["", "## Cases", "", "| case | result | tools | why |", "|---|---|---|---|"]
    for o in report.cases:
        failed = [c["reason"] for c in o.checks if c["passed"] is False]
        why = o.error or "; ".join(failed) or "all checks passed"
        lines.append(f"| {o.id} | {'pass' if o.passed else 'FAIL'} | {', '.join(o.tools) or '—'} | {why} |")
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def write_reports(report: EvalReport, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"eval-{report.suite}-{time.strftime('%Y%m%dT%H%M%S')}"
    json_path = directory / f"{stem}.json"
    md_path = directory / f"{stem}.md"
    json_path.write_text(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False), encoding="utf-8")
    md_path.write_text(to_markdown(report), encoding="utf-8")
    return json_path, md_path

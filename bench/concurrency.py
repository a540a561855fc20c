"""`mka bench concurrency`: many marketers at once.

Default: N concurrent sessions (threads, each its own conversation, `--turns` questions each) against an
OpenAI-compatible server on 127.0.0.1 — the local stand-in of bench/llm_standin.py, whose fixed per-token delay
isolates the agent's own overhead, or any server given with `--base-url`. Baseline in the same run: one session
alone. Reports errors, cross-talk (an answer, tool call, token count or stored conversation that is not its own
session's), throughput as a ratio to the single session, and p50/p95 turn latency.

`--embedded`: the configured embedded model instead (one turn at a time): N sessions join the line one after
another and must be served in that order, each seeing its place in the line ("k questions ahead of you").
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from assistant.agent.events import AgentResult
    from assistant.agent.runner import Agent
    from assistant.core.settings import Settings
    from bench.llm_standin import StandInLog

QUESTIONS = ("How many customers do we have in {country}?", "Which of our customers in {country} are champions?")
EMBEDDED_QUESTION = "Customers in {country}?"


def register(bench_app: typer.Typer) -> None:
    bench_app.command("concurrency")(bench_concurrency)


@dataclass
class Session:
    index: int
    country: str
    thread_id: str
    questions: list[str]
    results: list[AgentResult] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)  # the `ahead` of each Queued event seen
    error: str | None = None
    finished_at: float = 0.0


def bench_concurrency(
    sessions: Annotated[
        int | None, typer.Option("--sessions", min=1, max=200, help="Sessions (default 20; 10 with --embedded).")
    ] = None,
    turns: Annotated[int, typer.Option("--turns", min=1, max=10, help="Questions per session (one thread).")] = 2,
    token_delay_ms: Annotated[
        float, typer.Option("--token-delay-ms", min=0.0, help="The stand-in's delay per generated token.")
    ] = 50.0,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="A running OpenAI-compatible server instead of the stand-in.")
    ] = None,
    embedded: Annotated[
        bool, typer.Option("--embedded", help="The embedded model: sessions queue; FIFO order and places checked.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Concurrent sessions: errors, cross-talk, throughput vs one session, p50/p95 latency (or FIFO with --embedded)."""
    from assistant.core.console import load_settings, print_json
    from bench.common import machine, save_report

    settings = load_settings()
    if embedded:
        results = run_embedded(settings, sessions or 10)
    else:
        results = run_server(settings, sessions or 20, turns, token_delay_ms / 1000, base_url)
    results["machine"] = machine()
    results["report"] = str(save_report(settings.home / "runs", "concurrency", results))
    if as_json:
        print_json(results)
        return
    for line in summary(results):
        typer.echo(line)


def summary(results: dict[str, Any]) -> list[str]:
    if results["mode"] == "embedded":
        return [
            f"embedded model {results['model']}: {results['sessions']} sessions, errors {results['errors']}, "
            f"served in FIFO order: {results['fifo']}, places as expected: {results['places_as_expected']}, "
            f"cross-talk {results['cross_talk']}; places seen: {results['places_seen']}",
            f"turn p50 {results['latency_s']['p50']} s, waited up to {results['max_wait_s']} s",
        ]
    single, many = results["single"], results["concurrent"]
    return [
        f"{results['server']} ({results['token_delay_ms']} ms/token), model {results['model']}",
        f"1 session: {single['turns']} turns in {single['seconds']} s ({single['turns_per_s']} turns/s)",
        f"{results['sessions']} sessions: {many['turns']} turns in {many['seconds']} s ({many['turns_per_s']} turns/s)"
        f" — {results['throughput_ratio']}x one session; peak {results['peak_requests_in_flight']} requests in flight",
        f"errors {results['errors']}, cross-talk {results['cross_talk']}; "
        f"turn latency p50 {many['latency_s']['p50']} s, p95 {many['latency_s']['p95']} s",
    ]


def run_server(
    settings: Settings, sessions: int, turns: int, token_delay_s: float, base_url: str | None
) -> dict[str, Any]:
    """The concurrent run against an OpenAI-compatible server (the stand-in unless `base_url`)."""
    from contextlib import nullcontext

    from bench.llm_standin import serve

    server = nullcontext((base_url, None)) if base_url else serve(token_delay_s)
    with server as (url, log), tempfile.TemporaryDirectory(prefix="mka-bench-conc-") as tmp:
        remote = settings.model_copy(
            update={"llm": "openai-compatible", "llm_base_url": url, "llm_model": settings.llm_model if base_url
                    else "stand-in", "llm_api_key": settings.llm_api_key or "not-needed"}
        )  # fmt: skip
        agent = _agent(remote, Path(tmp) / "conversations.sqlite")
        countries = busiest_countries(agent, sessions + 1)
        if len(countries) < sessions + 1:
            raise typer.BadParameter(f"the workspace has {len(countries)} countries; use at most {len(countries) - 1}")
        _session(agent, countries[-1], 0, turns, "warm-up")  # loads the tools' resources; not measured
        start = time.perf_counter()
        alone = _session(agent, countries[-1], 0, turns, "single")
        single_s = time.perf_counter() - start
        group = [_new_session(i, countries[i], turns) for i in range(sessions)]
        gate = threading.Barrier(sessions)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=sessions, thread_name_prefix="bench-session") as pool:
            for future in [pool.submit(_run, agent, s, gate) for s in group]:
                future.result()
        many_s = time.perf_counter() - start
        cross_talk = check_sessions(agent, group, log, scripted=base_url is None)  # a real model words its own
        errors = [s.error for s in [alone, *group] if s.error]
        model = agent.model_name
    single_tps = turns / single_s
    many_turns = sum(len(s.results) for s in group)
    latencies = [r.timings.total_ms / 1000 for s in group for r in s.results]
    return {
        "mode": "server",
        "server": base_url or "stand-in on 127.0.0.1",
        "token_delay_ms": None if base_url else round(token_delay_s * 1000, 1),
        "model": model,
        "sessions": sessions,
        "turns_per_session": turns,
        "errors": len(errors),
        "error_samples": errors[:5],
        "cross_talk": len(cross_talk),
        "cross_talk_samples": cross_talk[:10],
        "single": _figures(turns, single_s, [r.timings.total_ms / 1000 for r in alone.results]),
        "concurrent": _figures(many_turns, many_s, latencies),
        "throughput_ratio": round((many_turns / many_s) / single_tps, 1),
        "peak_requests_in_flight": log.peak_concurrency if log is not None else None,
    }


def run_embedded(settings: Settings, sessions: int) -> dict[str, Any]:
    """Sessions join the embedded model's line one after another; each must be served in that order."""
    with tempfile.TemporaryDirectory(prefix="mka-bench-conc-") as tmp:
        agent = _agent(settings, Path(tmp) / "conversations.sqlite")
        if agent.turns is None:
            raise typer.BadParameter(f"--embedded needs MKA_LLM=local (the model here is {agent.model_name})")
        agent.warm_up()
        countries = busiest_countries(agent, sessions)
        group = [_new_session(i, c, 1, EMBEDDED_QUESTION) for i, c in enumerate(countries[:sessions])]
        threads = []
        started = time.perf_counter()
        for session in group:  # one after another: session i joins the line only once i-1 is in it
            before = agent.turns.length
            thread = threading.Thread(target=_run, args=(agent, session, None), name=f"bench-session-{session.index}")
            thread.start()
            threads.append(thread)
            while agent.turns.length == before and thread.is_alive():
                time.sleep(0.005)
        for thread in threads:
            thread.join()
        cross_talk = check_sessions(agent, group, None, scripted=False)
    order = [s.index for s in sorted(group, key=lambda s: s.finished_at)]
    places_ok = all(_distinct(s.queued) == list(range(s.index, 0, -1)) for s in group)
    return {
        "mode": "embedded",
        "model": agent.model_name,
        "sessions": sessions,
        "errors": sum(1 for s in group if s.error),
        "error_samples": [s.error for s in group if s.error][:5],
        "cross_talk": len(cross_talk),
        "cross_talk_samples": cross_talk[:10],
        "tools_used": sorted({st.tool for s in group for r in s.results for st in r.steps}),
        "fifo": order == sorted(order),
        "served_order": order,
        "places_seen": {s.index: _distinct(s.queued) for s in group},
        "places_as_expected": places_ok,
        "latency_s": _percentiles([r.timings.total_ms / 1000 for s in group for r in s.results]),
        "max_wait_s": round(max((r.timings.queued_ms for s in group for r in s.results), default=0) / 1000, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _agent(settings: Settings, conversations: Path) -> Agent:
    from assistant.agent.memory import sqlite_checkpointer
    from assistant.agent.runner import Agent

    return Agent(settings, checkpointer=sqlite_checkpointer(conversations))


def busiest_countries(agent: Agent, n: int) -> list[str]:
    """The `n` countries with the most customers, none of whose names holds another's (so an answer naming a
    country names only that one)."""
    rows = (
        agent.ctx.warehouse()
        .execute(
            "SELECT country FROM customers WHERE country IS NOT NULL AND country NOT ILIKE '%unspecified%' "
            "GROUP BY country ORDER BY count(*) DESC, country"
        )
        .fetchall()
    )
    chosen: list[str] = []
    for (country,) in rows:
        if not any(_names(country, c) or _names(c, country) for c in chosen):
            chosen.append(str(country))
        if len(chosen) == n:
            break
    return chosen


def _distinct(places: list[int]) -> list[int]:
    """Places with repeats in a row removed (a waiting turn re-announces an unchanged place now and then)."""
    return [p for i, p in enumerate(places) if i == 0 or places[i - 1] != p]


def _names(text: str, country: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(country)}(?!\w)", text) is not None


def _new_session(index: int, country: str, turns: int, template: str | None = None) -> Session:
    templates = [template] if template else QUESTIONS
    questions = [templates[t % len(templates)].format(country=country) for t in range(turns)]
    return Session(index, country, f"bench-{index}-{country.lower().replace(' ', '-')}", questions)


def _session(agent: Agent, country: str, index: int, turns: int, label: str) -> Session:
    session = _new_session(index, country, turns)
    session.thread_id = f"{label}-{session.thread_id}"
    _run(agent, session, None)
    return session


def _run(agent: Agent, session: Session, gate: threading.Barrier | None) -> None:
    from assistant.agent.events import Final, Queued

    if gate is not None:
        gate.wait()
    try:
        for question in session.questions:
            for event in agent.stream(question, thread_id=session.thread_id):
                if isinstance(event, Queued):
                    session.queued.append(event.ahead)
                elif isinstance(event, Final):
                    session.results.append(event.result)
    except Exception as exc:  # counted and reported: the figure is the error count
        session.error = f"session {session.index}: {type(exc).__name__}: {exc}"
    session.finished_at = time.perf_counter()


def check_sessions(agent: Agent, group: list[Session], log: StandInLog | None, *, scripted: bool = True) -> list[str]:
    """Every way a turn could show another session's work: its question, thread, tool arguments, answer text, token
    count (against what the server logged for that question) and the conversation stored under its thread.

    `scripted=False` (a real model, which may pick another tool or word its answer differently): only another
    session's country in a turn's arguments or answer counts, not a missing mention of its own."""
    problems: list[str] = []
    others = {s.country for s in group}
    usage = log.usage_by_question() if log is not None else {}
    for s in group:
        if s.error:
            continue
        if len(s.results) != len(s.questions):
            problems.append(f"session {s.index}: {len(s.results)} answers to {len(s.questions)} questions")
        for question, result in zip(s.questions, s.results, strict=False):
            where = f"session {s.index} ({s.country}) {question!r}"
            if result.question != question or result.thread_id != s.thread_id:
                problems.append(f"{where}: result of {result.question!r} in thread {result.thread_id}")
            for step in result.steps:
                countries = step.args.get("countries") or []
                if scripted and step.tool == "segment_query" and countries != [s.country]:
                    problems.append(f"{where}: segment_query for {countries}")
                named = [c for c in others - {s.country} if _names(json.dumps(step.args, ensure_ascii=False), c)]
                if named:
                    problems.append(f"{where}: {step.tool} called for {named}")
            if scripted and not result.steps:
                problems.append(f"{where}: no tool ran (flags: {result.flags[:2]})")
            if scripted and not _names(result.answer, s.country):
                problems.append(f"{where}: the answer does not name {s.country}")
            foreign = [c for c in others - {s.country} if _names(result.answer, c) and not _names(s.country, c)]
            if foreign:
                problems.append(f"{where}: the answer names {foreign}")
            if log is not None:
                expected = usage.get(question, (0, 0))
                if (result.tokens.prompt, result.tokens.completion) != expected:
                    problems.append(f"{where}: tokens {result.tokens} but the server served {expected}")
        stored = agent.graph.get_state({"configurable": {"thread_id": s.thread_id}}).values.get("messages", [])
        asked = [str(m.content) for m in stored if m.type == "human"]
        if asked != s.questions[: len(s.results)]:
            problems.append(f"session {s.index}: thread {s.thread_id} holds the questions {asked}")
    return problems


def _figures(turns: int, seconds: float, latencies: list[float]) -> dict[str, Any]:
    return {
        "turns": turns,
        "seconds": round(seconds, 2),
        "turns_per_s": round(turns / seconds, 3),
        "latency_s": _percentiles(latencies),
    }


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 2), "p95": round(p95, 2)}

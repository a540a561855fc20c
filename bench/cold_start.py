"""`mka bench cold-start`: a fresh `mka ask` process, from its start to the first content it prints, with the
saved prompt states present vs absent.

Every new process used to decode the ~3,500-token routing prefix before it could route (about two minutes on
2 cores); with the saved state (assistant/llm/llamacpp/prompt_states.py) it reads the file instead. Each run
starts `python -m assistant.cli ask QUESTION` afresh (same workspace, same machine, one at a time) and times
the first byte on its stdout: the tool's table or the first word of the answer, whichever comes first.
- absent: MKA_LLM_STATE_FILES_MB=0, so no state file is read or written — what every process did before;
- present: the default; a run that had to write a state first (none saved yet for this model, these
  parameters and this workspace's prompt) is reported apart, as `writer`.
Absent and present runs alternate (absent runs spread evenly among the present ones when there are fewer of
them: each costs minutes), so a machine that gets busier or quieter during the bench affects both. Reports p50s
and their ratio.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

QUESTION = "How many customers do we have in Germany?"
RUN_TIMEOUT_S = 1800


def register(bench_app: typer.Typer) -> None:
    bench_app.command("cold-start")(bench_cold_start)


def _state_files(directory: Path) -> set[tuple[str, int]]:
    if not directory.is_dir():
        return set()
    return {(p.name, p.stat().st_ino) for p in directory.glob("*.kvstate")}  # a load touches mtime, a write the inode


def time_fresh_ask(question: str, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Start `mka ask` in a new process; seconds to its first stdout byte and to its exit."""
    command = [sys.executable, "-m", "assistant.cli", "ask", question]
    first: list[float] = []
    output = bytearray()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    stdout, stderr = process.stdout, process.stderr
    errors = bytearray()
    drain = threading.Thread(target=lambda: errors.extend(stderr.read()), daemon=True)
    drain.start()
    while chunk := os.read(stdout.fileno(), 65536):
        if not first:
            first.append(time.perf_counter() - started)
        output.extend(chunk)
    try:
        code = process.wait(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    total = time.perf_counter() - started
    drain.join(timeout=10)
    if code != 0 or not first:
        tail = errors.decode("utf-8", "replace")[-1500:]
        raise RuntimeError(f"`mka ask` exited with {code} and {'no' if not first else 'some'} output:\n{tail}")
    return {"first_content_s": round(first[0], 2), "exit_s": round(total, 2), "output_chars": len(output)}


def interleaved(present: int, absent: int) -> list[str]:
    """The run order: each absent run before its share of the present runs, spread evenly."""
    order: list[str] = []
    for index in range(absent):
        order.append("absent")
        order.extend(["present"] * ((index + 1) * present // absent - index * present // absent))
    return order


def bench_cold_start(
    runs: Annotated[int, typer.Option(min=1, help="Runs per variant (each absent run decodes the prefix).")] = 3,
    absent_runs: Annotated[
        int | None, typer.Option(min=1, help="Runs without the states (default: --runs); each decodes the prefix.")
    ] = None,
    question: Annotated[str, typer.Option(help="What each fresh process asks.")] = QUESTION,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Process start → first content of `mka ask`, fresh process each run: saved prompt states present vs absent."""
    from assistant.core.console import fail, load_settings, print_json
    from assistant.core.workspace import Workspace
    from bench.common import machine, save_report

    settings = load_settings()
    workspace = Workspace(settings.home)
    if settings.llm != "local":
        fail("mka bench cold-start measures the in-process model: set MKA_LLM=local")
    if settings.llm_state_files_mb == 0:
        fail("MKA_LLM_STATE_FILES_MB=0 turns saved prompt states off: unset it to measure them")
    if not workspace.is_built():
        fail(f"no workspace at {workspace.home}: run `mka ingest` (or `mka ingest --demo`) first")
    base = {**os.environ, "MKA_HOME": str(settings.home), "PYTHONUNBUFFERED": "1"}
    variants = {"absent": {**base, "MKA_LLM_STATE_FILES_MB": "0"}, "present": base}
    cwd = Path(__file__).resolve().parent.parent  # the project: `python -m assistant.cli` imports from here
    timed: list[dict[str, Any]] = []

    def run(variant: str) -> None:
        before = _state_files(workspace.prompt_states_dir)
        result = time_fresh_ask(question, variants[variant], cwd)
        wrote = variant == "present" and bool(_state_files(workspace.prompt_states_dir) - before)
        timed.append({"variant": "writer" if wrote else variant, **result})
        if not as_json:
            name, first, total = timed[-1]["variant"], result["first_content_s"], result["exit_s"]
            typer.echo(f"  {name:8} first content {first:7.2f} s, exit {total:.1f} s")

    run("present")  # writes the states if there are none yet (reported as `writer`), else one more present run
    for variant in interleaved(runs, absent_runs or runs):
        run(variant)

    def p50(variant: str, field: str = "first_content_s") -> float | None:
        values = [t[field] for t in timed if t["variant"] == variant]
        return round(statistics.median(values), 2) if values else None

    absent, present, states = p50("absent"), p50("present"), workspace.prompt_states_dir
    results: dict[str, Any] = {
        "machine": machine(),
        "question": question,
        "runs_per_variant": {"present": runs, "absent": absent_runs or runs},
        "first_content_p50_s": {"absent": absent, "present": present, "writer": p50("writer")},
        "exit_p50_s": {"absent": p50("absent", "exit_s"), "present": p50("present", "exit_s")},
        "speedup_first_content": round(absent / present, 1) if absent and present else None,
        "state_files_mb": round(sum(p.stat().st_size for p in states.glob("*.kvstate")) / 2**20, 1),
        "runs": timed,
    }
    results["report"] = str(save_report(workspace.runs_dir, "cold-start", results))
    if as_json:
        print_json(results)
        return
    counts = {v: sum(t["variant"] == v for t in timed) for v in ("present", "absent")}
    typer.echo(
        f"first content of a fresh `mka ask`, p50 of {counts['present']} present / {counts['absent']} absent: "
        f"absent {absent} s, present {present} s: "
        f"{results['speedup_first_content']}x faster with the saved prompt states "
        f"({results['state_files_mb']} MB in {workspace.prompt_states_dir})"
    )

"""`mka bench ready`: seconds from starting the chat UI or the Slack bot to serving, and to the model being ready.

Each run starts a fresh `mka ui` or `mka slack --http` process on a free local port (same workspace, one at a
time) and times two moments: the first HTTP answer on its port (the server is up) and its "Local model ready"
line (the warm-up routed a request: the routing prefix is in the KV cache, so the first question is not the slow
one). With the saved prompt states present (the default) the warm-up loads the routing prefix from the workspace
instead of decoding it (assistant/llm/llamacpp/prompt_states.py).

The Slack bot checks its token with Slack's `auth.test` when it starts; offline, the bench answers that call from a
stub Web API on 127.0.0.1 (every method: ok), and the bot never receives an event.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import typer

READY_LINE = "local model ready"
RUN_TIMEOUT_S = 600
DOORS = ("ui", "slack")


def register(bench_app: typer.Typer) -> None:
    bench_app.command("ready")(bench_ready)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _SlackStub(BaseHTTPRequestHandler):
    """Slack's Web API as far as a starting bot uses it: every method answers ok with the bot's identity."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ok": True, "user_id": "UBENCH", "bot_id": "BBENCH", "team_id": "TBENCH"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def _slack_stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlackStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/"
    finally:
        server.shutdown()
        server.server_close()


def time_start(command: list[str], port: int, env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Start `command`; seconds to the first HTTP answer on `port` and to its model-ready line. Stops it after."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    stdout = process.stdout
    moments: dict[str, float] = {}
    tail: list[str] = []

    def read() -> None:
        for line in stdout:
            tail[:] = [*tail[-20:], line]
            if READY_LINE in line.lower() and "model_ready_s" not in moments:
                moments["model_ready_s"] = round(time.perf_counter() - started, 2)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while "model_ready_s" not in moments or "serving_s" not in moments:
            if process.poll() is not None:
                raise RuntimeError(f"`{' '.join(command[2:])}` exited with {process.returncode}:\n{''.join(tail)}")
            if time.perf_counter() - started > RUN_TIMEOUT_S:
                raise RuntimeError(f"`{' '.join(command[2:])}` not ready after {RUN_TIMEOUT_S} s:\n{''.join(tail)}")
            if "serving_s" not in moments:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                    moments["serving_s"] = round(time.perf_counter() - started, 2)
                except urllib.error.HTTPError:  # any HTTP answer (the bot's 404 for GET /): the server is up
                    moments["serving_s"] = round(time.perf_counter() - started, 2)
                except OSError:
                    pass
            time.sleep(0.1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return moments


def bench_ready(
    runs: Annotated[int, typer.Option(min=1, help="Fresh starts per front door.")] = 3,
    door: Annotated[list[str] | None, typer.Option(help="ui and/or slack (default: both).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Start → serving and start → model ready, for the chat UI and the Slack bot, fresh process each run."""
    from assistant.core.console import fail, load_settings, print_json
    from assistant.core.workspace import Workspace
    from bench.common import machine, save_report

    settings = load_settings()
    workspace = Workspace(settings.home)
    doors = door or list(DOORS)
    if unknown := [d for d in doors if d not in DOORS]:
        fail(f"--door: unknown {unknown}; use {' or '.join(DOORS)}")
    if settings.llm != "local":
        fail("mka bench ready measures the in-process model's warm-up: set MKA_LLM=local")
    if not workspace.is_built():
        fail(f"no workspace at {workspace.home}: run `mka ingest` (or `mka ingest --demo`) first")
    cwd = Path(__file__).resolve().parent.parent
    base = {**os.environ, "MKA_HOME": str(settings.home), "PYTHONUNBUFFERED": "1"}
    timed: list[dict[str, Any]] = []
    with _slack_stub() as api_url:
        slack_env = {**base, "MKA_SLACK_API_URL": api_url, "SLACK_BOT_TOKEN": "xoxb-bench-0",
                     "SLACK_SIGNING_SECRET": "bench-secret"}  # fmt: skip
        for _ in range(runs):
            for name in doors:
                port = _free_port()
                if name == "ui":
                    command, env = [sys.executable, "-m", "assistant.cli", "ui", "--port", str(port)], base
                else:
                    command = [sys.executable, "-m", "assistant.cli", "slack", "--http", "--port", str(port)]
                    env = slack_env
                moments = time_start(command, port, env, cwd)
                timed.append({"door": name, **moments})
                if not as_json:
                    serving, ready = moments["serving_s"], moments["model_ready_s"]
                    typer.echo(f"  {name:5} serving {serving:6.2f} s, model ready {ready:6.2f} s")

    def p50(name: str, field: str) -> float:
        return round(statistics.median(t[field] for t in timed if t["door"] == name), 2)

    results: dict[str, Any] = {
        "machine": machine(),
        "runs_per_door": runs,
        "p50_s": {
            name: {"serving": p50(name, "serving_s"), "model_ready": p50(name, "model_ready_s")} for name in doors
        },
        "state_files": sorted(p.name for p in workspace.prompt_states_dir.glob("*.kvstate")),
        "runs": timed,
    }
    results["report"] = str(save_report(workspace.runs_dir, "ready", results))
    if as_json:
        print_json(results)
        return
    for name in doors:
        figures = results["p50_s"][name]
        typer.echo(f"{name}: serving after {figures['serving']} s, model ready after {figures['model_ready']} s (p50)")

"""`mka ask` (one turn) and `mka chat` (a terminal conversation) over the agent."""

from __future__ import annotations

import sys
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.commands.common import err_console, fail, load_settings, print_json

if TYPE_CHECKING:
    from assistant.agent.runner import Agent


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.command("chat")(chat)


def _agent() -> Agent:
    from assistant.agent.runner import Agent
    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from assistant.llm.factory import LLMUnavailableError

    settings = load_settings()
    try:
        Workspace(settings.home).require_built()
        return Agent(settings)
    except (WorkspaceMissingError, LLMUnavailableError) as exc:
        fail(str(exc))


def ask(
    question: Annotated[str, typer.Argument(help="Your question, in plain words.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print exactly one JSON object (docs/architecture.md contract).")
    ] = False,
    thread: Annotated[str | None, typer.Option("--thread", help="Conversation id, to continue a conversation.")] = None,
) -> None:
    """Ask one question; the answer streams unless --json."""
    from assistant.agent.events import Final, Queued, StepFinished, StepStarted, Token
    from assistant.agent.runner import QuestionError

    agent = _agent()
    try:
        events = agent.stream(question, thread_id=thread)
        for event in events:
            if as_json:
                if isinstance(event, Final):
                    data = event.result.model_dump(mode="json", include={
                        "question", "answer", "steps", "model", "timings", "tokens"})  # fmt: skip
                    print_json(data)
                continue
            if isinstance(event, Queued):
                err_console.print(f"[dim]… waiting for the model: {event.text()}[/dim]", highlight=False)
            elif isinstance(event, StepStarted):
                err_console.print(f"[dim]→ {event.tool} {event.args}[/dim]", highlight=False)
            elif isinstance(event, StepFinished):
                status = "ok" if event.ok else f"failed: {event.error}"
                err_console.print(f"[dim]← {event.tool} {status} ({event.ms:.0f} ms)[/dim]", highlight=False)
                if event.ok and event.markdown:
                    sys.stdout.write(event.markdown + "\n\n")
            elif isinstance(event, Token):
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, Final):
                sys.stdout.write("\n")
                for flag in event.result.flags:
                    err_console.print(f"[yellow]note:[/yellow] {flag}", highlight=False)
    except QuestionError as exc:
        fail(str(exc))


def chat(
    thread: Annotated[str | None, typer.Option("--thread", help="Continue this conversation id.")] = None,
) -> None:
    """A conversation in the terminal (memory per thread; empty line or Ctrl-D to quit)."""
    from assistant.agent.events import StepFinished, StepStarted, Token
    from assistant.agent.runner import QuestionError

    agent = _agent()
    thread = thread or uuid.uuid4().hex[:12]
    kind = "SYNTHETIC demo data" if agent.ctx.workspace.manifest().get("synthetic") else "your data"
    typer.echo(f"mka chat — {kind}, model {agent.model_name}, conversation {thread}. Empty line to quit.")
    while True:
        try:
            question = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            for event in agent.stream(question, thread_id=thread):
                if isinstance(event, StepStarted):
                    typer.echo(f"  → {event.tool} {event.args}")
                elif isinstance(event, StepFinished):
                    typer.echo(f"  ← {event.tool} {'ok' if event.ok else 'failed: ' + str(event.error)}")
                    if event.ok and event.markdown:
                        typer.echo(event.markdown + "\n")
                elif isinstance(event, Token):
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
            sys.stdout.write("\n")
        except QuestionError as exc:
            typer.echo(f"error: {exc}")

"""`mka ui`: the Gradio chat in the browser (127.0.0.1 by default; analytics off)."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.commands.common import err_console, fail, load_settings, warm_up_in_background


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)


def ui(
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to bind (default MKA_UI_HOST or 127.0.0.1: this machine only)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port (default MKA_UI_PORT or 7860).")
    ] = None,
) -> None:
    """Open the chat UI: streaming answers, tool steps, charts, tables, copy drafts and CSV exports."""
    from assistant.agent.runner import Agent
    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from assistant.llm.factory import LLMUnavailableError

    settings = load_settings()
    try:
        Workspace(settings.home).require_built()
    except WorkspaceMissingError as exc:
        fail(str(exc))
    agent: Agent | None = None
    problem: str | None = None
    try:
        agent = Agent(settings)
    except LLMUnavailableError as exc:
        # Still open the UI: the status panel and every answer say what to fix.
        problem = str(exc)
        err_console.print(f"[yellow]warning:[/yellow] {problem}", highlight=False)
    if agent is not None:
        warm_up_in_background(agent)
    import ui as gradio_ui  # the repo-root module (imports gradio: seconds), only now

    host = host or settings.ui_host
    port = port or settings.ui_port
    err_console.print(f"Marketing assistant UI on http://{host}:{port} (Ctrl-C to stop)", highlight=False)
    gradio_ui.launch(settings, agent, problem, host, port)

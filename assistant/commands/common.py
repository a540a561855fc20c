"""Helpers shared by commands: settings with the offline environment applied, progress, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from assistant.core.console import err_console, fail, load_settings, print_json, progress_bars

if TYPE_CHECKING:
    from assistant.core.settings import Settings

__all__ = ["err_console", "fail", "load_settings", "print_json", "progress_bars", "run_tool", "validation_message"]


def validation_message(exc: Any) -> str:
    """A pydantic ValidationError as one line naming each field: 'k: Input should be …; query: …'."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    )


def run_tool(
    tool: Callable[[Any, Any], Any],
    build_input: Callable[[], Any],
    as_json: bool,
    expected: tuple[type[BaseException], ...],
    settings: Settings | None = None,
) -> None:
    """Validate the input, run one tool on the current workspace, print markdown or JSON.

    Bad input and the `expected` errors (plus a missing workspace) end in one line naming what is wrong.
    `settings` replaces the process's settings for this one run (a command that adjusts them).
    """
    from pydantic import ValidationError

    from assistant.core.workspace import WorkspaceMissingError
    from tools.context import ToolContext

    try:
        args = build_input()
    except ValidationError as exc:
        fail(validation_message(exc))
    ctx = ToolContext.from_settings(settings or load_settings())
    caught: tuple[type[BaseException], ...] = (*expected, WorkspaceMissingError)
    try:
        result = tool(args, ctx)
    except caught as exc:
        fail(str(exc))
    finally:
        ctx.close()
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        typer.echo(result.to_markdown())


def warm_up_in_background(agent: Any) -> None:
    """Prepare the local model while the UI starts; a question asked meanwhile simply waits for it."""
    import threading

    def run() -> None:
        try:
            seconds = agent.warm_up()
        except Exception as exc:  # the first question will report the same problem properly
            err_console.print(f"[yellow]warning:[/yellow] model warm-up failed: {exc}", highlight=False)
            return
        if seconds is not None:
            err_console.print(f"Local model ready (routing prompt cached in {seconds} s)", highlight=False)

    threading.Thread(target=run, name="model-warm-up", daemon=True).start()

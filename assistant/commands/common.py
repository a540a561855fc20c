"""Helpers shared by commands: settings with the offline environment applied, progress, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from assistant.config import Settings, get_settings
from assistant.offline import apply_offline_env
from assistant.workspace import Workspace

err_console = Console(stderr=True)


def load_settings() -> Settings:
    settings = get_settings()
    apply_offline_env(Workspace(settings.home).tiktoken_dir)
    return settings


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr naming what is wrong, then exit non-zero."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def progress_bars(quiet: bool = False) -> Iterator[Progress]:
    """Progress bars on stderr (so `--json` output on stdout stays clean)."""
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=False,
    )
    with progress:
        yield progress


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")


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
) -> None:
    """Validate the input, run one tool on the current workspace, print markdown or JSON.

    Bad input and the `expected` errors (plus a missing workspace) end in one line naming what is wrong.
    """
    from pydantic import ValidationError

    from assistant.workspace import WorkspaceMissingError
    from tools.context import ToolContext

    try:
        args = build_input()
    except ValidationError as exc:
        fail(validation_message(exc))
    ctx = ToolContext.from_settings(load_settings())
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

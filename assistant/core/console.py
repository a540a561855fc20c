"""Console helpers every command-line entry point shares (the CLI, the benches): settings with the offline
environment applied, one-line errors, progress bars on stderr, JSON on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from assistant.core.offline import apply_offline_env
from assistant.core.settings import Settings, get_settings
from assistant.core.workspace import Workspace

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

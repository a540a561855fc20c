"""`mka sentiment`: classify a text, score a labelled file, or analyse the reviews in a scope.

- `mka sentiment "some text"` classifies one text.
- `mka sentiment --file F.tsv --json` classifies a `sentence<TAB>label` file (header `sentence	label`,
  label 1 = positive, 0 = negative) and prints `{"n", "accuracy", "predictions": [0/1 …]}`. Sentences
  are judged by the configured LLM (`--llm auto`: when one is available), the trained classifier answering
  where it cannot; `--llm off` uses the classifier alone (fast, but it only knows the shop's reviews).
- `mka sentiment [--product ID …] [--category C] [--topic T] [--since D] [--until D]` analyses reviews.

TEXT and the scope options are the tools' input fields (assistant/commands/tool_options.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from assistant.commands.tool_options import (
    argument,
    command_function,
    field_parameters,
    json_parameter,
    lazy_command,
    load_tool,
    option,
    parameter,
    run,
)

if TYPE_CHECKING:
    from tools.base import Tool


def register(app: typer.Typer) -> None:
    lazy_command(
        app, "sentiment", "Classify a text or a labelled file, or analyse how customers feel in reviews.", _build
    )


def _judge_client(llm_mode: str) -> Any:
    """The configured LLM as a sentence judge for `--file`, or None when it is not to be used."""
    from assistant.commands.common import err_console, load_settings
    from assistant.core.llm_client import LLMClient
    from assistant.llm.factory import LLMUnavailableError, build_chat_model

    settings = load_settings()
    if llm_mode == "off" or (llm_mode == "auto" and settings.llm == "scripted" and not settings.script_file):
        return None
    try:
        return LLMClient(build_chat_model(settings), log_path=settings.log_prompts)
    except LLMUnavailableError as exc:
        if llm_mode == "on":
            raise ValueError(f"--llm on: {exc}") from exc
        err_console.print(f"[yellow]note:[/yellow] no LLM ({exc}); the trained classifier answers alone")
        return None


def _classify_file(path: Path, ctx: Any, llm_mode: str = "off", quiet: bool = True) -> dict[str, Any]:
    from assistant.commands.common import progress_bars
    from tools.sentiment.labelled import read_labelled_file, score_labelled

    sentences, labels = read_labelled_file(path)
    judge = _judge_client(llm_mode) if sentences else None
    if judge is None:
        return score_labelled(sentences, labels, ctx)
    with progress_bars(quiet) as progress:
        task = progress.add_task(f"LLM judging ({judge.model_name})", total=len(sentences))
        return score_labelled(sentences, labels, ctx, judge, lambda: progress.advance(task))


def _build() -> Callable[..., None]:
    """The command: TEXT from classify_sentiment's input, the scope options from analyze_sentiment's, then --file
    and --llm (the file mode is no tool input)."""
    classify, analyze = load_tool("classify_sentiment"), load_tool("analyze_sentiment")
    parameters = [
        *field_parameters(classify.input_model, {"text": argument(optional=True, note="Omit it to analyse reviews.")}),
        parameter(
            "file",
            Path | None,
            typer.Option("--file", help="Classify a 'sentence<TAB>label' TSV file; prints accuracy."),
            default=None,
        ),
        *field_parameters(analyze.input_model, {"product_ids": option("--product")}),
        parameter(
            "llm",
            str,
            typer.Option(
                "--llm", help="--file only: auto (use the configured LLM when available) | on | off (classifier only)."
            ),
            default="auto",
        ),
        json_parameter("Print one JSON object."),
    ]
    return command_function(parameters, lambda values: sentiment(classify, analyze, values))


def sentiment(classify: Tool[Any], analyze: Tool[Any], values: dict[str, Any]) -> None:
    """Classify a text or a labelled file, or analyse how customers feel in reviews."""
    from assistant.commands.common import fail, load_settings, print_json
    from assistant.core.workspace import WorkspaceMissingError
    from tools.context import ToolContext
    from tools.sentiment.model import ModelMissingError

    text, file, llm, as_json = values["text"], values["file"], values["llm"], values["as_json"]
    if text is not None and file is not None:
        fail("give either a TEXT or --file, not both")
    if llm not in ("auto", "on", "off"):
        fail(f"--llm: {llm!r} is not one of auto, on, off")
    if text is not None:
        run(classify, values, as_json)
        return
    if file is None:
        run(analyze, values, as_json)
        return
    expected = (ValueError, WorkspaceMissingError, ModelMissingError, RuntimeError)
    ctx = ToolContext.from_settings(load_settings())
    try:
        scored = _classify_file(file, ctx, llm, quiet=False)
    except expected as exc:
        fail(str(exc))
    finally:
        ctx.close()
    if as_json:
        print_json(scored)
    else:
        typer.echo(_file_summary(scored))


def _file_summary(result: dict[str, Any]) -> str:
    positive = sum(result["predictions"])
    accuracy = f", accuracy {result['accuracy']:.1%}" if result["accuracy"] is not None else ""
    counts = f"{result['n']} sentences: {positive} positive, {result['n'] - positive} negative{accuracy}"
    return f"{counts}\n({result['method']})"

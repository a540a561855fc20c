"""`mka sentiment`: classify a text, score a labelled file, or analyse the reviews in a scope.

- `mka sentiment "some text"` classifies one text.
- `mka sentiment --file F.tsv --json` classifies a `sentence<TAB>label` file (header `sentence	label`,
  label 1 = positive, 0 = negative) and prints `{"n", "accuracy", "predictions": [0/1 …]}`. Sentences
  are judged by the configured LLM (`--llm auto`: when one is available), the trained classifier answering
  where it cannot; `--llm off` uses the classifier alone (fast, but it only knows the shop's reviews).
- `mka sentiment [--product ID …] [--category C] [--topic T] [--since D] [--until D]` analyses reviews.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    app.command("sentiment")(sentiment)


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
    from tools.sentiment.labelled import read_labelled_file, score_labelled_file

    sentences = read_labelled_file(path)[0]
    judge = _judge_client(llm_mode) if sentences else None
    if judge is None:
        return score_labelled_file(path, ctx)
    with progress_bars(quiet) as progress:
        task = progress.add_task(f"LLM judging ({judge.model_name})", total=len(sentences))
        return score_labelled_file(path, ctx, judge, lambda: progress.advance(task))


def sentiment(
    text: Annotated[str | None, typer.Argument(help="A text to classify (omit to analyse reviews).")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Classify a 'sentence<TAB>label' TSV file; prints accuracy.")
    ] = None,
    product: Annotated[list[str] | None, typer.Option("--product", help="Product id (repeatable).")] = None,
    category: Annotated[str | None, typer.Option(help="Department, category or class, e.g. Dresses.")] = None,
    topic: Annotated[str | None, typer.Option(help="An aspect (fit, size, fabric…) or words reviews mention.")] = None,
    since: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Reviews from this date.")] = None,
    until: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Reviews until this date.")] = None,
    llm: Annotated[
        str,
        typer.Option(
            "--llm", help="--file only: auto (use the configured LLM when available) | on | off (classifier only)."
        ),
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Classify a text or a labelled file, or analyse how customers feel in reviews."""
    from assistant.commands.common import fail, load_settings, print_json, run_tool
    from assistant.core.workspace import WorkspaceMissingError
    from tools.context import ToolContext
    from tools.sentiment.model import ModelMissingError
    from tools.sentiment.tool import (
        AnalyzeSentimentInput,
        ClassifySentimentInput,
        analyze_sentiment,
        classify_sentiment,
    )

    if text is not None and file is not None:
        fail("give either a TEXT or --file, not both")
    if llm not in ("auto", "on", "off"):
        fail(f"--llm: {llm!r} is not one of auto, on, off")
    expected = (ValueError, WorkspaceMissingError, ModelMissingError, RuntimeError)
    if text is not None:
        run_tool(classify_sentiment, lambda: ClassifySentimentInput(text=text), as_json, expected)
        return
    if file is None:
        scope = lambda: AnalyzeSentimentInput(  # noqa: E731 - validated inside run_tool
            product_ids=product or [],
            category=category,
            topic=topic,
            since=since.date() if since else None,
            until=until.date() if until else None,
        )
        run_tool(analyze_sentiment, scope, as_json, expected)
        return
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

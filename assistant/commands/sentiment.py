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


def read_labelled_file(path: Path) -> tuple[list[str], list[int | None]]:
    """Sentences and labels from a `sentence<TAB>label` file; a label column is optional."""
    if not path.is_file():
        raise ValueError(f"--file {path}: file not found")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines or lines[0].strip().split("\t")[0].lower() != "sentence":
        raise ValueError(f"--file {path}: the first line must be the header 'sentence<TAB>label'")
    has_label = len(lines[0].strip().split("\t")) > 1
    sentences: list[str] = []
    labels: list[int | None] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        text, _, raw = line.rpartition("\t") if has_label else (line, "", "")
        if has_label and raw.strip() not in ("0", "1"):
            raise ValueError(f"--file {path}, line {number}: label must be 0 or 1, got {raw.strip()!r}")
        sentences.append(text)
        labels.append(int(raw) if has_label else None)
    return sentences, labels


def _judge(sentences: list[str], llm_mode: str, quiet: bool) -> tuple[list[int | None], str | None]:
    """LLM labels per sentence (None where it gave none) and the model's name; ([], None) when not used."""
    from assistant.commands.common import err_console, load_settings, progress_bars
    from assistant.llm.client import LLMClient
    from assistant.llm.factory import LLMUnavailableError, build_chat_model
    from tools.sentiment_llm import judge_texts

    settings = load_settings()
    if llm_mode == "off" or (llm_mode == "auto" and settings.llm == "scripted" and not settings.script_file):
        return [], None
    try:
        client = LLMClient(build_chat_model(settings), log_path=settings.log_prompts)
    except LLMUnavailableError as exc:
        if llm_mode == "on":
            raise ValueError(f"--llm on: {exc}") from exc
        err_console.print(f"[yellow]note:[/yellow] no LLM ({exc}); the trained classifier answers alone")
        return [], None
    with progress_bars(quiet) as progress:
        task = progress.add_task(f"LLM judging ({client.model_name})", total=len(sentences))
        labels = judge_texts(client, sentences, lambda: progress.advance(task))
    return labels, client.model_name


def _classify_file(path: Path, ctx: Any, llm_mode: str = "off", quiet: bool = True) -> dict[str, Any]:
    from tools.sentiment import classify_texts, sentiment_model

    sentences, labels = read_labelled_file(path)
    predictions: list[int] = []
    judged: list[int | None] = []
    model_name: str | None = None
    if sentences:
        scores, _ = classify_texts(sentiment_model(ctx), sentences)
        predictions = [1 if s >= 0 else 0 for s in scores]
        judged, model_name = _judge(sentences, llm_mode, quiet)
        if judged:
            predictions = [p if j is None else j for p, j in zip(predictions, judged, strict=True)]
    known = [(p, y) for p, y in zip(predictions, labels, strict=True) if y is not None]
    accuracy = round(sum(p == y for p, y in known) / len(known), 4) if known else None
    llm_answered = sum(j is not None for j in judged)
    method = (
        f"LLM judge ({model_name}) on {llm_answered} of {len(sentences)}, trained classifier on the rest"
        if model_name
        else "trained classifier (TF-IDF stack + VADER)"
    )
    return {"n": len(sentences), "accuracy": accuracy, "predictions": predictions, "method": method}


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
    from assistant.workspace import WorkspaceMissingError
    from tools.context import ToolContext
    from tools.sentiment import (
        AnalyzeSentimentInput,
        ClassifySentimentInput,
        analyze_sentiment,
        classify_sentiment,
    )
    from tools.sentiment_model import ModelMissingError

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

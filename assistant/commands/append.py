"""The `--append FILE` path of `mka ingest` (its option lives in ingest.py; the logic in ingest/append.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from assistant.commands.common import fail, load_settings, print_json, progress_bars


def run_append_command(path: Path, as_json: bool, quiet: bool, combined_with_sources: bool) -> None:
    from assistant.core.workspace import WorkspaceMissingError
    from assistant.ingest.append import run_append
    from assistant.ingest.errors import IngestError
    from vectorstore.store import IndexUnavailableError

    if combined_with_sources:
        fail("--append cannot be combined with --demo, --data-dir, --orders, --reviews or --mapping")
    settings = load_settings()
    try:
        with progress_bars(quiet or as_json) as progress:
            summary = run_append(path, settings, progress)
    except (IngestError, WorkspaceMissingError, IndexUnavailableError, RuntimeError) as exc:
        fail(str(exc))
    if as_json:
        print_json(summary.model_dump(mode="json"))
        return
    if summary.kind == "reviews":
        typer.echo(
            f"{summary.new_reviews:,} new reviews added ({summary.existing_reviews_skipped:,} already present, "
            f"{summary.adapter.rows_dropped:,} rows dropped), {summary.new_products:,} new products."
        )
    else:
        if summary.kind == "orders and reviews":
            typer.echo(
                f"{summary.new_reviews:,} new reviews added ({summary.existing_reviews_skipped:,} already present)."
            )
        typer.echo(
            f"{summary.new_orders:,} new orders with {summary.new_order_lines:,} lines added "
            f"({summary.existing_orders_skipped:,} already present, {summary.adapter.rows_dropped:,} rows dropped), "
            f"{summary.new_customers:,} new customers, {summary.new_products:,} new products."
        )
    for reason, count in summary.adapter.dropped.items():
        typer.echo(f"  dropped {count:,}: {reason}")
    if summary.index == "updated":
        typer.echo(f"Search index updated: {', '.join(f'{v:,} {k}' for k, v in summary.indexed.items())}.")
    else:
        typer.echo("No search index in this build (built with --skip index): only the warehouse was updated.")

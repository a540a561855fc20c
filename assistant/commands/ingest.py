"""`mka ingest`: build the workspace from raw files (atomically), and print what was kept and dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.commands.common import fail, load_settings, print_json, progress_bars


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Folder with known datasets or a mapping.yaml.")
    ] = None,
    orders: Annotated[Path | None, typer.Option("--orders", help="An orders / invoice-lines CSV.")] = None,
    reviews: Annotated[Path | None, typer.Option("--reviews", help="A reviews CSV.")] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", help="YAML mapping of your own exports: one flat file each, or several joined (see README)."
        ),
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Build from the SYNTHETIC demo shop.")] = False,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Skip a build step by name (repeatable).")] = None,
    if_missing: Annotated[
        bool,
        typer.Option("--if-missing", help="Do nothing if a workspace exists; else use MKA_DATA_DIR or the demo."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
    append: Annotated[
        Path | None,
        typer.Option(
            "--append",
            help="Add new reviews/orders from FILE (or a multi-table mapping) to the current build and index.",
        ),
    ] = None,
) -> None:
    """Build the workspace (warehouse, models, index) from raw data; the old one stays until this succeeds."""
    if append is not None:
        from assistant.commands.append import run_append_command

        return run_append_command(append, as_json, quiet, bool(demo or data_dir or orders or reviews or mapping))
    from assistant.core.workspace import Workspace
    from assistant.ingest.errors import IngestError
    from assistant.ingest.pipeline import Sources, run_ingest

    settings = load_settings()
    if if_missing:
        if Workspace(settings.home).is_built():
            typer.echo(f"Workspace already built in {settings.home}; `mka ingest` rebuilds it.")
            return
        if not (demo or data_dir or orders or reviews or mapping) and settings.data_dir is None:
            typer.echo("No data directory found (MKA_DATA_DIR): building the SYNTHETIC demo shop instead.")
            demo = True
    if demo and (data_dir or orders or reviews or mapping):
        fail("--demo cannot be combined with --data-dir, --orders, --reviews or --mapping")
    if not (demo or data_dir or orders or reviews or mapping):
        if settings.data_dir is None:
            fail("no data given: pass --data-dir DIR, --orders/--reviews FILE, or --demo (set MKA_DATA_DIR)")
        data_dir = settings.data_dir
    sources = Sources(data_dir=data_dir, orders=orders, reviews=reviews, mapping=mapping, demo=demo)
    try:
        with progress_bars(quiet or as_json) as progress:
            summary = run_ingest(sources, settings, progress, skip_steps=frozenset(skip or []))
    except IngestError as exc:
        fail(str(exc))
    except RuntimeError as exc:
        fail(str(exc))
    if as_json:
        print_json(summary.model_dump(mode="json"))
        return
    console = Console()
    if summary.synthetic:
        console.print("[bold yellow]SYNTHETIC demo data[/bold yellow] — not a real shop.")
    for report in summary.adapters:
        table = Table(title=f"{report.adapter}: {report.source}", title_justify="left")
        table.add_column("rows")
        table.add_column("count", justify="right")
        table.add_row("read", f"{report.rows_read:,}")
        table.add_row("kept", f"{report.rows_kept:,}")
        for reason, count in sorted(report.dropped.items(), key=lambda kv: -kv[1]):
            table.add_row(f"dropped: {reason}", f"{count:,}")
        console.print(table)
        for note in report.notes:
            console.print(f"  note: {note}")
    counts = Table(title="Warehouse", title_justify="left")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for name, value in summary.counts.model_dump().items():
        counts.add_row(name.replace("_", " "), f"{value:,}")
    console.print(counts)
    for step, result in summary.steps.items():
        console.print(f"step {step}: {result}")
    console.print(
        f"Orders from {summary.first_order_at} to {summary.last_order_at}. Built in {summary.seconds:.1f} s "
        f"into {settings.home}."
    )

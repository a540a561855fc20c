"""`mka bench …`: measured figures, with baselines run side by side in the same process.

Each benchmark lives in bench/<name>.py and exposes `register(bench_app)`.
"""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks: figures with baselines in the same run, as ratios.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    # Each module's register(bench_app) adds one subcommand; the benches import the layers below the CLI only.
    from bench import (
        agent,
        alerts,
        budget,
        cold_start,
        concurrency,
        decoding,
        ingest,
        llm_threads,
        predict,
        ready,
        recommender,
        retrieval,
        segments,
        sentiment,
    )

    for module in (
        ingest,
        segments,
        predict,
        budget,
        recommender,
        retrieval,
        sentiment,
        agent,
        decoding,
        llm_threads,
        cold_start,
        ready,
        alerts,
        concurrency,
    ):
        module.register(bench_app)
    app.add_typer(bench_app, name="bench")

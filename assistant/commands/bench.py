"""`mka bench …`: measured figures, with baselines run side by side in the same process.

Each benchmark lives in bench/<name>.py and exposes `register(bench_app)`.
"""

from __future__ import annotations

import importlib

import typer

bench_app = typer.Typer(help="Benchmarks: figures with baselines in the same run, as ratios.", no_args_is_help=True)

# bench/<module> names; each module's register(bench_app) adds one subcommand.
BENCH_MODULES: list[str] = [
    "ingest", "segments", "predict", "recommender", "retrieval", "sentiment", "agent", "decoding",
    "llm_threads",
]  # fmt: skip


def register(app: typer.Typer) -> None:
    for name in BENCH_MODULES:
        importlib.import_module(f"bench.{name}").register(bench_app)
    app.add_typer(bench_app, name="bench")

"""`mka analyze …`: experiment (A/B test) analysis and planning, budget allocation and cohort retention, each with
--json.

The options are the tools' input fields (assistant/commands/tool_options.py); the tables below name those
whose option is not `--field-name`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from assistant.commands.common import load_settings
from assistant.commands.tool_options import argument, option, tool_command
from assistant.core.settings import Settings

analyze_app = typer.Typer(
    help="Analysis: A/B test results and sample sizes, budget allocation, cohort retention.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(analyze_app, name="analyze")


def _read_the_named_file(values: dict[str, Any]) -> Settings | None:
    """On the command line the marketer names the file themself: its folder is this run's results folder
    (chat requests may only read MKA_RESULTS_DIR, see tools/analysis/experiment.py)."""
    if not values.get("path"):
        return None
    path = Path(values["path"]).expanduser().resolve()
    values["path"] = path.name
    return load_settings().model_copy(update={"results_dir": path.parent})


tool_command(
    analyze_app,
    "experiment",
    "analyze_experiment",
    "A/B test results from a CSV file (or --table): lift vs control with intervals, p-values (Holm), power.",
    {"path": argument(optional=True, note="Or --table.")},
    prepare=_read_the_named_file,
)
tool_command(
    analyze_app,
    "plan",
    "plan_experiment",
    "Recipients an A/B test needs per variant (or, with --recipients-per-variant, its power).",
    {"baseline_rate": argument(optional=True), "minimum_lift": option("--lift", "--minimum-lift")},
)
tool_command(
    analyze_app,
    "budget",
    "allocate_budget",
    "Split a budget across segments and channels for the most expected responses, vs equal split and top decile.",
    {"budget": argument(optional=True), "channels": option("--channel")},
)
tool_command(
    analyze_app,
    "cohorts",
    "cohort_retention",
    "Monthly acquisition cohorts x months since first order: retention and revenue, as a table and heat map.",
    {"segment": option("--segment", "-s")},
)

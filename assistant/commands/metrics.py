"""`mka metrics METRIC`: one metric of metrics.yaml, by up to two dimensions, filtered, with the SQL it ran.

The options are the tool's input fields (assistant/commands/tool_options.py); the table below names those whose
option is not `--field-name`. Example: `mka metrics revenue --by month --country Germany --json`.
"""

from __future__ import annotations

import typer

from assistant.commands.tool_options import argument, option, tool_command

OVERRIDES = {
    "metric": argument(),
    "group_by": option("--by"),
    "then_by": option("--then-by"),
    "countries": option("--country"),
    "product_ids": option("--product"),
    "segment": option("--segment", "-s"),
    "date_from": option("--from"),
    "date_to": option("--to"),
    "top_n": option("--top"),
}


def register(app: typer.Typer) -> None:
    tool_command(
        app,
        "metrics",
        "query_metrics",
        "A metric (revenue, orders, average rating …) by time, country, product, category, segment or age band; "
        "metrics.yaml defines them, MKA_HOME/metrics.yaml adds your own.",
        OVERRIDES,
    )

"""`mka segment …`: customer segments from the command line (query, overview, explain), each with --json.

The options are the tools' input fields (assistant/commands/tool_options.py); the tables below name those
whose option is not `--field-name`.
"""

from __future__ import annotations

import typer

from assistant.commands.tool_options import option, tool_command

segment_app = typer.Typer(
    help="Customer segments: RFM segments, K-Means clusters, filters, overview and explanations.",
    no_args_is_help=True,
)

SEGMENT = option("--segment", "-s")
COUNTRY = option("--country")


def register(app: typer.Typer) -> None:
    app.add_typer(segment_app, name="segment")


tool_command(
    segment_app,
    "query",
    "segment_query",
    "Find a customer segment: size, revenue, averages, breakdown, customer ids, the SQL that produced it.",
    {
        "segments": SEGMENT,
        "countries": COUNTRY,
        "recency_days_min": option("--recency-min"),
        "recency_days_max": option("--recency-max"),
        "bought_product": option("--bought"),
        "bought_category": option("--category"),
    },
)
tool_command(
    segment_app,
    "overview",
    "customer_overview",
    "Customer-base overview: repeat rate, order value, monthly activity, top countries/products, segments.",
    {"countries": COUNTRY, "top_n": option("--top")},
)
tool_command(
    segment_app,
    "explain",
    "explain_segment",
    "Why customers are in a segment or cluster: decision-tree rules with held-out accuracy.",
    {
        "segment": SEGMENT,
        "countries": COUNTRY,
        "bought_category": option("--category"),
        "bought_product": option("--bought"),
        "max_depth": option("--depth"),
    },
)

"""`mka recommend`: products for a customer, a basket, a segment or an interest, each with a reason.

The options are the tool's input fields (assistant/commands/tool_options.py); the table below names those
whose option is not `--field-name`.
"""

from __future__ import annotations

import typer

from assistant.commands.tool_options import option, tool_command

OVERRIDES = {
    "customer_id": option("--customer"),
    "product_ids": option("--product"),
    "exclude_purchased": option("--exclude-purchased/--include-purchased"),
}


def register(app: typer.Typer) -> None:
    tool_command(
        app,
        "recommend",
        "recommend_products",
        "Recommend products (with reasons and the model used) from the models trained at ingest.",
        OVERRIDES,
    )

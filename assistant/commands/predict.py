"""`mka predict …`: churn risk, customer lifetime value, sales forecast and campaign response, each with --json.

The options are the tools' input fields (assistant/commands/tool_options.py); the tables below name those
whose option is not `--field-name`.
"""

from __future__ import annotations

import typer

from assistant.commands.tool_options import option, tool_command

predict_app = typer.Typer(
    help="Predictions: churn risk, customer lifetime value, sales forecast, campaign response.",
    no_args_is_help=True,
)

CUSTOMER_SEGMENT = {"customer_id": option("--customer"), "segment": option("--segment", "-s")}


def register(app: typer.Typer) -> None:
    app.add_typer(predict_app, name="predict")


tool_command(
    predict_app,
    "churn",
    "predict_churn",
    "Who is likely to stop buying in the next 90 days, how many, and the drivers of each customer's risk.",
    CUSTOMER_SEGMENT,
)
tool_command(
    predict_app,
    "clv",
    "predict_clv",
    "Expected purchases and spend over the next months (BG/NBD + Gamma-Gamma), with 80 % ranges.",
    CUSTOMER_SEGMENT,
)
tool_command(
    predict_app,
    "forecast",
    "forecast_sales",
    "Revenue or orders for the coming weeks or months, with 80 % ranges and a held-out check.",
)
tool_command(
    predict_app,
    "response",
    "campaign_response",
    "Campaign response on the shop's own campaign contacts (or the bank demo): best segments, who first.",
)

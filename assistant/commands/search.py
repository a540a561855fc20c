"""`mka search reviews|products QUERY`: the retrieval tools from the command line, each with --json.

The options are the tools' input fields (assistant/commands/tool_options.py); the tables below name those
whose option is not `--field-name`.
"""

from __future__ import annotations

import typer

from assistant.commands.tool_options import argument, option, tool_command

search_app = typer.Typer(help="Search reviews (to quote them) and products, hybrid by default.", no_args_is_help=True)

QUERY_AND_K = {"query": argument(), "k": option("--k", "-k")}


def register(app: typer.Typer) -> None:
    app.add_typer(search_app, name="search")


tool_command(
    search_app,
    "reviews",
    "search_reviews",
    'Find and quote reviews about QUERY (e.g. "zipper broke"), with optional filters.',
    {**QUERY_AND_K, "product_id": option("--product")},
)
tool_command(
    search_app, "products", "search_products", 'Find products like QUERY (e.g. "linen summer dress").', QUERY_AND_K
)

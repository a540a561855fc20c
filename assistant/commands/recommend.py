"""`mka recommend`: products for a customer, a basket, a segment or an interest, each with a reason."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("recommend")(recommend)


def recommend(
    customer: Annotated[str | None, typer.Option("--customer", help="Customer id, e.g. 12347.")] = None,
    product: Annotated[
        list[str] | None, typer.Option("--product", help="Basket product id or name (repeatable).")
    ] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="RFM segment, e.g. at_risk.")] = None,
    country: Annotated[str | None, typer.Option("--country", help="Customer country, e.g. Germany.")] = None,
    interest: Annotated[str | None, typer.Option("--interest", help="Free text, e.g. 'vintage kitchenware'.")] = None,
    k: Annotated[int, typer.Option("--k", help="How many products (1-50).")] = 10,
    include_purchased: Annotated[
        bool, typer.Option("--include-purchased", help="Keep products the customer already bought.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
) -> None:
    """Recommend products (with reasons and the model used) from the models trained at ingest."""
    from assistant.commands.common import run_tool
    from tools.recommend.tool import RecommendationError, RecommendProductsInput, recommend_products

    def build_input() -> RecommendProductsInput:
        return RecommendProductsInput(
            customer_id=customer,
            product_ids=product,
            segment=segment,
            country=country,
            interest=interest,
            k=k,
            exclude_purchased=not include_purchased,
        )

    run_tool(recommend_products, build_input, as_json, (RecommendationError, RuntimeError))

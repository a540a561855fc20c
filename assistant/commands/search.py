"""`mka search reviews|products QUERY`: the retrieval tools from the command line, each with --json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

search_app = typer.Typer(help="Search reviews (to quote them) and products, hybrid by default.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")]
K = Annotated[int, typer.Option("--k", "-k", help="How many hits (1-50).")]
ModeOpt = Annotated[str, typer.Option("--mode", help="hybrid | dense | lexical")]
Category = Annotated[str | None, typer.Option("--category", help="Only this category.")]


def register(app: typer.Typer) -> None:
    app.add_typer(search_app, name="search")


def _run(tool: Callable[[Any, Any], Any], build_input: Callable[[], Any], as_json: bool) -> None:
    """Validate, search the current workspace, print markdown or JSON; bad input and a missing index fail clearly."""
    from assistant.commands.common import run_tool
    from vectorstore.store import IndexUnavailableError

    run_tool(tool, build_input, as_json, (LookupError, ValueError, IndexUnavailableError))


@search_app.command("reviews")
def reviews(
    query: Annotated[str, typer.Argument(help="What the reviews should talk about.")],
    product: Annotated[str | None, typer.Option("--product", help="Only reviews of this product id.")] = None,
    category: Category = None,
    min_rating: Annotated[int | None, typer.Option("--min-rating", help="Lowest rating (1-5).")] = None,
    max_rating: Annotated[int | None, typer.Option("--max-rating", help="Highest rating (1-5).")] = None,
    sentiment: Annotated[
        str | None, typer.Option("--sentiment", help="positive | neutral | negative (needs the sentiment step).")
    ] = None,
    k: K = 5,
    mode: ModeOpt = "hybrid",
    as_json: Json = False,
) -> None:
    """Find and quote reviews about QUERY (e.g. "zipper broke"), with optional filters."""
    from tools.search import SearchReviewsInput, search_reviews

    _run(
        search_reviews,
        lambda: SearchReviewsInput.model_validate(
            {
                "query": query,
                "product_id": product,
                "category": category,
                "min_rating": min_rating,
                "max_rating": max_rating,
                "sentiment": sentiment,
                "k": k,
                "mode": mode,
            }
        ),
        as_json,
    )


@search_app.command("products")
def products(
    query: Annotated[str, typer.Argument(help="What the product is like.")],
    category: Category = None,
    k: K = 5,
    mode: ModeOpt = "hybrid",
    as_json: Json = False,
) -> None:
    """Find products like QUERY (e.g. "linen summer dress")."""
    from tools.search import SearchProductsInput, search_products

    _run(
        search_products,
        lambda: SearchProductsInput.model_validate({"query": query, "category": category, "k": k, "mode": mode}),
        as_json,
    )

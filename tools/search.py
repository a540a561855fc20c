"""Tools `search_reviews` and `search_products`: hybrid (dense + BM25, fused) retrieval with quotable spans.

Every hit carries its id, its score and a verbatim span of the review (or product text) to quote.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tools.base import ChartSpec, Series, Table, Tool
from tools.categories import category_variants, products_in_category
from tools.context import ToolContext
from vectorstore.documents import PRODUCTS, REVIEWS
from vectorstore.filters import Condition
from vectorstore.quotes import quote_span
from vectorstore.retriever import Mode, Result, Retriever
from vectorstore.store import IndexUnavailableError

if TYPE_CHECKING:
    from vectorstore.encoder import Encoder

MAX_QUERY_CHARS = 1000
MAX_K = 50
Sentiment = Literal["positive", "neutral", "negative"]


def _check_query(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("query must not be empty: say what the reviews or products should be about")
    if len(text) > MAX_QUERY_CHARS:
        raise ValueError(f"query is {len(text):,} characters long; at most {MAX_QUERY_CHARS:,} are allowed")
    return text


class SearchReviewsInput(BaseModel):
    """Find customer reviews that talk about something, to quote them; optionally by product, category, rating."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(description="What the reviews should talk about, in plain words, e.g. 'zipper broke'.")
    product_id: str | None = Field(default=None, description="Only reviews of this product id, e.g. '1078'.")
    category: str | None = Field(default=None, description="Only reviews of products in this category.")
    min_rating: int | None = Field(default=None, ge=1, le=5, description="Lowest star rating to include (1-5).")
    max_rating: int | None = Field(default=None, ge=1, le=5, description="Highest star rating to include (1-5).")
    sentiment: Sentiment | None = Field(default=None, description="Only reviews with this overall sentiment.")
    k: int = Field(default=5, ge=1, le=MAX_K, description="How many reviews to return (1-50).")
    mode: Mode = Field(default="hybrid", description="Ranking: hybrid (default), dense (meaning) or lexical (words).")

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _check_query(value)

    @model_validator(mode="after")
    def _rating_range(self) -> SearchReviewsInput:
        if self.min_rating is not None and self.max_rating is not None and self.min_rating > self.max_rating:
            raise ValueError(f"min_rating ({self.min_rating}) is greater than max_rating ({self.max_rating})")
        return self


class SearchProductsInput(BaseModel):
    """Find products by description, e.g. 'linen summer dress' or 'heart-shaped candle holder'."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(description="What the product is like, in plain words.")
    category: str | None = Field(default=None, description="Only products in this category.")
    k: int = Field(default=5, ge=1, le=MAX_K, description="How many products to return (1-50).")
    mode: Mode = Field(default="hybrid", description="Ranking: hybrid (default), dense (meaning) or lexical (words).")

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _check_query(value)


class ReviewHit(BaseModel):
    rank: int
    review_id: str
    product_id: str
    product_name: str | None
    category: str | None
    rating: int
    date: str | None
    sentiment: str | None
    score: float = Field(description="Fused RRF score (hybrid), cosine similarity (dense) or BM25 (lexical).")
    quote: str = Field(description="A verbatim span of the review's title or text.")


class ProductHit(BaseModel):
    rank: int
    product_id: str
    name: str
    category: str | None
    price: float | None
    reviews: int
    mean_rating: float | None
    score: float


class SearchReviewsResult(BaseModel):
    query: str
    mode: Mode
    filters: dict[str, Any]
    indexed: int = Field(description="Reviews with text in the index.")
    hits: list[ReviewHit]

    def to_markdown(self) -> str:
        scope = ", ".join(f"{k} {_show(v)}" for k, v in self.filters.items())
        # The search words are shown plain, not in quotation marks: quotes in an answer are verbatim reviews.
        head = f"**{len(self.hits)} reviews found for: {self.query}** ({self.mode} search over {self.indexed:,} reviews"
        head += f"; {scope})" if scope else ")"
        if not self.hits:
            return head + "\n\nNo review matches."
        table = Table(
            columns=["#", "Quote", "Product", "Rating", "Review"],
            rows=[[h.rank, f"“{h.quote}”", h.product_name or h.product_id, h.rating, h.review_id] for h in self.hits],
            note="Quotes are verbatim from the reviews.",
        )
        return head + "\n\n" + table.to_markdown()

    def charts(self) -> list[ChartSpec]:
        if len(self.hits) < 3:
            return []
        counts = Counter(h.rating for h in self.hits)
        stars = [r for r in range(1, 6) if counts[r]]
        return [
            ChartSpec(
                kind="bar",
                title=f"Ratings of the {len(self.hits)} matching reviews",
                x=[f"{r}★" for r in stars],
                series=[Series(name="reviews", values=[float(counts[r]) for r in stars])],
                x_label="rating",
                y_label="reviews",
            )
        ]


class SearchProductsResult(BaseModel):
    query: str
    mode: Mode
    filters: dict[str, Any]
    indexed: int = Field(description="Products in the index.")
    hits: list[ProductHit]

    def to_markdown(self) -> str:
        head = (
            f"**{len(self.hits)} products found for: {self.query}** ({self.mode} search over {self.indexed:,} products)"
        )
        if not self.hits:
            return head + "\n\nNo product matches."
        table = Table(
            columns=["#", "Product", "Id", "Category", "Price", "Reviews", "Mean rating"],
            rows=[
                [h.rank, h.name, h.product_id, h.category, h.price, h.reviews or None, h.mean_rating] for h in self.hits
            ],
        )
        return head + "\n\n" + table.to_markdown()

    def charts(self) -> list[ChartSpec]:
        return []


def _show(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def retriever(ctx: ToolContext) -> Retriever:
    """One retriever per build: a new ingest swaps `current`, and the next call opens the new index."""
    ctx.workspace.require_built()
    build = ctx.workspace.current.resolve()

    return ctx.resource(
        f"retriever:{build}", lambda: Retriever.open(build, ctx.settings.chroma_url, lambda: shared_encoder(ctx))
    )


def shared_encoder(ctx: ToolContext) -> Encoder:
    """The one MiniLM of the process (search queries, recommender interests), with the embedding cache: documents
    appended by another process are read back from it."""
    from vectorstore.encoder import Encoder

    return ctx.resource("embedding-encoder", lambda: Encoder.load(ctx.settings.home, ctx.settings.embed_batch_size))


def _resolve(field: str, value: str, known: set[object], hint: str) -> str:
    """Match case-insensitively to a value present in the index; unknown ones raise naming the field."""
    wanted = value.strip().casefold()
    for candidate in known:
        if isinstance(candidate, str) and candidate.casefold() == wanted:
            return candidate
    raise LookupError(f"{field}: {value!r} is not in the search index. {hint}")


def _category_filter(ctx: ToolContext, r: Retriever, kind: str, value: str) -> tuple[Condition, str]:
    """(filter, what to show) for a category: a department the index holds, or else the products whose
    department or class the name is ('Skirts', 'Intimates'; tools/categories.py), by id."""
    known = r.known_values(kind, "category")
    wanted = set(category_variants(value))
    for candidate in sorted(str(v) for v in known):
        if candidate.casefold() in wanted:
            return Condition("category", "eq", candidate), candidate
    ids = products_in_category(ctx.warehouse(), value)
    if not ids:
        raise LookupError(f"category: {value!r} is no department or class of the catalogue. {_category_hint(known)}")
    return Condition("product_id", "in", tuple(ids)), value.strip()


def _category_hint(known: set[object]) -> str:
    names = sorted(str(v) for v in known if v is not None)
    shown = ", ".join(names[:25]) + (" …" if len(names) > 25 else "")
    return f"Known categories: {shown}"


def search_reviews(args: SearchReviewsInput, ctx: ToolContext) -> SearchReviewsResult:
    r = retriever(ctx)
    conditions: list[Condition] = []
    filters: dict[str, Any] = {}
    if args.product_id is not None:
        pid = _resolve(
            "product_id",
            args.product_id,
            r.known_values(REVIEWS, "product_id"),
            "No review of that product has text; find product ids with search_products.",
        )
        conditions.append(Condition("product_id", "eq", pid))
        filters["product_id"] = pid
    if args.category is not None:
        condition, filters["category"] = _category_filter(ctx, r, REVIEWS, args.category)
        conditions.append(condition)
    if args.min_rating is not None:
        conditions.append(Condition("rating", "gte", args.min_rating))
        filters["rating ≥"] = args.min_rating
    if args.max_rating is not None:
        conditions.append(Condition("rating", "lte", args.max_rating))
        filters["rating ≤"] = args.max_rating
    if args.sentiment is not None:
        if not r.known_values(REVIEWS, "sentiment"):
            raise LookupError("sentiment: the index has no sentiment labels (the sentiment step did not run at ingest)")
        conditions.append(Condition("sentiment", "eq", args.sentiment))
        filters["sentiment"] = args.sentiment
    results = r.search(REVIEWS, args.query, args.k, conditions, args.mode)
    return SearchReviewsResult(
        query=args.query,
        mode=args.mode,
        filters=filters,
        indexed=r.count(REVIEWS),
        hits=[_review_hit(i, res, args.query) for i, res in enumerate(results, 1)],
    )


def _review_hit(rank: int, res: Result, query: str) -> ReviewHit:
    m = res.metadata
    return ReviewHit(
        rank=rank,
        review_id=res.id,
        product_id=str(m.get("product_id", "")),
        product_name=_opt_str(m.get("product_name")),
        category=_opt_str(m.get("category")),
        rating=int(m.get("rating", 0)),
        date=_opt_str(m.get("date")),
        sentiment=_opt_str(m.get("sentiment")),
        score=round(res.score, 4),
        quote=quote_span(res.text, query),
    )


def search_products(args: SearchProductsInput, ctx: ToolContext) -> SearchProductsResult:
    r = retriever(ctx)
    conditions: list[Condition] = []
    filters: dict[str, Any] = {}
    if args.category is not None:
        condition, filters["category"] = _category_filter(ctx, r, PRODUCTS, args.category)
        conditions.append(condition)
    results = r.search(PRODUCTS, args.query, args.k, conditions, args.mode)
    hits = []
    for i, res in enumerate(results, 1):
        m = res.metadata
        price = m.get("price")
        mean = m.get("mean_rating")
        hits.append(
            ProductHit(
                rank=i,
                product_id=res.id,
                name=str(m.get("name", res.id)),
                category=_opt_str(m.get("category")),
                price=float(price) if isinstance(price, int | float) else None,
                reviews=int(m.get("reviews", 0)),
                mean_rating=float(mean) if isinstance(mean, int | float) else None,
                score=round(res.score, 4),
            )
        )
    return SearchProductsResult(query=args.query, mode=args.mode, filters=filters, indexed=r.count(PRODUCTS), hits=hits)


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


TOOLS: list[Tool[Any]] = [
    Tool(
        name="search_reviews",
        input_model=SearchReviewsInput,
        run=search_reviews,
        description=(
            "Find and quote customer reviews about a topic (e.g. 'zipper broke', 'runs small'), optionally for "
            "one product, category, rating range or sentiment."
        ),
        errors=(LookupError, ValueError, IndexUnavailableError),
    ),
    Tool(
        name="search_products",
        input_model=SearchProductsInput,
        run=search_products,
        description=("Find products by what they are like (e.g. 'linen summer dress') and get their ids."),
        errors=(LookupError, ValueError, IndexUnavailableError),
    ),
]


def build_step(ctx: Any) -> dict[str, Any]:
    """Ingest build step: embed products and reviews into the retrieval store (vectorstore/index.py)."""
    from vectorstore.index import build_step as run

    return run(ctx)

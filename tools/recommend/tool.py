"""recommend_products: what to offer a customer, what sells with a basket, what a segment over-buys,
what matches a free-text interest, each item with a reason a marketer can read and the model used.

Models are trained at ingest (`build_step`, skip with `mka ingest --skip recommender`) into
`models/recommender/` and loaded once per ToolContext. The other modules of tools/recommend/ hold the models
and the hybrid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator

from tools.base import ChartSpec, PriorStep, Series, Table, Tool
from tools.context import ToolContext
from tools.sales import repeat_buying
from tools.segments.spec import SegmentName

if TYPE_CHECKING:
    from assistant.core.workspace import BuildContext
    from tools.recommend.train import Recommender

MAX_K = 50
MAX_BASKET = 50
MODEL_DIR = "recommender"
SEGMENT_MIN_BUYERS = 3
LIFT_SHRINKAGE = 20.0  # pseudo-customers pulling a small segment's lift toward 1


class RecommendationError(ValueError):
    """A request the data cannot answer as asked; the message names the field (goes back to the model)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class RecommendProductsInput(BaseModel):
    """Recommend products for one customer, a basket of products, a customer segment, or a free-text interest."""

    # Exactly one group names the target (segment and country together make one); the agent's code reads these
    # groups too (assistant/understand/fill.py keeps a stated id and drops the rest).
    TARGET_GROUPS: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("customer_id",), ("product_ids",), ("segment", "country"), ("interest",)
    )  # fmt: skip

    customer_id: str | None = Field(default=None, description="Recommend for this customer id, e.g. '12347'.")
    product_ids: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_BASKET,
        description="Basket: product ids or product names; recommends what sells with them.",
    )
    segment: str | None = Field(
        default=None,
        description="RFM segment to recommend for: champions, loyal, potential_loyalists, new, promising, "
        "need_attention, about_to_sleep, at_risk, cant_lose, hibernating, lost.",
    )
    country: str | None = Field(default=None, description="Recommend for customers in this country, e.g. 'Germany'.")
    interest: str | None = Field(
        default=None, description="Free-text interest, e.g. 'vintage kitchenware'; matched on product names."
    )
    k: int = Field(default=10, ge=1, le=MAX_K, description=f"How many products to return (1-{MAX_K}).")
    exclude_purchased: bool = Field(
        default=True, description="Leave out products the customer (or basket) already has."
    )

    @field_validator("customer_id", mode="before")
    @classmethod
    def _customer_text(cls, value: Any) -> Any:
        # A small model may send 12347 or 12347.0 for a customer id.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip() if isinstance(value, int | str) else value

    @model_validator(mode="before")
    @classmethod
    def _segment_named_as_customer(cls, data: Any) -> Any:
        """{"customer_id": "champions"} means the segment: a small model puts segment names in the wrong field."""
        if isinstance(data, dict) and not data.get("segment") and isinstance(data.get("customer_id"), str):
            name = data["customer_id"].strip().lower().replace("-", "_").replace(" ", "_").replace("'", "")
            if name in {m.value for m in SegmentName}:
                data = {**data, "segment": name}
                data.pop("customer_id")
        return data

    @field_validator("product_ids", mode="before")
    @classmethod
    def _basket_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("customer_id", "segment", "country", "interest", mode="after")
    @classmethod
    def _not_blank(cls, value: str | None, info: Any) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(f"{info.field_name} must not be blank")
        if value is not None and len(value) > 200:
            raise ValueError(f"{info.field_name} is too long ({len(value)} characters, at most 200)")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _one_target(self) -> RecommendProductsInput:
        given = [
            "/".join(group) for group in self.TARGET_GROUPS if any(getattr(self, name) is not None for name in group)
        ]
        if len(given) != 1:
            got = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of customer_id, product_ids, segment/country, interest (got: {got})")
        return self


class Recommendation(BaseModel):
    rank: int
    product_id: str
    name: str
    category: str
    score: float = Field(description="model score; only the order matters")
    reason: str
    signal: str = Field(description="which model drove this item")


class RecommendProductsResult(BaseModel):
    """Ranked products with reasons, the model used and any fallbacks taken."""

    mode: Literal["customer", "basket", "segment", "interest"]
    target: str
    model: str
    items: list[Recommendation]
    notes: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="Why the ranking may be weak (shown first).")
    segment_customers: int | None = None
    lifts: list[float] | None = None

    def to_markdown(self) -> str:
        table = Table(
            title=f"Recommended for {self.target}",
            columns=["#", "product", "id", "category", "why"],
            rows=[[r.rank, r.name, r.product_id, r.category, r.reason] for r in self.items],
            note=f"model: {self.model}",
        )
        lines = [f"**Warning:** {w}" for w in self.warnings] + [table.to_markdown()]
        lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        if self.mode != "segment" or not self.lifts:
            return []
        return [
            ChartSpec(
                kind="barh",
                title=f"Lift in {self.target} (share of segment buyers / share of all buyers)",
                x=[r.name for r in self.items],
                series=[Series(name="lift", values=self.lifts)],
                x_label="product",
                y_label="lift",
            )
        ]


def load_recommender(ctx: ToolContext) -> Recommender:
    from tools.recommend.train import Recommender

    directory = ctx.workspace.models_dir / MODEL_DIR
    if not (directory / "recommender.json").is_file():
        raise RuntimeError(f"no recommender models in {ctx.workspace.home}: run `mka ingest` (with its build steps)")
    return Recommender.load(directory)


def _recommender(ctx: ToolContext) -> Recommender:
    return ctx.resource("recommender", lambda: load_recommender(ctx))


def _serving(ctx: ToolContext, rec: Recommender) -> dict[str, Any]:
    """Lookups built once per context: id -> row maps (dicts and indexes) for customers, products and names."""

    def build() -> dict[str, Any]:
        import pandas as pd

        return {
            "users": pd.Index(rec.interactions.user_ids),
            "items": pd.Index(rec.interactions.item_ids),
            "user_rows": {str(c): i for i, c in enumerate(rec.interactions.user_ids)},
            "item_rows": rec.catalogue.indices(rec.interactions.item_ids),  # model item -> catalogue row
            "names": {str(n).casefold(): i for i, n in enumerate(rec.catalogue.names)},
        }

    return ctx.resource("recommender_serving", build)


def _model_label(weights: dict[str, float]) -> str:
    used = [f"{name} ×{w:g}" for name, w in weights.items() if w]
    return "hybrid (" + " + ".join(used) + ")"


def _top(scores: np.ndarray, k: int, excluded: np.ndarray) -> np.ndarray:
    scores = scores.astype(np.float64, copy=True)
    scores[excluded] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def _items_from_catalogue(
    rec: Recommender, rows: np.ndarray, scores: np.ndarray, reasons: list[str], signals: list[str]
) -> list[Recommendation]:
    cat = rec.catalogue
    return [
        Recommendation(
            rank=rank + 1,
            product_id=str(cat.product_ids[row]),
            name=str(cat.names[row]),
            category=str(cat.categories[row]),
            score=round(float(score), 4),
            reason=reason,
            signal=signal,
        )
        for rank, (row, score, reason, signal) in enumerate(zip(rows, scores, reasons, signals, strict=True))
    ]


def _recommend_history(
    rec: Recommender, serving: dict[str, Any], history: np.ndarray, k: int, exclude: bool
) -> tuple[list[Recommendation], str]:
    """Hybrid ranking for a purchase history (item indices), with the dominant signal's reason."""
    from tools.recommend.data import history_matrix
    from tools.recommend.reasons import history_reasons

    hybrid = rec.hybrid
    parts = hybrid.parts(history_matrix([history.tolist()], rec.interactions.n_items))
    weighted = {name: hybrid.weights[name] * part[0] for name, part in parts.items()}
    scores = np.sum(list(weighted.values()), axis=0)
    excluded = np.zeros(len(scores), dtype=bool)
    if exclude:
        excluded[history] = True
    top = _top(scores, k, excluded)
    names = list(weighted)
    stacked = np.stack([weighted[n][top] for n in names]) if len(top) else np.zeros((len(names), 0))
    signals = [names[i] for i in stacked.argmax(axis=0)]
    reasons = history_reasons(rec, serving, history, top, signals)
    rows = serving["item_rows"][top]
    return _items_from_catalogue(rec, rows, scores[top], reasons, signals), _model_label(hybrid.weights)


def _popular_now(rec: Recommender, serving: dict[str, Any], k: int) -> list[Recommendation]:
    from tools.recommend.data import history_matrix
    from tools.recommend.reasons import history_reasons

    seasonal = rec.models["seasonal_popularity"]
    scores = seasonal.score(history_matrix([[]], rec.interactions.n_items))[0]
    top = _top(scores, k, np.zeros(len(scores), dtype=bool))
    signals = ["seasonal_popularity"] * len(top)
    reasons = history_reasons(rec, serving, np.zeros(0, dtype=np.int64), top, signals)
    rows = serving["item_rows"][top]
    return _items_from_catalogue(rec, rows, scores[top], reasons, signals)


def _for_customer(args: RecommendProductsInput, ctx: ToolContext, rec: Recommender) -> RecommendProductsResult:
    serving = _serving(ctx, rec)
    customer_id = str(args.customer_id)
    target = f"customer {customer_id}"
    row = serving["user_rows"].get(customer_id, -1)
    if row < 0:
        found = ctx.warehouse().execute("SELECT 1 FROM customers WHERE customer_id = ?", [customer_id]).fetchone()
        if found is None:
            raise RecommendationError("customer_id", f"unknown customer '{customer_id}' (no such customer id)")
        items = _popular_now(rec, serving, args.k)
        note = f"customer {customer_id} has no completed purchases yet (cold start): showing what sells in season"
        return RecommendProductsResult(
            mode="customer", target=target, model="seasonal_popularity (cold start)", items=items, notes=[note]
        )
    x = rec.interactions.binary
    history = x.indices[x.indptr[row] : x.indptr[row + 1]].astype(np.int64)
    items, model = _recommend_history(rec, serving, history, args.k, args.exclude_purchased)
    as_of = f"{rec.interactions.as_of:%Y-%m-%d}"
    bought = f"{len(history):,} product{'s' if len(history) != 1 else ''}"
    notes = [f"based on the {bought} customer {customer_id} bought before {as_of}"]
    if args.exclude_purchased:
        notes.append("products the customer already bought are left out")
    return RecommendProductsResult(mode="customer", target=target, model=model, items=items, notes=notes)


def _resolve_products(entries: list[str], rec: Recommender, serving: dict[str, Any]) -> tuple[list[int], list[str]]:
    """Catalogue rows for ids or names (exact id, exact name, then a unique name containing all words).

    Returns the rows found and, for the rest, why not (unknown, or which products a vague name matches).
    """
    cat = rec.catalogue
    rows: list[int] = []
    problems: list[str] = []
    for entry in entries:
        text = entry.strip()
        row = int(cat.indices(np.array([text, text.upper()], dtype=object)).max())
        if row < 0:
            row = serving["names"].get(text.casefold(), -1)
        if row < 0:
            words = re.findall(r"\w+", text.casefold())
            matches = [i for n, i in serving["names"].items() if words and all(w in n for w in words)]
            if len(matches) == 1:
                row = matches[0]
            elif matches:
                examples = ", ".join(f"{cat.product_ids[i]} {cat.names[i]}" for i in matches[:3])
                problems.append(f"{entry!r} matches {len(matches)} products (e.g. {examples}); give one id")
                continue
        if row < 0:
            problems.append(f"{entry!r} is not a known product id or name")
        elif row not in rows:
            rows.append(row)
    return rows, problems


def _for_basket(args: RecommendProductsInput, ctx: ToolContext, rec: Recommender) -> RecommendProductsResult:
    serving = _serving(ctx, rec)
    rows, problems = _resolve_products(list(args.product_ids or []), rec, serving)
    if not rows:
        raise RecommendationError("product_ids", "; ".join(problems))
    cat = rec.catalogue
    notes = ["ignored: " + "; ".join(problems)] if problems else []
    item_index = serving["items"].get_indexer(cat.product_ids[rows])
    sold = item_index[item_index >= 0].astype(np.int64)
    target = "a basket of " + ", ".join(str(cat.names[r]) for r in rows[:3]) + (" …" if len(rows) > 3 else "")
    if len(sold):
        items, model = _recommend_history(rec, serving, sold, args.k, exclude=True)
        cold = [str(cat.names[r]) for r, i in zip(rows, item_index, strict=True) if i < 0]
        if cold:
            notes.append("no sales yet for " + ", ".join(cold) + " (left out of the co-purchase models)")
        return RecommendProductsResult(mode="basket", target=target, model=model, items=items, notes=notes)
    # Cold start: nothing in the basket has sold, so only the names can say what is alike.
    profile = cat.vectors[rows].mean(axis=0)
    sims = cat.vectors @ profile / max(float(np.linalg.norm(profile)), 1e-9)
    excluded = np.zeros(len(sims), dtype=bool)
    excluded[rows] = True
    top = _top(sims, args.k, excluded)
    reasons = []
    for row in top:
        per_item = cat.vectors[rows] @ cat.vectors[row]
        nearest = int(per_item.argmax())
        reasons.append(f"similar to {cat.names[rows[nearest]]} (name similarity {float(per_item[nearest]):.2f})")
    notes.append("none of these products has sales yet (cold start): recommending by product-name similarity")
    items = _items_from_catalogue(rec, top, sims[top], reasons, ["content"] * len(top))
    return RecommendProductsResult(mode="basket", target=target, model="content (cold start)", items=items, notes=notes)


def _segment_members(args: RecommendProductsInput, ctx: ToolContext) -> list[str]:
    """Customer ids of the segment, resolved by the segments tool (same RFM definitions everywhere)."""
    from pydantic import ValidationError

    from tools.segments import SegmentName, SegmentQueryError, SegmentSpec, segment_customer_ids

    try:
        spec = SegmentSpec.model_validate(
            {"segments": [args.segment] if args.segment else [], "countries": [args.country] if args.country else []}
        )
    except ValidationError as exc:
        field = "segment" if any("segments" in map(str, e["loc"]) for e in exc.errors()) else "country"
        known = ", ".join(s.value for s in SegmentName)
        value = args.segment if field == "segment" else args.country
        raise RecommendationError(field, f"'{value}' is not understood (segments: {known})") from exc
    try:
        return segment_customer_ids(spec, ctx)
    except SegmentQueryError as exc:
        field = {"countries": "country", "segments": "segment"}.get(exc.field, exc.field)
        raise RecommendationError(field, str(exc).split(": ", 1)[-1]) from exc


def _for_segment(args: RecommendProductsInput, ctx: ToolContext, rec: Recommender) -> RecommendProductsResult:
    serving = _serving(ctx, rec)
    label = " in ".join(p for p in (f"segment {args.segment}" if args.segment else "", args.country or "") if p)
    members = _segment_members(args, ctx)
    rows = serving["users"].get_indexer(members)
    rows = rows[rows >= 0]
    if len(rows) == 0:
        raise RecommendationError(
            "segment" if args.segment else "country", f"no customers with purchases match {label or 'this segment'}"
        )
    x = rec.interactions.binary
    n_all, n_seg = x.shape[0], len(rows)
    all_buyers = np.asarray(x.sum(axis=0)).ravel()
    seg_buyers = np.asarray(x[rows].sum(axis=0)).ravel()
    base = all_buyers / n_all
    # Lift of the segment's buying rate over everyone's, shrunk toward 1 for small segments.
    share = (seg_buyers + LIFT_SHRINKAGE * base) / (n_seg + LIFT_SHRINKAGE)
    lift = np.divide(share, base, out=np.zeros_like(share), where=base > 0)
    scores = share * lift
    excluded = seg_buyers < max(SEGMENT_MIN_BUYERS, int(0.01 * n_seg))
    top = _top(scores, args.k, excluded)
    raw_lift = np.divide(seg_buyers / n_seg, base, out=np.zeros_like(base), where=base > 0)
    lifts = [round(float(raw_lift[i]), 1) for i in top]
    reasons = [
        f"bought by {seg_buyers[i] / n_seg:.0%} of {label} customers vs {base[i]:.0%} of all customers ({lift}× lift)"
        for i, lift in zip(top, lifts, strict=True)
    ]
    cat_rows = serving["item_rows"][top]
    items = _items_from_catalogue(rec, cat_rows, scores[top], reasons, ["segment_lift"] * len(top))
    notes = [f"{n_seg:,} customers with purchases in {label}; ranked by segment buying rate × lift"]
    if len(top) < args.k:
        notes.append(f"only {len(top)} products were bought by at least {SEGMENT_MIN_BUYERS} customers of the segment")
    return RecommendProductsResult(
        mode="segment",
        target=label,
        model="segment lift (popularity in segment × lift over all customers)",
        items=items,
        notes=notes,
        segment_customers=n_seg,
        lifts=lifts,
    )


def _for_interest(args: RecommendProductsInput, ctx: ToolContext, rec: Recommender) -> RecommendProductsResult:
    from tools.search import shared_encoder

    serving = _serving(ctx, rec)
    query = shared_encoder(ctx).encode_query(str(args.interest))  # the search tools' model: one MiniLM per process
    cat = rec.catalogue
    sims = cat.vectors @ query
    buyers = np.zeros(len(sims))
    sold = serving["items"].get_indexer(cat.product_ids)
    counts = np.asarray(rec.interactions.binary.sum(axis=0)).ravel()
    buyers[sold >= 0] = counts[sold[sold >= 0]]
    # Name similarity leads; among close matches, products people actually buy come first.
    scores = sims + 0.05 * np.log1p(buyers) / max(float(np.log1p(buyers.max())), 1.0)
    top = _top(scores, args.k, np.zeros(len(scores), dtype=bool))
    reasons = [
        f"matches '{args.interest}' (similarity {sims[i]:.2f}); "
        + (f"bought by {int(buyers[i]):,} customers" if buyers[i] else "no sales yet")
        for i in top
    ]
    notes = []
    if len(top) and sims[top[0]] < 0.35:
        notes.append(f"weak matches: no product name is close to '{args.interest}'")
    items = _items_from_catalogue(rec, top, scores[top], reasons, ["content"] * len(top))
    return RecommendProductsResult(
        mode="interest",
        target=f"interest '{args.interest}'",
        model="content (MiniLM product-name similarity, popularity tie-break)",
        items=items,
        notes=notes,
    )


def recommend_products(args: RecommendProductsInput, ctx: ToolContext) -> RecommendProductsResult:
    """Recommend products for a customer, a basket, a segment or an interest, each with a reason."""
    rec = _recommender(ctx)
    if args.customer_id is not None:
        result = _for_customer(args, ctx, rec)
    elif args.product_ids is not None:
        result = _for_basket(args, ctx, rec)
    elif args.interest is not None:
        result = _for_interest(args, ctx, rec)
    else:
        result = _for_segment(args, ctx, rec)
    # Co-purchase and customer models learn from customers who came back: say so when few did.
    repeat = repeat_buying(ctx.warehouse(), rec.interactions.as_of.date())
    warning = repeat.warning("recommendations")
    return result.model_copy(update={"warnings": [warning]}) if warning else result


_TARGETS = tuple(name for group in RecommendProductsInput.TARGET_GROUPS for name in group)


def recommend_for_segment(args: dict[str, Any], steps: Sequence[PriorStep]) -> dict[str, Any]:
    """Carry-over: recommend for the segment an earlier step found, when the model named no target — or several
    at once (a small model copies customer and product ids from the segment's result into one call: "for them"
    means the segment)."""
    given = {group for group in RecommendProductsInput.TARGET_GROUPS if any(args.get(k) for k in group)}
    if len(given) > 1 and any(step.tool == "segment_query" for step in steps):
        args = {k: v for k, v in args.items() if k not in _TARGETS}
    elif given:
        return args
    for step in reversed(steps):
        if step.tool == "segment_query":
            segments, countries = step.args.get("segments") or [], step.args.get("countries") or []
            if segments:
                args["segment"] = segments[0]
            if countries:
                args["country"] = countries[0]
            break
    return args


TOOLS: list[Tool[Any]] = [
    Tool(
        name="recommend_products",
        input_model=RecommendProductsInput,
        run=recommend_products,
        description=(
            "Recommend products (with reasons) for a customer id, a basket of products, an RFM segment or country, "
            "or a free-text interest; e.g. what to put in an email, what sells with an item, what to promote."
        ),
        errors=(RecommendationError, RuntimeError),
        carry_over=recommend_for_segment,
    ),
]


def build_step(ctx: BuildContext) -> dict[str, Any]:
    """Ingest build step: embed product names, train every model and the hybrid, save to models/recommender/."""
    import time
    from datetime import timedelta

    from tools.recommend.catalogue import embed_catalogue
    from tools.recommend.data import load_events, load_products
    from tools.recommend.train import SINGLE_MODELS, train_recommender
    from vectorstore.embeddings import load_embedder

    started = time.perf_counter()
    events = load_events(ctx.con)
    if events.empty:
        return {"skipped": "no completed orders from known customers"}
    task = ctx.progress.add_task("Training recommender", total=len(SINGLE_MODELS) + 2)
    catalogue = embed_catalogue(load_products(ctx.con), load_embedder(threads=2))
    ctx.progress.advance(task)
    as_of = events["ordered_at"].max().to_pydatetime() + timedelta(seconds=1)
    rec = train_recommender(events, as_of, catalogue, on_step=lambda _: ctx.progress.advance(task))
    rec.save(ctx.build.models_dir / MODEL_DIR)
    return {
        "customers": rec.interactions.n_users,
        "products_sold": rec.interactions.n_items,
        "catalogue": len(catalogue.product_ids),
        "hybrid_weights": {k: v for k, v in rec.tuning.weights.items() if v},
        "validation_ndcg10_new": {"ease": rec.tuning.anchor_ndcg, "hybrid": rec.tuning.hybrid_ndcg},
        "seconds": round(time.perf_counter() - started, 1),
    }

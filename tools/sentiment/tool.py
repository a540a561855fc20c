"""Review sentiment tools: how customers feel (split, aspects with quotes, words, trend, best/worst products)
and a classifier for any text.

The model is trained and every review scored at ingest (tools/sentiment/build.py); these tools only read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, computed_field, field_validator, model_validator

from tools.base import ChartSpec, Series, Table, Tool
from tools.context import ToolContext
from tools.sentiment.language import ENGLISH, SAMPLE_SIZE, detect_language, language_name, shop_language
from tools.sentiment.model import Label, ModelMissingError, SentimentModel, load_model
from tools.sentiment.polarity import lexicon_score
from tools.sentiment.terms import TermCount, distinctive_terms
from tools.sentiment.text import MAX_SCORED_CHARS, looks_english, review_text

MAX_INPUT_CHARS = 100_000


def build_step(ctx: Any) -> dict[str, Any]:
    """Ingest build step (`mka ingest --skip sentiment` skips it)."""
    from tools.sentiment.build import build_step as run

    return run(ctx)


def review_language(ctx: ToolContext) -> str:
    """The shop's review language: the majority over a sample of its review texts (once per context)."""

    def detect() -> str:
        rows = (
            ctx.warehouse()
            .execute("SELECT title, body FROM reviews WHERE body IS NOT NULL ORDER BY review_id LIMIT ?", [SAMPLE_SIZE])
            .fetchall()
        )
        return shop_language([review_text(t, b) for t, b in rows])

    return ctx.resource("sentiment:language", detect)


def sentiment_model(ctx: ToolContext) -> SentimentModel:
    """The workspace's trained model, loaded once per context."""
    return ctx.resource("sentiment_model", lambda: load_model(ctx.workspace.models_dir / "sentiment"))


# ---------------------------------------------------------------- classify one text


class ClassifySentimentInput(BaseModel):
    """Classify the sentiment of one piece of text (a review, a comment, a sentence)."""

    text: str = Field(
        description="The text to classify (English; Portuguese, Spanish, German, French by lexicon).",
        max_length=MAX_INPUT_CHARS,
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty: give the sentence or review to classify")
        return value


class ClassifySentimentResult(BaseModel):
    label: Label
    score: float = Field(description="-1 (very negative) … 1 (very positive).")
    probability_positive: float
    english: bool
    chars_scored: int
    note: str | None = None
    language: str = Field(default="en", description="The text's language (code).")
    method: str = Field(default="model", description="What scored it: the trained model, or a language's lexicon.")

    def to_markdown(self) -> str:
        line = f"**{self.label}** (score {self.score:+.2f}, P(positive) {self.probability_positive:.0%}; {self.method})"
        return line + (f"\n\n_{self.note}_" if self.note else "")

    def charts(self) -> list[ChartSpec]:
        return []


def classify_texts(model: SentimentModel, texts: list[str]) -> tuple[np.ndarray, list[Label]]:
    """Scores and labels for many texts (no validation: the CLI's file mode and the bench use it)."""
    scores = np.clip(model.score(texts), -1.0, 1.0)
    return scores, model.labels(scores)


def classify_sentiment(args: ClassifySentimentInput, ctx: ToolContext) -> ClassifySentimentResult:
    model = sentiment_model(ctx)
    text = args.text.strip()
    language = detect_language(text)
    if language != ENGLISH:
        return _lexicon_classified(model, text, language)
    english = looks_english(text) and (len(text.split()) > 3 or model.known_word_share(text) > 0)
    if not english:
        return ClassifySentimentResult(
            label="neutral",
            score=0.0,
            probability_positive=0.5,
            english=False,
            chars_scored=0,
            note="This does not read as English; the sentiment model only knows English, so it was not scored.",
        )
    probability = float(model.probability([text])[0])
    score = 2.0 * probability - 1.0
    note = None
    if len(text) > MAX_SCORED_CHARS:
        note = f"Long text: the first {MAX_SCORED_CHARS:,} of {len(text):,} characters were scored."
    return ClassifySentimentResult(
        label=model.labels(np.array([score]))[0],
        score=round(score, 4),
        probability_positive=round(probability, 4),
        english=True,
        chars_scored=min(len(text), MAX_SCORED_CHARS),
        note=note,
    )


def _lexicon_classified(model: SentimentModel, text: str, language: str) -> ClassifySentimentResult:
    """A Portuguese, Spanish, German or French text: scored by that language's polarity lexicon (the model is
    English-only), and the result says so."""
    scored = text[:MAX_SCORED_CHARS]
    score = lexicon_score(scored, language)
    return ClassifySentimentResult(
        label=model.labels(np.array([score]))[0],
        score=score,
        probability_positive=round((score + 1.0) / 2.0, 4),
        english=False,
        chars_scored=len(scored),
        language=language,
        method=f"{language_name(language)} polarity lexicon",
        note=f"Read as {language_name(language)}: scored by counting its positive and negative words "
        "(the trained model knows English only).",
    )


# ---------------------------------------------------------------- analyze reviews


class AnalyzeSentimentInput(BaseModel):
    """How customers feel in reviews: sentiment split, aspects with quotes, words, trend, best/worst products."""

    product_ids: list[str] = Field(
        default_factory=list, max_length=50, description="Only these product ids (e.g. ['1078']); empty = all."
    )
    category: str | None = Field(
        default=None, max_length=100, description="Department, category or class, e.g. 'Dresses', 'Tops', 'Jeans'."
    )
    topic: str | None = Field(
        default=None,
        max_length=200,
        description="Only reviews mentioning this: an aspect (fit, size, fabric, quality, colour, price…) or words.",
    )
    since: date | None = Field(default=None, description="Only reviews written on or after this date (YYYY-MM-DD).")
    until: date | None = Field(default=None, description="Only reviews written on or before this date (YYYY-MM-DD).")

    @field_validator("product_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value if v and v.strip()]
        if any(len(v) > 64 for v in cleaned):
            raise ValueError("product_ids: each id must be at most 64 characters")
        return cleaned

    @field_validator("category", "topic")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @model_validator(mode="after")
    def _range(self) -> AnalyzeSentimentInput:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        return self


class SentimentSplit(BaseModel):
    positive: int
    neutral: int
    negative: int
    unscored: int = Field(description="Reviews with a rating but no text.")

    def share(self, label: str) -> float:
        scored = self.positive + self.neutral + self.negative
        return round(getattr(self, label) / scored, 4) if scored else 0.0

    # The shares are part of the result (JSON contract, grounding), not only of its rendering.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def positive_share(self) -> float:
        return self.share("positive")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def neutral_share(self) -> float:
        return self.share("neutral")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def negative_share(self) -> float:
        return self.share("negative")


class Quote(BaseModel):
    review_id: str
    text: str = Field(description="A verbatim sentence of the review's text.")
    label: Label


class AspectSummary(BaseModel):
    aspect: str
    mentions: int = Field(description="Sentences in scope that mention the aspect.")
    reviews: int
    positive: int
    negative: int
    positive_share: float
    negative_share: float
    quotes: list[Quote]


class ProductSentiment(BaseModel):
    product_id: str
    name: str
    reviews: int
    positive_share: float
    negative_share: float
    average_rating: float
    top_complaint: str | None = None


class MonthPoint(BaseModel):
    month: str
    reviews: int
    positive_share: float
    negative_share: float
    average_rating: float


class AnalyzeSentimentResult(BaseModel):
    scope: str
    review_count: int
    split: SentimentSplit
    average_rating: float | None
    recommend_rate: float | None = Field(description="Share of reviews that recommend the product (0–1).")
    aspects: list[AspectSummary]
    positive_terms: list[TermCount]
    negative_terms: list[TermCount]
    trend: list[MonthPoint]
    most_praised: list[ProductSentiment]
    most_criticised: list[ProductSentiment]
    notes: list[str]
    language: str = Field(default="en", description="The shop's review language (code), detected from a sample.")

    def to_markdown(self) -> str:
        if self.review_count == 0:
            return "\n".join([f"**No reviews** for {self.scope}.", *[f"- {n}" for n in self.notes]])
        s = self.split
        lines = [
            f"**{self.review_count:,} reviews** for {self.scope}: "
            f"{s.share('positive'):.0%} positive, {s.share('neutral'):.0%} neutral, {s.share('negative'):.0%} negative"
            + (f"; average rating {self.average_rating:.2f}/5" if self.average_rating is not None else "")
            + (f"; {self.recommend_rate:.0%} recommend" if self.recommend_rate is not None else "")
            + ".",
        ]
        if self.aspects:
            rows: list[list[str | int | float | None]] = [
                [a.aspect, a.mentions, f"{a.positive_share:.0%}", f"{a.negative_share:.0%}"] for a in self.aspects
            ]
            lines += [
                "",
                Table(title="Aspects", columns=["aspect", "mentions", "positive", "negative"], rows=rows).to_markdown(),
            ]
            for a in self.aspects[:5]:
                for q in a.quotes:
                    lines.append(f"- {a.aspect} ({q.label}): “{q.text}” — review {q.review_id}")
        for title, terms in (("Words in positive reviews", self.positive_terms),
                             ("Words in negative reviews", self.negative_terms)):  # fmt: skip
            if terms:
                lines += ["", f"**{title}:** " + ", ".join(f"{t.term} ({t.reviews})" for t in terms)]
        for title, products in (("Most praised", self.most_praised), ("Most criticised", self.most_criticised)):
            if products:
                table = Table(
                    title=title,
                    columns=["product", "reviews", "positive", "negative", "avg rating", "top complaint"],
                    rows=[
                        [
                            f"{p.name} ({p.product_id})",
                            p.reviews,
                            f"{p.positive_share:.0%}",
                            f"{p.negative_share:.0%}",
                            p.average_rating,
                            p.top_complaint,
                        ]
                        for p in products
                    ],
                )
                lines += ["", table.to_markdown()]
        if self.trend:
            table = Table(
                title="By month",
                columns=["month", "reviews", "positive", "negative", "avg rating"],
                rows=[
                    [m.month, m.reviews, f"{m.positive_share:.0%}", f"{m.negative_share:.0%}", m.average_rating]
                    for m in self.trend
                ],
            )
            lines += ["", table.to_markdown()]
        lines += [f"\n_{n}_" for n in self.notes]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        if self.review_count == 0:
            return []
        s = self.split
        charts = [
            ChartSpec(
                kind="pie",
                title="Review sentiment",
                x=["positive", "neutral", "negative"],
                series=[Series(name="reviews", values=[s.positive, s.neutral, s.negative])],
            )
        ]
        if self.aspects:
            charts.append(
                ChartSpec(
                    kind="barh",
                    title="Aspects: share of mentions",
                    x=[a.aspect for a in self.aspects],
                    series=[
                        Series(name="positive", values=[a.positive_share for a in self.aspects]),
                        Series(name="negative", values=[a.negative_share for a in self.aspects]),
                    ],
                    y_label="share of mentions",
                )
            )
        if len(self.trend) > 1:
            charts.append(
                ChartSpec(
                    kind="line",
                    title="Sentiment by month",
                    x=[m.month for m in self.trend],
                    series=[
                        Series(name="positive share", values=[m.positive_share for m in self.trend]),
                        Series(name="negative share", values=[m.negative_share for m in self.trend]),
                    ],
                )
            )
        return charts


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _products(frame: Any, complaints: dict[str, str], ascending_negative: bool) -> list[ProductSentiment]:
    out = []
    for row in frame.itertuples():
        out.append(
            ProductSentiment(
                product_id=str(row.product_id),
                name=str(row.product_name),
                reviews=int(row.reviews),
                positive_share=round(float(row.positive_share), 4),
                negative_share=round(float(row.negative_share), 4),
                average_rating=round(float(row.average_rating), 2),
                top_complaint=complaints.get(str(row.product_id)) if not ascending_negative else None,
            )
        )
    return out


def analyze_sentiment(args: AnalyzeSentimentInput, ctx: ToolContext) -> AnalyzeSentimentResult:
    from tools.sentiment import analyze as q

    con = ctx.warehouse()
    if not q.has_sentiment_tables(con):
        raise RuntimeError("the warehouse has no sentiment tables: run `mka ingest` without `--skip sentiment`")
    scope = q.build_scope(con, args.product_ids, args.category, args.topic, args.since, args.until)
    described = ", ".join(scope.described) or "all products"
    empty_split = SentimentSplit(positive=0, neutral=0, negative=0, unscored=0)
    frame = None if scope.empty_reason else q.scope_reviews(con, scope)
    if frame is None or frame.empty:
        notes = [*scope.notes, _sentence(scope.empty_reason or "no reviews match this scope")]
        return AnalyzeSentimentResult(
            scope=described, review_count=0, split=empty_split, average_rating=None, recommend_rate=None,
            aspects=[], positive_terms=[], negative_terms=[], trend=[], most_praised=[], most_criticised=[],
            notes=notes,
        )  # fmt: skip

    labels = frame["label"].value_counts()
    split = SentimentSplit(
        positive=int(labels.get("positive", 0)),
        neutral=int(labels.get("neutral", 0)),
        negative=int(labels.get("negative", 0)),
        unscored=int(frame["label"].isna().sum()),
    )
    recommended = frame["recommended"].dropna()
    aspects = _aspects(con, scope)
    texts = {
        side: [
            review_text(t, b) for t, b in frame.loc[frame["label"] == side, ["title", "body"]].itertuples(index=False)
        ]
        for side in ("positive", "negative")
    }
    products = _product_table(frame)
    criticised = products.sort_values(["negative_share", "reviews", "product_id"], ascending=[False, False, True])
    criticised = criticised[criticised["negative_share"] > 0].head(q.TOP_PRODUCTS)
    praised = products.sort_values(["positive_share", "reviews", "product_id"], ascending=[False, False, True])
    praised = praised[praised["positive_share"] > 0].head(q.TOP_PRODUCTS)
    complaints = q.product_complaints(con, scope, criticised["product_id"].astype(str).tolist())
    notes = list(scope.notes)
    language = review_language(ctx)
    if language != ENGLISH:
        notes.append(
            f"Reviews are in {language_name(language)}: {language_name(language)} stop words and aspect words used."
        )
    if products.empty:
        notes.append("No product has enough reviews in this scope to rank products.")
    return AnalyzeSentimentResult(
        scope=described,
        review_count=len(frame),
        split=split,
        average_rating=round(float(frame["rating"].mean()), 2),
        recommend_rate=round(float(recommended.astype(bool).mean()), 4) if len(recommended) else None,
        aspects=aspects,
        positive_terms=distinctive_terms(texts["positive"], texts["negative"], language=language),
        negative_terms=distinctive_terms(texts["negative"], texts["positive"], language=language),
        trend=_trend(frame),
        most_praised=_products(praised, complaints, ascending_negative=True),
        most_criticised=_products(criticised, complaints, ascending_negative=False),
        notes=notes,
        language=language,
    )


def _aspects(con: Any, scope: Any) -> list[AspectSummary]:
    from tools.sentiment import analyze as q

    counts = q.aspect_rows(con, scope)
    quotes = q.aspect_quotes(con, scope)
    by_aspect: dict[str, list[Quote]] = {}
    for row in quotes.itertuples():
        picked = by_aspect.setdefault(str(row.aspect), [])
        if len(picked) < q.QUOTES_PER_ASPECT:
            picked.append(Quote(review_id=str(row.review_id), text=str(row.sentence), label=row.label))
    return [
        AspectSummary(
            aspect=str(row.aspect),
            mentions=int(row.mentions),
            reviews=int(row.reviews),
            positive=int(row.positive),
            negative=int(row.negative),
            positive_share=_share(int(row.positive), int(row.mentions)),
            negative_share=_share(int(row.negative), int(row.mentions)),
            quotes=by_aspect.get(str(row.aspect), []),
        )
        for row in counts.itertuples()
    ]


def _product_table(frame: Any) -> Any:
    scored = frame[frame["label"].notna()]
    grouped = scored.groupby(["product_id", "product_name"], as_index=False).agg(
        reviews=("review_id", "count"),
        positive=("label", lambda s: int((s == "positive").sum())),
        negative=("label", lambda s: int((s == "negative").sum())),
        average_rating=("rating", "mean"),
    )
    min_reviews = 5 if len(scored) >= 100 else 2
    grouped = grouped[grouped["reviews"] >= min_reviews].copy()
    grouped["positive_share"] = grouped["positive"] / grouped["reviews"]
    grouped["negative_share"] = grouped["negative"] / grouped["reviews"]
    return grouped


def _trend(frame: Any) -> list[MonthPoint]:
    dated = frame[frame["created_at"].notna() & frame["label"].notna()]
    if dated.empty:
        return []
    months = dated.assign(month=dated["created_at"].dt.strftime("%Y-%m")).groupby("month")
    points = []
    for month, group in months:
        n = len(group)
        points.append(
            MonthPoint(
                month=str(month),
                reviews=n,
                positive_share=_share(int((group["label"] == "positive").sum()), n),
                negative_share=_share(int((group["label"] == "negative").sum()), n),
                average_rating=round(float(group["rating"].mean()), 2),
            )
        )
    return points


TOOLS: list[Tool[Any]] = [
    Tool(
        name="analyze_sentiment",
        input_model=AnalyzeSentimentInput,
        run=analyze_sentiment,
        description=(
            "How customers feel in reviews of products, a category/department or a topic: sentiment split, "
            "aspects (fit, size, fabric, quality, price…) with quotes, common words, monthly trend, "
            "most praised/criticised products."
        ),
        errors=(ValueError, ModelMissingError, RuntimeError),
    ),
    Tool(
        name="classify_sentiment",
        input_model=ClassifySentimentInput,
        run=classify_sentiment,
        description=("Classify the sentiment (positive/neutral/negative) of one given text."),
        errors=(ValueError, ModelMissingError, RuntimeError),
    ),
]

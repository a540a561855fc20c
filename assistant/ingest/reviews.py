"""From raw review rows to the canonical reviews table (and products the reviews name).

A raw row is dropped for the first reason that applies:
1. duplicate review      every field but the row id equal to an earlier row's
2. missing product id
3. rating not 1-5        missing, unparseable or out of the declared scale
Reviews with an empty text are kept: their rating still counts.

Ratings are read on the declared scale (1-5 by default; 0-5, 0-10, 1-10 or thumbs up/down) and mapped onto
1-5. More than 2 % of ratings (and at least 3) outside the declared scale means the scale is wrong: an error,
never a silent drop of most reviews; fewer are dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from assistant.ingest.errors import IngestError, line_of
from assistant.ingest.orders import _mode, clean_text
from assistant.ingest.readers import parse_datetimes, parse_numbers
from assistant.ingest.report import AdapterReport

REVIEW_FIELDS = [
    "review_id", "product_id", "rating", "title", "body", "created_at",
    "recommended", "reviewer_age", "helpful_votes", "product_name", "category", "description",
]  # fmt: skip


RatingScale = Literal["1-5", "0-5", "0-10", "1-10", "thumbs"]
# (lowest, highest) of each numeric scale; mapped linearly onto 1-5 and rounded half up.
_SCALES: dict[str, tuple[int, int]] = {"1-5": (1, 5), "0-5": (0, 5), "0-10": (0, 10), "1-10": (1, 10)}
_THUMBS = {"up": 5, "down": 1, "1": 5, "0": 1, "-1": 1, "true": 5, "false": 1, "yes": 5, "no": 1,
           "👍": 5, "👎": 1, "positive": 5, "negative": 1}  # fmt: skip
OUT_OF_SCALE_TOLERANCE = 0.02


def scale_ratings(
    raw: pd.DataFrame, path: Path, column: str, scale: RatingScale, decimal: str | None = None
) -> pd.Series:
    """Ratings on `scale` as 1-5 floats (NaN: missing or out of scale, dropped when few; an error when many)."""
    values = raw["rating"].str.strip()
    if scale == "thumbs":
        mapped = values.str.lower().map(_THUMBS).astype("float64")
    else:
        low, high = _SCALES[scale]
        numbers = parse_numbers(raw, "rating", path, label=column, decimal=decimal)
        inside = (numbers >= low) & (numbers <= high)
        if scale == "1-5":
            inside &= numbers == numbers.round()  # a 4.5 on a 1-5 scale is not a star rating we can store
        mapped = (1 + (numbers - low) * 4 / (high - low)).where(inside)
        mapped = np.floor(mapped + 0.5)
    outside = mapped.isna() & (values != "")
    given = int((values != "").sum())
    if given and outside.sum() > OUT_OF_SCALE_TOLERANCE * given and outside.sum() >= 3:
        at = outside[outside].index[0]
        raise IngestError(
            path,
            f"{int(outside.sum())} of {given} ratings are outside the {scale} scale (e.g. {values[at]!r}); "
            "set 'rating_scale' in the mapping file (1-5, 0-5, 0-10, 1-10 or thumbs)",
            column,
            line_of(at),
        )
    return mapped


@dataclass
class ReviewTables:
    reviews: pd.DataFrame
    products: pd.DataFrame  # products as the review file describes them (may be thin)


def _flag(series: pd.Series) -> pd.Series:
    lowered = series.str.strip().str.lower()
    truthy = lowered.isin(["1", "true", "yes", "y", "t"])
    falsy = lowered.isin(["0", "false", "no", "n", "f"])
    return pd.Series(pd.array(truthy.where(truthy | falsy), dtype="boolean"), index=series.index)


def build_review_tables(
    raw: pd.DataFrame,
    path: Path,
    report: AdapterReport,
    *,
    source_columns: dict[str, str],
    source: str,
    date_format: str | None = None,
    day_first: bool | None = None,
    decimal: str | None = None,
    rating_scale: RatingScale = "1-5",
) -> ReviewTables:
    """`raw` has REVIEW_FIELDS as string columns ('' = missing)."""
    report.rows_read = len(raw)
    alive = pd.Series(True, index=raw.index)

    def drop(mask: pd.Series, reason: str) -> None:
        nonlocal alive
        hit = alive & mask
        report.drop(reason, int(hit.sum()))
        alive &= ~hit

    content = [c for c in REVIEW_FIELDS if c != "review_id"]
    drop(raw.duplicated(subset=content, keep="first"), "duplicate review")
    drop(raw["product_id"].str.strip() == "", "missing product id")
    rating = scale_ratings(raw, path, source_columns["rating"], rating_scale, decimal)
    drop(
        rating.isna() | (rating < 1) | (rating > 5),
        "rating missing or not 1-5" if rating_scale == "1-5" else f"rating missing or not {rating_scale}",
    )

    review_id = raw["review_id"].str.strip()
    if (review_id == "").any():
        raise IngestError(path, "empty review id", column=source_columns["review_id"])
    dup_ids = review_id[alive].duplicated()
    if dup_ids.any():
        raise IngestError(
            path,
            f"review id {review_id[alive][dup_ids].iloc[0]!r} is not unique",
            source_columns["review_id"],
        )
    report.rows_kept = int(alive.sum())
    if report.rows_kept == 0:
        raise IngestError(path, "no usable reviews", column=source_columns["rating"])

    created = (
        parse_datetimes(
            raw, "created_at", path, fmt=date_format, label=source_columns.get("created_at"), day_first=day_first
        )
        if (raw["created_at"] != "").any()
        else pd.Series(pd.NaT, index=raw.index)
    )
    age = parse_numbers(raw, "reviewer_age", path, integer=True, label=source_columns.get("reviewer_age"))
    votes = parse_numbers(raw, "helpful_votes", path, integer=True, label=source_columns.get("helpful_votes"))
    reviews = pd.DataFrame(
        {
            "review_id": review_id,
            "product_id": raw["product_id"].str.strip(),
            "rating": rating.astype("Int64"),
            "title": clean_text(raw["title"]).replace("", None),
            "body": raw["body"].str.strip().replace("", None),
            "created_at": created,
            "recommended": _flag(raw["recommended"]),
            "reviewer_age": age.where((age > 0) & (age < 120)).astype("Int64"),
            "helpful_votes": votes.where(votes >= 0).astype("Int64"),
        }
    )[alive].reset_index(drop=True)

    kept = raw[alive].assign(product_id=raw["product_id"].str.strip()).set_index("product_id")
    ids = pd.Index(sorted(kept.index.unique()), name="product_id")
    name = _mode(clean_text(kept["product_name"])).reindex(ids)
    products = pd.DataFrame(
        {
            "name": name.fillna(pd.Series(ids, index=ids)),
            "category": _mode(clean_text(kept["category"])).reindex(ids),
            "price": float("nan"),
            "description": _mode(clean_text(kept["description"])).reindex(ids),
            "source": source,
        },
        index=ids,
    ).reset_index()
    return ReviewTables(reviews=reviews, products=products)

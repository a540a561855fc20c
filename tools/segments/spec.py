"""What a segment query may ask for: a validated, flat spec a small local model can fill through JSON schema.

Every field is a value (bound as a SQL parameter) or an enum (mapped to SQL through an allow-list); nothing
the caller sends is ever pasted into SQL text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_SAMPLE = 1000
MAX_LIST = 50
MAX_TEXT = 100


class SegmentQueryError(ValueError):
    """A request the data cannot answer as asked (unknown country, date outside the data...); names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class SegmentName(StrEnum):
    """RFM named segments (the map is documented in tools/segments/rfm.py)."""

    champions = "champions"
    loyal = "loyal"
    potential_loyalists = "potential_loyalists"
    new = "new"
    promising = "promising"
    need_attention = "need_attention"
    about_to_sleep = "about_to_sleep"
    at_risk = "at_risk"
    cant_lose = "cant_lose"
    hibernating = "hibernating"
    lost = "lost"


class GroupBy(StrEnum):
    none = "none"
    country = "country"
    segment = "segment"
    cluster = "cluster"
    month = "month"


class SortKey(StrEnum):
    monetary = "monetary"
    frequency = "frequency"
    recency = "recency"
    customer_id = "customer_id"


_ALIASES = {
    "loyal_customers": "loyal",
    "new_customers": "new",
    "cant_lose_them": "cant_lose",
    "cannot_lose": "cant_lose",
    "can_not_lose": "cant_lose",
    "potential_loyalist": "potential_loyalists",
    "champion": "champions",
}


def normalise_segment_name(value: str) -> str:
    """'Can't Lose' / 'at-risk' / 'Loyal Customers' -> the enum value; unknown names pass through to fail."""
    key = re.sub(r"[^a-z0-9]+", "_", value.strip().lower().replace("'", "")).strip("_")
    return _ALIASES.get(key, key)


def check_text(value: str, field: str, max_len: int = MAX_TEXT) -> str:
    """Plain printable text: no control characters, bounded length, not blank."""
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise ValueError(f"{field} must not be blank")
    if len(text) > max_len:
        raise ValueError(f"{field} is too long ({len(text)} characters, at most {max_len})")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        raise ValueError(f"{field} contains control or invisible characters")
    return text


def _as_list(value: Any) -> Any:
    # A small model often sends "Germany" where a list is expected.
    return [value] if isinstance(value, str) else value


PREDICTION_FILTERS = ("churn_probability_min", "churn_probability_max", "expected_spend_min")


class BoundName(StrEnum):
    """The numeric bounds, each inclusive unless named in `strict_bounds`."""

    recency_days_min = "recency_days_min"
    recency_days_max = "recency_days_max"
    frequency_min = "frequency_min"
    frequency_max = "frequency_max"
    monetary_min = "monetary_min"
    monetary_max = "monetary_max"
    churn_probability_min = "churn_probability_min"
    churn_probability_max = "churn_probability_max"
    expected_spend_min = "expected_spend_min"


class SegmentSpec(BaseModel):
    """Which customers: a named RFM segment and/or filters, grouped and sorted; all filters combine with AND."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    segments: list[SegmentName] = Field(
        default_factory=list,
        max_length=len(SegmentName),
        description="Only the RFM segments the request names. Empty = all customers. Names: champions, loyal, "
        "potential_loyalists, new, promising, need_attention, about_to_sleep, at_risk, cant_lose, hibernating, lost.",
    )
    countries: list[str] = Field(
        default_factory=list, max_length=MAX_LIST, description="Customer countries, e.g. ['Germany']. Empty = all."
    )
    recency_days_min: int | None = Field(
        default=None, ge=0, le=36500, description="Only customers whose last order is at least this many days old."
    )
    recency_days_max: int | None = Field(
        default=None, ge=0, le=36500, description="Only customers who ordered within this many days."
    )
    frequency_min: int | None = Field(default=None, ge=0, le=1_000_000, description="At least this many orders.")
    frequency_max: int | None = Field(default=None, ge=0, le=1_000_000, description="At most this many orders.")
    monetary_min: float | None = Field(
        default=None, ge=0, le=1e12, allow_inf_nan=False, description="Spent at least this much in total."
    )
    monetary_max: float | None = Field(
        default=None, ge=0, le=1e12, allow_inf_nan=False, description="Spent at most this much in total."
    )
    churn_probability_min: float | None = Field(
        default=None, ge=0, le=1, allow_inf_nan=False,
        description="Predicted churn probability at least this (0-1), e.g. 0.7 for high risk.",
    )  # fmt: skip
    churn_probability_max: float | None = Field(
        default=None, ge=0, le=1, allow_inf_nan=False, description="Predicted churn probability at most this (0-1)."
    )
    expected_spend_min: float | None = Field(
        default=None, ge=0, le=1e12, allow_inf_nan=False,
        description="Predicted spend over the CLV horizon (6 months) at least this much.",
    )  # fmt: skip
    bought_product: str | None = Field(
        default=None,
        description="Bought a product with this id, or whose name contains all these words, e.g. 'heart lantern'.",
    )
    bought_category: str | None = Field(
        default=None, description="Bought from this product category, e.g. 'Christmas'."
    )
    not_ordered_since: date | None = Field(
        default=None, description="Only customers with no order on or after this date (YYYY-MM-DD)."
    )
    first_order_from: date | None = Field(default=None, description="First order on or after this date (YYYY-MM-DD).")
    first_order_to: date | None = Field(default=None, description="First order on or before this date (YYYY-MM-DD).")
    cluster: int | None = Field(default=None, ge=0, le=99, description="K-Means cluster id (see cluster profiles).")
    as_of: date | None = Field(
        default=None, description="Analyse as of this date (YYYY-MM-DD); default the data's last order date."
    )
    group_by: GroupBy = Field(
        default=GroupBy.none, description="Break down by: none, country, segment, cluster, month."
    )
    sort: SortKey = Field(
        default=SortKey.monetary, description="Order of listed customers: monetary, frequency, recency, customer_id."
    )
    limit: int = Field(default=20, ge=0, le=MAX_SAMPLE, description="How many customer ids to list (0-1000).")
    export: bool = Field(default=False, description="Also write every matching customer to a CSV file.")
    strict_bounds: list[BoundName] = Field(
        default_factory=list,
        max_length=len(BoundName),
        description="Bounds that exclude their own value ('more than 5000' rather than 'at least 5000').",
        # Filled by code from the question's wording (assistant/understand/slots.py), never by the model.
        json_schema_extra={"x-code-only": True},
    )

    @field_validator("segments", mode="before")
    @classmethod
    def _segments(cls, value: Any) -> Any:
        value = _as_list(value)
        if isinstance(value, list):
            return [normalise_segment_name(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("countries", mode="before")
    @classmethod
    def _countries_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("countries", mode="after")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        return [check_text(v, "countries", max_len=60) for v in value]

    @field_validator("bought_product", "bought_category", mode="after")
    @classmethod
    def _text(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        text = check_text(value, info.field_name)
        if info.field_name == "bought_product" and sum(ch.isalnum() for ch in text) < 2:
            raise ValueError("bought_product needs at least 2 letters or digits")
        return text

    @field_validator("not_ordered_since", "first_order_from", "first_order_to", "as_of", mode="after")
    @classmethod
    def _plausible_date(cls, value: date | None, info: Any) -> date | None:
        if value is not None and not date(1970, 1, 1) <= value <= date(2100, 12, 31):
            raise ValueError(f"{info.field_name} {value} is outside 1970-01-01..2100-12-31")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> SegmentSpec:
        pairs = [
            ("recency_days_min", "recency_days_max"),
            ("frequency_min", "frequency_max"),
            ("monetary_min", "monetary_max"),
            ("churn_probability_min", "churn_probability_max"),
            ("first_order_from", "first_order_to"),
        ]
        for low_name, high_name in pairs:
            low, high = getattr(self, low_name), getattr(self, high_name)
            if low is not None and high is not None and low > high:
                raise ValueError(f"{low_name} ({low}) is greater than {high_name} ({high})")
        unset = [b.value for b in self.strict_bounds if getattr(self, b.value) is None]
        if unset:
            raise ValueError(f"strict_bounds names {', '.join(unset)}, which must be set too")
        if self.not_ordered_since is not None and self.as_of is not None and self.not_ordered_since > self.as_of:
            raise ValueError(f"not_ordered_since ({self.not_ordered_since}) is after as_of ({self.as_of})")
        return self

    def uses_predictions(self) -> bool:
        return any(getattr(self, name) is not None for name in PREDICTION_FILTERS)

    def uses_products(self) -> bool:
        return self.bought_product is not None or self.bought_category is not None

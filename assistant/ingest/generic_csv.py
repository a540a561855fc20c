"""Adapter for a user's own exports, driven by a small YAML column-mapping file.

Example (paths are relative to the mapping file)::

    orders:
      file: orders.csv
      delimiter: ","                 # optional, default ","
      date_format: "%d/%m/%Y %H:%M"  # optional, default: parsed flexibly
      columns:                       # canonical field: your column
        order_id: Invoice
        customer_id: Customer        # optional: empty = guest order
        ordered_at: Date
        product_id: SKU
        quantity: Qty
        unit_price: Price
        product_name: Product        # optional
        country: Country             # optional
        category: Category           # optional
        status: Status               # optional; see cancelled_values
      cancelled_values: [cancelled, refunded]   # or a full map of statuses:
      # statuses: {delivered: completed, shipped: in_progress, canceled: cancelled, returned: returned}
      locale: pt_BR                  # optional: that locale's day/month order and decimal separator
      day_first: true                # optional: dd/mm dates; without it a column that reads both ways is an error
      decimal: ","                   # optional: decimal commas ('12,50'); without it the column must show it
      rows_are_units: false          # true: no quantity column, each row is one unit sold
    reviews:
      file: reviews.csv
      columns:
        review_id: Id
        product_id: SKU
        rating: Stars
        body: Text
        title: Headline              # optional; also created_at, recommended, reviewer_age,
                                     # helpful_votes, product_name, category
      rating_scale: "0-10"           # optional: 1-5 (default), 0-5, 0-10, 1-10 or thumbs
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rich.progress import Progress

from assistant.ingest.errors import IngestError, line_of
from assistant.ingest.locales import apply_locale
from assistant.ingest.orders import OrderTables, RawOrderLines, build_order_tables
from assistant.ingest.readers import read_delimited, read_header
from assistant.ingest.report import AdapterReport
from assistant.ingest.reviews import REVIEW_FIELDS, RatingScale, ReviewTables, build_review_tables
from assistant.ingest.schema import ORDER_STATUSES

NAME = "generic-csv"
ORDER_REQUIRED = ["order_id", "ordered_at", "product_id", "quantity", "unit_price"]
ORDER_OPTIONAL = ["customer_id", "product_name", "country", "category", "status"]
OrderStatus = Literal["completed", "in_progress", "cancelled", "returned"]
REVIEW_REQUIRED = ["review_id", "product_id", "rating"]
REVIEW_OPTIONAL = [f for f in REVIEW_FIELDS if f not in REVIEW_REQUIRED]


class FileMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: Path
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    date_format: str | None = None
    locale: str | None = None  # e.g. pt_BR: its day/month order and decimal separator, unless given below
    day_first: bool | None = None
    decimal: Literal[".", ","] | None = None
    columns: dict[str, str]
    cancelled_values: list[str] = Field(default_factory=lambda: ["cancelled", "canceled"])
    statuses: dict[str, OrderStatus] | None = None  # source status -> canonical; then every status must be listed
    rows_are_units: bool = False
    rating_scale: RatingScale = "1-5"


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orders: FileMapping | None = None
    reviews: FileMapping | None = None


def load_mapping(path: Path) -> Mapping:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IngestError(path, "mapping file not found") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise IngestError(path, f"cannot read mapping file ({str(exc).splitlines()[0]})") from exc
    if not isinstance(data, dict) or not data:
        raise IngestError(path, "mapping file is empty; it needs an 'orders' and/or 'reviews' section")
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise IngestError(path, f"field '{field}': {err['msg']}") from exc
    for section, m, required, optional in (
        ("orders", mapping.orders, ORDER_REQUIRED, ORDER_OPTIONAL),
        ("reviews", mapping.reviews, REVIEW_REQUIRED, REVIEW_OPTIONAL),
    ):
        if m is None:
            continue
        unknown = [k for k in m.columns if k not in required + optional]
        if unknown:
            raise IngestError(
                path,
                f"field '{section}.columns.{unknown[0]}' is not a known field "
                f"(known: {', '.join(required + optional)})",
            )
        absent = [k for k in required if k not in m.columns and not (k == "quantity" and m.rows_are_units)]
        if absent:
            hint = " (or 'rows_are_units: true' when each row is one unit sold)" if absent[0] == "quantity" else ""
            raise IngestError(path, f"field '{section}.columns.{absent[0]}' is required{hint}")
        if m.rows_are_units and "quantity" in m.columns:
            raise IngestError(path, f"'{section}.rows_are_units' and '{section}.columns.quantity' exclude each other")
        if not m.file.is_absolute():
            m.file = (path.parent / m.file).resolve()
        apply_locale(m, path, section)
    return mapping


def _check_columns(mapping_path: Path, section: str, m: FileMapping) -> None:
    """A mapping that names a column the file lacks is the mapping's error: name both."""
    import csv

    header = read_header(m.file)
    if not header.strip():
        raise IngestError(m.file, "file is empty (no header line)")
    fields = [f.strip() for f in next(csv.reader([header], delimiter=m.delimiter))]
    if len(fields) == 1 and len(m.columns) > 1:
        return  # a delimiter problem: read_delimited explains it in terms of the data file
    for field, column in m.columns.items():
        if column not in fields:
            raise IngestError(
                mapping_path,
                f"field '{section}.columns.{field}' names a column that {m.file.name} does not have "
                f"(header has: {', '.join(fields)})",
                column=column,
            )


def _select(raw: pd.DataFrame, columns: dict[str, str], fields: list[str]) -> pd.DataFrame:
    return pd.DataFrame({f: raw[columns[f]] if f in columns else "" for f in fields}, index=raw.index)


def order_statuses(frame: pd.DataFrame, m: FileMapping, path: Path) -> pd.Series:
    """Each line's canonical status: the mapping's `statuses` (every value listed) or `cancelled_values`."""
    given = frame["status"].str.strip().str.lower()
    if m.statuses is None:
        cancelled_values = {v.strip().lower() for v in m.cancelled_values}
        return pd.Series(np.where(given.isin(cancelled_values), "cancelled", "completed"), index=frame.index)
    table = {k.strip().lower(): v for k, v in m.statuses.items()}
    status = given.map(table)
    status = status.where(given != "", "completed")  # no status at all: an ordinary order
    unknown = status.isna()
    if unknown.any():
        at = unknown[unknown].index[0]
        values = sorted(set(frame.loc[unknown, "status"].str.strip()))
        raise IngestError(
            path,
            f"status {frame.loc[at, 'status']!r} is not in the mapping's 'statuses' (unlisted: "
            f"{', '.join(repr(v) for v in values[:5])}); map each onto one of {', '.join(ORDER_STATUSES)}",
            m.columns.get("status"),
            line_of(at),
        )
    return status.astype(str)


def units_as_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per unit sold -> one line per order, product and price with the units counted."""
    return (
        lines.groupby(["order_id", "product_id", "unit_price"], sort=False, as_index=False)["quantity"]
        .sum()
        .loc[:, ["order_id", "product_id", "quantity", "unit_price"]]
    )


def load_orders(mapping_path: Path, m: FileMapping, progress: Progress | None) -> tuple[OrderTables, AdapterReport]:
    _check_columns(mapping_path, "orders", m)
    raw = read_delimited(m.file, list(m.columns.values()), sep=m.delimiter, progress=progress)
    report = AdapterReport(adapter=NAME, source=str(m.file))
    frame = _select(raw, m.columns, ORDER_REQUIRED + ORDER_OPTIONAL)
    status = order_statuses(frame, m, m.file)
    if m.rows_are_units:
        frame["quantity"] = "1"
    sign_cancelled_quantities(frame, status)
    lines = RawOrderLines(
        frame=frame,
        cancelled=status == "cancelled",
        status=status,
        source_columns={f: c for f, c in m.columns.items()},
        # Identical rows are units when each row is one unit, not duplicates.
        duplicates=pd.Series(False, index=raw.index) if m.rows_are_units else raw.duplicated(keep="first"),
        date_format=m.date_format,
        day_first=m.day_first,
        decimal=m.decimal,
    )
    tables = build_order_tables(lines, m.file, report, source=NAME)
    if m.rows_are_units:
        tables.order_lines = units_as_lines(tables.order_lines)
        report.notes.append(f"each row is one unit: {int(tables.order_lines['quantity'].sum()):,} units counted")
    return tables, report


def load_reviews(mapping_path: Path, m: FileMapping, progress: Progress | None) -> tuple[ReviewTables, AdapterReport]:
    _check_columns(mapping_path, "reviews", m)
    raw = read_delimited(m.file, list(m.columns.values()), sep=m.delimiter, progress=progress)
    report = AdapterReport(adapter=NAME, source=str(m.file))
    frame = _select(raw, m.columns, REVIEW_FIELDS)
    tables = build_review_tables(
        frame,
        m.file,
        report,
        source_columns=dict(m.columns),
        source=NAME,
        date_format=m.date_format,
        day_first=m.day_first,
        decimal=m.decimal,
        rating_scale=m.rating_scale,
    )
    return tables, report


def sign_cancelled_quantities(frame: pd.DataFrame, status: pd.Series) -> None:
    """Exports usually sign cancelled quantities negative; a positive one means "units cancelled": negate it,
    in place, as text (a float would print '-3.0', read as -30 with a decimal comma)."""
    quantity = pd.to_numeric(frame["quantity"], errors="coerce")
    flip = (status == "cancelled") & (quantity > 0)
    frame.loc[flip, "quantity"] = "-" + frame.loc[flip, "quantity"].str.strip()

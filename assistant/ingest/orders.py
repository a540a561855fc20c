"""From raw order lines to the canonical customers / products / orders / order_lines tables.

Shared by every orders adapter. A raw line is dropped for the first of these reasons that applies
(the order is part of the contract: the tests recompute the counts independently in this order):

1. exact duplicate line          every raw column equal to an earlier line's
2. missing required field        no order id, product id, date, quantity or unit price
3. unparseable value             quantity / unit price / date that does not parse
4. non-product code              postage, fees, discounts, manual adjustments, vouchers (adapter's list)
5. zero or negative unit price
6. zero quantity
7. negative quantity outside a cancellation / positive quantity on a cancellation
Kept lines of cancelled orders are stored with their quantity made positive (units cancelled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from assistant.ingest.errors import IngestError
from assistant.ingest.readers import parse_datetimes, parse_numbers
from assistant.ingest.report import AdapterReport


@dataclass
class RawOrderLines:
    """Raw lines mapped to canonical names; every column a string ('' = missing)."""

    frame: pd.DataFrame  # order_id, product_id, ordered_at, quantity, unit_price, customer_id,
    # product_name, country, category (optional, '' when absent)
    cancelled: pd.Series  # bool per line
    source_columns: dict[str, str]  # canonical name -> the file's column, for error messages
    duplicates: pd.Series  # bool per line: exact duplicate of an earlier raw line
    date_format: str | None = None


@dataclass
class OrderTables:
    customers: pd.DataFrame
    products: pd.DataFrame
    orders: pd.DataFrame
    order_lines: pd.DataFrame


def _mode(series: pd.Series) -> pd.Series:
    """Most frequent value per group index (ties: alphabetical first), ignoring ''."""
    s = series[series != ""]
    if s.empty:
        return pd.Series(dtype="object")
    counts = s.groupby([s.index, s]).size().rename("n").reset_index()
    counts.columns = ["key", "value", "n"]
    counts = counts.sort_values(["key", "n", "value"], ascending=[True, False, True])
    return counts.drop_duplicates("key").set_index("key")["value"]


def clean_text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.replace(r"\s+", " ", regex=True).str.strip()


def normalise_customer_id(series: pd.Series) -> pd.Series:
    """'17850.0' -> '17850' (spreadsheet exports turn integer ids into floats)."""
    return series.str.strip().str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


def build_order_tables(
    raw: RawOrderLines,
    path: Path,
    report: AdapterReport,
    *,
    is_non_product: Callable[[pd.Series], pd.Series] | None = None,
    categorise: Callable[[pd.Series], pd.Series] | None = None,
    source: str,
) -> OrderTables:
    df = raw.frame
    cols = raw.source_columns
    report.rows_read = len(df)
    alive = pd.Series(True, index=df.index)

    def drop(mask: pd.Series, reason: str) -> None:
        nonlocal alive
        hit = alive & mask
        report.drop(reason, int(hit.sum()))
        alive &= ~hit

    drop(raw.duplicates, "exact duplicate line")
    required = ["order_id", "product_id", "ordered_at", "quantity", "unit_price"]
    drop(pd.concat([df[c].str.strip() == "" for c in required], axis=1).any(axis=1), "missing required field")

    quantity = parse_numbers(df, "quantity", path, integer=True, label=cols["quantity"])
    price = parse_numbers(df, "unit_price", path, label=cols["unit_price"])
    ordered_at = parse_datetimes(df, "ordered_at", path, fmt=raw.date_format, label=cols["ordered_at"])
    drop(quantity.isna() | price.isna() | ordered_at.isna(), "unparseable value")
    if is_non_product is not None:
        drop(is_non_product(df["product_id"]), "non-product code (postage, fees, adjustments, vouchers)")
    drop(price <= 0, "zero or negative unit price")
    drop(quantity == 0, "zero quantity")
    drop(~raw.cancelled & (quantity < 0), "negative quantity outside a cancellation")
    drop(raw.cancelled & (quantity > 0), "positive quantity on a cancellation")
    report.rows_kept = int(alive.sum())
    if report.rows_kept == 0:
        worst = max(report.dropped, key=lambda k: report.dropped[k]) if report.dropped else "no rows"
        raise IngestError(path, f"no usable order lines (most were dropped as: {worst})")

    kept = pd.DataFrame(
        {
            "order_id": df["order_id"].str.strip(),
            "customer_id": normalise_customer_id(df["customer_id"]),
            "ordered_at": ordered_at,
            "product_id": df["product_id"].str.strip(),
            "product_name": clean_text(df["product_name"]),
            "quantity": quantity.abs(),
            "unit_price": price,
            "country": clean_text(df["country"]),
            "category": clean_text(df["category"]),
            "cancelled": raw.cancelled,
        }
    )
    all_names = kept[["product_id", "product_name"]].copy()
    kept = kept[alive]
    if not (~kept["cancelled"]).any():
        raise IngestError(
            path,
            "no completed orders: every usable line is a cancellation",
            column=cols.get("status") or cols["order_id"],
        )

    orders = _orders(kept, path, cols)
    return OrderTables(
        customers=_customers(kept, orders),
        products=_products(kept, all_names, categorise, source),
        orders=orders,
        order_lines=kept[["order_id", "product_id", "quantity", "unit_price"]]
        .astype({"quantity": "int64"})
        .reset_index(drop=True),
    )


def _orders(kept: pd.DataFrame, path: Path, cols: dict[str, str]) -> pd.DataFrame:
    by_order = kept.groupby("order_id", sort=False)
    statuses = by_order["cancelled"].nunique()
    if (statuses > 1).any():
        example = statuses[statuses > 1].index[0]
        raise IngestError(
            path,
            f"order {example!r} mixes cancelled and completed lines",
            column=cols.get("status") or cols["order_id"],
        )
    customer = kept.assign(key=kept["order_id"]).set_index("key")["customer_id"]
    country = kept.assign(key=kept["order_id"]).set_index("key")["country"]
    orders = pd.DataFrame(
        {
            "ordered_at": by_order["ordered_at"].min(),
            "status": np.where(by_order["cancelled"].first(), "cancelled", "completed"),
        }
    )
    orders["customer_id"] = _mode(customer).reindex(orders.index)
    orders["country"] = _mode(country).reindex(orders.index)
    orders = orders.rename_axis("order_id").reset_index()
    return orders[["order_id", "customer_id", "ordered_at", "status", "country"]]


def _customers(kept: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    known = kept[kept["customer_id"] != ""]
    country = _mode(known.set_index("customer_id")["country"])
    completed = orders[(orders["status"] == "completed") & orders["customer_id"].notna()]
    first = completed.groupby("customer_id")["ordered_at"].min()
    ids = pd.Index(sorted(known["customer_id"].unique()), name="customer_id")
    customers = pd.DataFrame(index=ids)
    customers["country"] = country.reindex(ids)
    customers["first_order_at"] = first.reindex(ids)
    customers["age"] = pd.array([pd.NA] * len(ids), dtype="Int64")
    customers["gender"] = None
    return customers.reset_index()


def _products(
    kept: pd.DataFrame,
    all_names: pd.DataFrame,
    categorise: Callable[[pd.Series], pd.Series] | None,
    source: str,
) -> pd.DataFrame:
    ids = pd.Index(sorted(kept["product_id"].unique()), name="product_id")
    name = _mode(kept.set_index("product_id")["product_name"]).reindex(ids)
    fallback = _mode(all_names.set_index("product_id")["product_name"]).reindex(ids)
    name = name.fillna(fallback).fillna(pd.Series(ids, index=ids))
    completed = kept[~kept["cancelled"]]
    price = completed.groupby("product_id")["unit_price"].median().reindex(ids)
    price = price.fillna(kept.groupby("product_id")["unit_price"].median().reindex(ids)).round(2)
    given = _mode(kept.set_index("product_id")["category"]).reindex(ids)
    category = given.fillna(categorise(name)) if categorise is not None else given
    products = pd.DataFrame(
        {"name": name, "category": category, "price": price, "description": None, "source": source},
        index=ids,
    )
    return products.reset_index()

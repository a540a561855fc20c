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

Rows that carry an order but no line at all (no product and no price: an order header left-joined to no
items; a quantity may still be a mapping's constant) are kept as orders without lines: they count for order
and cancellation counts, not for sales.

Loud, not silent: one order id with two customers or dates more than a day apart, and a customer id that is
an e-mail address or a phone number, stop the ingest with the file, column, line and first ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from assistant.ingest.errors import IngestError, line_of
from assistant.ingest.readers import parse_datetimes, parse_numbers
from assistant.ingest.report import AdapterReport
from assistant.ingest.schema import ORDER_STATUSES

# Customer ids that are personal data: an e-mail address, or a phone number (international, or formatted).
_EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
_PHONE = r"^(?:\+[\d\s().\-]{8,20}|\(?\d{2,4}\)?[\s.\-]\d{3,4}[\s.\-]\d{3,4})$"
# Line items of one order may be stamped a minute apart; a larger spread is two orders sharing an id.
_SAME_ORDER_SPREAD = pd.Timedelta(days=1)


@dataclass
class RawOrderLines:
    """Raw lines mapped to canonical names; every column a string ('' = missing)."""

    frame: pd.DataFrame  # order_id, product_id, ordered_at, quantity, unit_price, customer_id,
    # product_name, country, category (optional, '' when absent)
    cancelled: pd.Series  # bool per line
    source_columns: dict[str, str]  # canonical name -> the file's column, for error messages
    duplicates: pd.Series  # bool per line: exact duplicate of an earlier raw line
    date_format: str | None = None
    day_first: bool | None = None  # None: the column must settle it (readers.parse_datetimes)
    decimal: str | None = None  # None: the column must show it (readers.parse_numbers)
    status: pd.Series | None = None  # canonical status per line (schema.ORDER_STATUSES); None: from `cancelled`
    keep_orders_without_lines: bool = False


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
    status = (
        raw.status
        if raw.status is not None
        else pd.Series(np.where(raw.cancelled, "cancelled", "completed"), index=df.index)
    )
    status = status.astype(pd.CategoricalDtype(ORDER_STATUSES))  # a category: 1 byte a line, not a string
    unknown = status.isna()
    if unknown.any():
        raise ValueError("adapter produced a status outside schema.ORDER_STATUSES")
    # Quantities of cancelled and returned lines may be signed negative in the source.
    reversed_ = status.isin(["cancelled", "returned"])
    report.rows_read = len(df)
    header_only = pd.Series(False, index=df.index)
    if raw.keep_orders_without_lines:
        line_fields = pd.concat([df[c].str.strip() == "" for c in ("product_id", "unit_price")], axis=1)
        header_only = (
            line_fields.all(axis=1) & (df["order_id"].str.strip() != "") & (df["ordered_at"].str.strip() != "")
        )
    alive = ~header_only

    def drop(mask: pd.Series, reason: str) -> None:
        nonlocal alive
        hit = alive & mask
        report.drop(reason, int(hit.sum()))
        alive &= ~hit

    drop(raw.duplicates, "exact duplicate line")
    required = ["order_id", "product_id", "ordered_at", "quantity", "unit_price"]
    drop(pd.concat([df[c].str.strip() == "" for c in required], axis=1).any(axis=1), "missing required field")

    quantity = parse_numbers(df, "quantity", path, integer=True, label=cols.get("quantity"), decimal=raw.decimal)
    price = parse_numbers(df, "unit_price", path, label=cols.get("unit_price"), decimal=raw.decimal)
    ordered_at = parse_datetimes(
        df, "ordered_at", path, fmt=raw.date_format, label=cols["ordered_at"], day_first=raw.day_first
    )
    drop(quantity.isna() | price.isna() | ordered_at.isna(), "unparseable value")
    if is_non_product is not None:
        drop(is_non_product(df["product_id"]), "non-product code (postage, fees, adjustments, vouchers)")
    drop(price <= 0, "zero or negative unit price")
    drop(quantity == 0, "zero quantity")
    drop(~reversed_ & (quantity < 0), "negative quantity outside a cancellation")
    drop(status.eq("cancelled") & (quantity > 0), "positive quantity on a cancellation")
    report.rows_kept = int(alive.sum())
    if report.rows_kept == 0:
        worst = max(report.dropped, key=lambda k: report.dropped[k]) if report.dropped else "no rows"
        raise IngestError(path, f"no usable order lines (most were dropped as: {worst})")
    report.rows_kept += int(header_only.sum())  # orders without lines are kept too: read = kept + dropped

    customer_id = normalise_customer_id(df["customer_id"].fillna(""))
    _reject_personal_ids(customer_id[alive | header_only], path, cols.get("customer_id"))
    frame = pd.DataFrame(
        {
            "order_id": df["order_id"].str.strip(),
            "customer_id": customer_id,
            "ordered_at": ordered_at,
            "product_id": df["product_id"].str.strip(),
            "product_name": clean_text(df["product_name"]),
            "quantity": quantity.abs(),
            "unit_price": price,
            "country": clean_text(df["country"]),
            "category": clean_text(df["category"]),
            "cancelled": status.eq("cancelled"),
            "status": status,
        }
    )
    all_names = frame[["product_id", "product_name"]].copy()
    kept = frame[alive]
    headers = frame[header_only & ordered_at.notna()]
    if header_only.any():
        report.notes.append(f"{int(header_only.sum())} orders without lines kept (counted as orders, no sales)")
    if not kept["status"].eq("completed").any():
        raise IngestError(
            path,
            "no completed orders: every usable line is a cancellation",
            column=cols.get("status") or cols["order_id"],
        )

    with_headers = pd.concat([kept, headers]) if len(headers) else kept
    orders = _orders(with_headers, path, cols)
    return OrderTables(
        customers=_customers(with_headers, orders),
        products=_products(kept, all_names, categorise, source),
        orders=orders,
        order_lines=kept[["order_id", "product_id", "quantity", "unit_price"]]
        .astype({"quantity": "int64"})
        .reset_index(drop=True),
    )


def _reject_personal_ids(ids: pd.Series, path: Path, column: str | None) -> None:
    """A customer id that is an e-mail or a phone number would spread personal data into every table and answer."""
    distinct = ids.drop_duplicates()  # few customers, many lines: test each id once
    for pattern, kind in ((_EMAIL, "an e-mail address"), (_PHONE, "a phone number")):
        hit = distinct.str.match(pattern, na=False)
        if hit.any():
            at = hit[hit].index[0]
            raise IngestError(
                path,
                f"customer id looks like {kind} ({int(hit.sum())} such ids); map a pseudonymous id column instead",
                column or "customer_id",
                line_of(at),
            )


def _orders(kept: pd.DataFrame, path: Path, cols: dict[str, str]) -> pd.DataFrame:
    by_order = kept.groupby("order_id", sort=False)
    statuses = by_order["status"].nunique()
    if (statuses > 1).any():
        example = statuses[statuses > 1].index[0]
        raise IngestError(
            path,
            f"order {example!r} mixes {' and '.join(sorted(set(kept.loc[kept['order_id'] == example, 'status'])))} "
            "lines",
            column=cols.get("status") or cols["order_id"],
        )
    _reject_conflicts(kept, path, cols)
    customer = kept.assign(key=kept["order_id"]).set_index("key")["customer_id"]
    country = kept.assign(key=kept["order_id"]).set_index("key")["country"]
    orders = pd.DataFrame(
        {
            "ordered_at": by_order["ordered_at"].min(),
            "status": by_order["status"].first().astype(str),
        }
    )
    orders["customer_id"] = _mode(customer).reindex(orders.index)
    orders["country"] = _mode(country).reindex(orders.index)
    orders = orders.rename_axis("order_id").reset_index()
    return orders[["order_id", "customer_id", "ordered_at", "status", "country"]]


def _reject_conflicts(kept: pd.DataFrame, path: Path, cols: dict[str, str]) -> None:
    """One order id with two customers, or dates more than a day apart, is two orders sharing an id: never merge."""
    known = kept[kept["customer_id"] != ""]
    customers = known.groupby("order_id", sort=False)["customer_id"].nunique()
    if (customers > 1).any():
        ids = customers[customers > 1].index
        first = known[known["order_id"] == ids[0]]
        other = first[first["customer_id"] != first["customer_id"].iloc[0]]
        raise IngestError(
            path,
            f"{len(ids)} order ids have more than one customer (first: {', '.join(repr(i) for i in ids[:3])}; "
            f"order {ids[0]!r} has customers {first['customer_id'].iloc[0]!r} and {other['customer_id'].iloc[0]!r})",
            cols.get("customer_id") or "customer_id",
            line_of(other.index[0]),
        )
    dated = kept.groupby("order_id", sort=False)["ordered_at"]
    spread = dated.max() - dated.min()
    if (spread > _SAME_ORDER_SPREAD).any():
        ids = spread[spread > _SAME_ORDER_SPREAD].index
        first = kept[kept["order_id"] == ids[0]]
        late = first[first["ordered_at"] != first["ordered_at"].iloc[0]]
        raise IngestError(
            path,
            f"{len(ids)} order ids have dates more than a day apart (first: {', '.join(repr(i) for i in ids[:3])}; "
            f"order {ids[0]!r}: {first['ordered_at'].iloc[0]} and {late['ordered_at'].iloc[0]})",
            cols.get("ordered_at") or "ordered_at",
            line_of(late.index[0]),
        )


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
    completed = kept[kept["status"] == "completed"]
    price = completed.groupby("product_id")["unit_price"].median().reindex(ids)
    price = price.fillna(kept.groupby("product_id")["unit_price"].median().reindex(ids)).round(2)
    given = _mode(kept.set_index("product_id")["category"]).reindex(ids)
    category = given.fillna(categorise(name)) if categorise is not None else given
    products = pd.DataFrame(
        {"name": name, "category": category, "price": price, "description": None, "source": source},
        index=ids,
    )
    return products.reset_index()

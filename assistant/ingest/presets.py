"""Presets: the mapping of a common export shape, so a user's mapping only names the files.

    preset: shopify
    sources:
      orders: {file: orders_export.csv}

A preset fills `orders` / `reviews` (and anything else it knows); a key the user's mapping gives wins over the
preset's, one level deep (e.g. `orders: {statuses: {...}}` replaces only the statuses).

- `normalised`: orders / items / customers / products (+ optional `categories` translation) / reviews per order.
- `shopify`: Shopify's orders export, one row per line item with the order's fields repeated; customers are the
  buyer's e-mail, pseudonymised (never stored).
- `woocommerce`: a WooCommerce orders export, one row per line item.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from assistant.ingest.errors import IngestError

_NORMALISED: dict[str, Any] = {
    "orders": {
        "from": "orders",
        "join": [
            {"source": "items", "on": {"order_id": "orders.order_id"}, "one_to_many": True},
            {"source": "customers", "on": {"customer_id": "orders.customer_id"}},
            {"source": "products", "on": {"product_id": "items.product_id"}},
        ],
        "columns": {
            "order_id": "orders.order_id",
            "customer_id": "orders.customer_id",
            "ordered_at": "orders.purchased_at",
            "status": "orders.status",
            "product_id": "items.product_id",
            "unit_price": "items.price",
            "product_name": "products.name",
            "category": "products.category",
            "country": "customers.country",
        },
        "rows_are_units": True,
        "statuses": {
            "delivered": "completed",
            "completed": "completed",
            "shipped": "in_progress",
            "processing": "in_progress",
            "invoiced": "in_progress",
            "created": "in_progress",
            "approved": "in_progress",
            "canceled": "cancelled",
            "cancelled": "cancelled",
            "unavailable": "cancelled",
            "returned": "returned",
        },
    },
    "reviews": {
        "from": "reviews",
        "columns": {
            "review_id": ["reviews.review_id", "reviews.order_id"],
            "order_id": "reviews.order_id",
            "rating": "reviews.score",
            "title": "reviews.title",
            "body": "reviews.comment",
            "created_at": "reviews.created_at",
        },
    },
}
# The optional category translation: joined when the mapping declares a `categories` source.
_NORMALISED_CATEGORIES = {"source": "categories", "on": {"category": "products.category"}}

_SHOPIFY: dict[str, Any] = {
    "orders": {
        "from": "orders",
        "columns": {
            "order_id": "orders.Name",
            "customer_id": "orders.Email",
            "ordered_at": "orders.Created at",
            "status": "orders.Financial Status",
            "product_id": "orders.Lineitem sku",
            "product_name": "orders.Lineitem name",
            "quantity": "orders.Lineitem quantity",
            "unit_price": "orders.Lineitem price",
            "country": "orders.Billing Country",
        },
        "pseudonymise_customer_id": True,
        # Shopify writes the order's fields on its first line item row only (or on every row: both work).
        "fill_down": ["customer_id", "ordered_at", "status", "country"],
        "statuses": {
            "paid": "completed",
            "partially_refunded": "completed",
            "pending": "in_progress",
            "authorized": "in_progress",
            "partially_paid": "in_progress",
            "refunded": "returned",
            "voided": "cancelled",
        },
    },
}

_WOO_STATUSES = {
    "completed": "completed",
    "processing": "in_progress",
    "on-hold": "in_progress",
    "pending": "in_progress",
    "cancelled": "cancelled",
    "failed": "cancelled",
    "refunded": "returned",
}  # exported as 'completed' or 'wc-completed', depending on the exporter
_WOOCOMMERCE: dict[str, Any] = {
    "orders": {
        "from": "orders",
        "columns": {
            "order_id": "orders.Order ID",
            "customer_id": "orders.Customer User ID",
            "ordered_at": "orders.Order Date",
            "status": "orders.Order Status",
            "product_id": "orders.SKU",
            "product_name": "orders.Item Name",
            "quantity": "orders.Quantity",
            "unit_price": "orders.Item Cost",
            "country": "orders.Billing Country",
        },
        "guest_customer_ids": ["0"],
        "statuses": {f"{prefix}{k}": v for prefix in ("", "wc-") for k, v in _WOO_STATUSES.items()},
    },
}

PRESETS: dict[str, dict[str, Any]] = {"normalised": _NORMALISED, "shopify": _SHOPIFY, "woocommerce": _WOOCOMMERCE}


def apply_preset(path: Path, data: Any) -> Any:
    """The mapping with its preset's tables filled in under the user's own keys."""
    if not isinstance(data, dict) or "preset" not in data:
        return data
    name = data["preset"]
    if name not in PRESETS:
        raise IngestError(path, f"field 'preset' is {name!r}; known presets: {', '.join(PRESETS)}")
    merged = copy.deepcopy(PRESETS[name])
    sources = data.get("sources") or {}
    if name == "normalised":
        if "categories" in sources:
            merged["orders"]["join"].append(copy.deepcopy(_NORMALISED_CATEGORIES))
            merged["orders"]["columns"]["category"] = "categories.category_english"
        if "reviews" not in sources:
            merged.pop("reviews")
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged

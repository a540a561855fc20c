"""The canonical warehouse schema (docs/architecture.md). Every adapter produces frames of exactly these columns."""

from __future__ import annotations

# Column name -> DuckDB type, in table order. Optional columns may be all NULL.
TABLES: dict[str, dict[str, str]] = {
    "customers": {
        "customer_id": "VARCHAR NOT NULL PRIMARY KEY",
        "country": "VARCHAR",
        "first_order_at": "TIMESTAMP",
        "age": "INTEGER",
        "gender": "VARCHAR",
    },
    "products": {
        "product_id": "VARCHAR NOT NULL PRIMARY KEY",
        "name": "VARCHAR NOT NULL",
        "category": "VARCHAR",
        "price": "DOUBLE",
        "description": "VARCHAR",
        "source": "VARCHAR NOT NULL",
    },
    "orders": {
        "order_id": "VARCHAR NOT NULL PRIMARY KEY",
        # NULL customer_id = a guest order: counted in sales, kept out of customer analytics.
        "customer_id": "VARCHAR",
        "ordered_at": "TIMESTAMP NOT NULL",
        # completed = revenue; in_progress (paid, not yet delivered) and returned are neither revenue nor
        # cancellations; cancelled = cancelled before delivery (README: one definition of each).
        "status": "VARCHAR NOT NULL CHECK (status IN ('completed', 'in_progress', 'cancelled', 'returned'))",
        "country": "VARCHAR",
    },
    "order_lines": {
        "order_id": "VARCHAR NOT NULL",
        "product_id": "VARCHAR NOT NULL",
        # Always positive; for a cancelled order it is the quantity cancelled.
        "quantity": "INTEGER NOT NULL CHECK (quantity > 0)",
        "unit_price": "DOUBLE NOT NULL CHECK (unit_price > 0)",
    },
    "reviews": {
        "review_id": "VARCHAR NOT NULL PRIMARY KEY",
        "product_id": "VARCHAR NOT NULL",
        "rating": "INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5)",
        "title": "VARCHAR",
        "body": "VARCHAR",
        "created_at": "TIMESTAMP",
        "recommended": "BOOLEAN",
        "reviewer_age": "INTEGER",
        "helpful_votes": "INTEGER",
    },
    # One row per contact of a customer in a campaign; empty unless the mapping declares the shop's own table.
    "campaign_contacts": {
        "contact_id": "VARCHAR NOT NULL PRIMARY KEY",
        "customer_id": "VARCHAR",  # joins the customer's order history (RFM) into the response model
        "campaign": "VARCHAR NOT NULL",
        "contacted_at": "TIMESTAMP",
        "channel": "VARCHAR",
        "responded": "BOOLEAN NOT NULL",
        # The shop's other columns (age, job, previous contacts...), kept as model features: a JSON object.
        "features": "JSON",
    },
}

ORDER_STATUSES = ("completed", "in_progress", "cancelled", "returned")


def create_statements() -> list[str]:
    """DDL for an empty warehouse with the canonical schema."""
    statements = []
    for table, columns in TABLES.items():
        cols = ",\n  ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
        statements.append(f"CREATE TABLE {table} (\n  {cols}\n)")
    return statements


def column_names(table: str) -> list[str]:
    return list(TABLES[table])

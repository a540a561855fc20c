"""A small shop written straight into a warehouse, with a planted surge, for the digest and watcher tests.

Ten weeks from Monday 2024-01-01: every day but Sunday, `BASE_ORDERS + weekday` completed orders of 10.00 each
(one line, 2 x 5.00) and one cancelled order; in the last week (from SURGE_START) twice as many completed orders.
Customers cycle through 120 ids; a third of the orders are guests. Reviews, when asked for, are dated and scored.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from assistant.core.workspace import Workspace
from assistant.ingest.schema import create_statements

FIRST_DAY = date(2024, 1, 1)
LAST_DAY = FIRST_DAY + timedelta(days=68)  # Saturday 2024-03-09
SURGE_START = LAST_DAY - timedelta(days=6)
BASE_ORDERS = 20
CUSTOMERS = [f"cust-{n:04d}" for n in range(120)]


def planted_frames(surge: bool = True) -> dict[str, pd.DataFrame]:
    orders: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    n = 0
    day = FIRST_DAY
    while day <= LAST_DAY:
        if day.weekday() != 6:  # closed on Sundays
            count = BASE_ORDERS + day.weekday()
            if surge and day >= SURGE_START:
                count *= 2
            for i in range(count + 1):
                n += 1
                order_id = f"o{n}"
                status = "cancelled" if i == count else "completed"
                customer = None if n % 3 == 0 else CUSTOMERS[n % len(CUSTOMERS)]
                at = datetime(day.year, day.month, day.day, 9) + timedelta(minutes=i)
                orders.append({"order_id": order_id, "customer_id": customer, "ordered_at": at, "status": status,
                               "country": "United Kingdom"})  # fmt: skip
                lines.append({"order_id": order_id, "product_id": "P1", "quantity": 2, "unit_price": 5.0})
        day += timedelta(days=1)
    customers = pd.DataFrame({"customer_id": CUSTOMERS, "country": "United Kingdom"})
    products = pd.DataFrame([{"product_id": "P1", "name": "Enamel Mug", "category": "Kitchen", "price": 5.0,
                              "description": "", "source": "test"}])  # fmt: skip
    return {"orders": pd.DataFrame(orders), "order_lines": pd.DataFrame(lines), "customers": customers,
            "products": products}  # fmt: skip


def planted_workspace(home: Path, surge: bool = True, reviews: pd.DataFrame | None = None) -> Workspace:
    """A workspace whose current build holds the planted shop (and `reviews` with a review_sentiment label)."""
    workspace = Workspace(home)
    frames = planted_frames(surge)
    with workspace.build() as build:
        con = duckdb.connect(str(build.warehouse_path))
        for statement in create_statements():
            con.execute(statement)
        for table, frame in frames.items():
            con.register("incoming", frame)
            columns = ", ".join(frame.columns)
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming")
            con.unregister("incoming")
        if reviews is not None:
            con.register("incoming", reviews)
            con.execute("INSERT INTO reviews (review_id, product_id, rating, body, created_at) "
                        "SELECT review_id, 'P1', rating, body, created_at FROM incoming")  # fmt: skip
            con.execute("CREATE TABLE review_sentiment AS SELECT review_id, label, 0.0 AS score FROM incoming")
            con.execute("CREATE TABLE review_aspects AS SELECT review_id, aspect, body AS sentence, 0 AS start_at, "
                        "label, 0.0 AS score FROM incoming WHERE aspect IS NOT NULL")  # fmt: skip
            con.unregister("incoming")
        con.close()
        build.write_manifest({"synthetic": True, "sources": ["tests/helpers/proactive.py"]})
    return workspace


def planted_reviews(hostile_theme: str = "<script>alert(1)</script>") -> pd.DataFrame:
    """30 dated reviews a week over the ten weeks: 3 negative (theme "fit"); in the last week 15 negative, 5 of
    them about `hostile_theme` (a theme name that is markup, to prove every output escapes it)."""
    rows: list[dict[str, object]] = []
    n = 0
    for week in range(10):
        for i in range(30):
            n += 1
            day = FIRST_DAY + timedelta(days=7 * week + i % 6)
            negative = i < (15 if week == 9 else 3)
            aspect = (hostile_theme if i < 5 else "fit") if week == 9 and negative else ("fit" if negative else None)
            rows.append({"review_id": f"r{n}", "rating": 1 if negative else 5, "body": "text",
                         "created_at": datetime(day.year, day.month, day.day, 12),
                         "label": "negative" if negative else "positive", "aspect": aspect})  # fmt: skip
    return pd.DataFrame(rows)


def pandas_kpis(frames: dict[str, pd.DataFrame], start: date, end: date) -> dict[str, float]:
    """The README's definitions written plainly: completed orders and their lines, cancelled orders, customers."""
    orders = frames["orders"].assign(day=lambda f: pd.to_datetime(f["ordered_at"]).dt.date)
    lines = frames["order_lines"].assign(amount=lambda f: f["quantity"] * f["unit_price"])
    inside = orders[(orders["day"] >= start) & (orders["day"] <= end)]
    done = inside[inside["status"] == "completed"]
    known = orders[(orders["status"] == "completed") & orders["customer_id"].notna()]
    firsts = known.groupby("customer_id")["day"].min()
    revenue = round(float(lines[lines["order_id"].isin(done["order_id"])]["amount"].sum()), 2)
    return {
        "revenue": revenue,
        "orders": len(done),
        "cancellations": int((inside["status"] == "cancelled").sum()),
        "customers": done["customer_id"].dropna().nunique(),
        "new_customers": int(((firsts >= start) & (firsts <= end)).sum()),
        "aov": round(revenue / len(done), 2) if len(done) else 0.0,
    }

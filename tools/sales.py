"""One definition of orders, revenue and cancellations: the SQL every tool reads `status` and amounts through.

README ("One definition of orders, revenue and cancellations"):
- an order is sold (an order, revenue, a customer's purchase) when its status is `completed`;
- revenue = quantity x unit price summed over the lines of completed orders. Cancelled, returned and
  in-progress orders add nothing and subtract nothing (a cancellation is its own order in the warehouse,
  so subtracting it would count the loss twice, or count a loss that was never revenue);
- a cancellation = an order with status `cancelled`, whoever placed it (a guest, or a customer with or
  without completed orders) and whether it has lines or not;
- a period "as of" a day holds the orders placed on or before that day.
Fragments use the aliases `o` (orders) and `l` (order_lines).
"""

from __future__ import annotations

from datetime import date

import duckdb
from pydantic import BaseModel

COMPLETED = "o.status = 'completed'"
CANCELLED = "o.status = 'cancelled'"
LINE_AMOUNT = "l.quantity * l.unit_price"
UP_TO_AS_OF = "o.ordered_at < CAST($as_of AS DATE) + INTERVAL 1 DAY"

# One row per order that has lines: its amount and distinct products (orders without lines have no row).
ORDER_AMOUNTS = """(
    SELECT order_id, sum(quantity * unit_price) AS amount, count(DISTINCT product_id) AS products
    FROM order_lines GROUP BY order_id
)"""


def shop_totals_sql(with_countries: bool = False) -> str:
    """Orders, revenue and cancellations of the whole shop (guests included) up to $as_of.

    With `with_countries`, only orders of customers in $countries (a guest order: its own country).
    """
    country = ""
    join = ""
    if with_countries:
        join = "\nLEFT JOIN customers c ON c.customer_id = o.customer_id"
        country = "\n  AND list_contains($countries, coalesce(c.country, o.country))"
    return f"""SELECT count(*) AS placed_orders,
       count(*) FILTER (WHERE {COMPLETED}) AS orders,
       coalesce(round(sum(t.amount) FILTER (WHERE {COMPLETED}), 2), 0) AS revenue,
       count(*) FILTER (WHERE {CANCELLED}) AS cancelled_orders,
       count(*) FILTER (WHERE {COMPLETED} AND o.customer_id IS NULL) AS guest_orders
FROM orders o LEFT JOIN {ORDER_AMOUNTS} t ON t.order_id = o.order_id{join}
WHERE {UP_TO_AS_OF}{country}"""


# Repeat buying: churn and recommender models learn from customers' second and later orders. Below either
# figure the shop has too little repeat buying to learn from, and the tools say so.
MIN_REPEAT_SHARE = 0.15  # share of buying customers with 2+ completed orders
MIN_REPEAT_CUSTOMERS = 30

REPEAT_BUYING_SQL = f"""SELECT count(*) AS customers, count(*) FILTER (WHERE n >= 2) AS repeat_customers
FROM (
    SELECT o.customer_id, count(*) AS n FROM orders o
    WHERE {COMPLETED} AND o.customer_id IS NOT NULL AND {UP_TO_AS_OF}
    GROUP BY o.customer_id
)"""


class RepeatBuying(BaseModel):
    """How many buying customers came back for a second completed order (up to a day)."""

    customers: int
    repeat_customers: int

    @property
    def share(self) -> float:
        return self.repeat_customers / self.customers if self.customers else 0.0

    def warning(self, what: str) -> str | None:
        """A sentence for `what` (e.g. "churn predictions") when there is too little repeat buying, else None."""
        if self.share >= MIN_REPEAT_SHARE and self.repeat_customers >= MIN_REPEAT_CUSTOMERS:
            return None
        return (
            f"Too little repeat buying to learn from: {self.repeat_customers:,} of {self.customers:,} customers "
            f"({self.share:.1%}) have 2 or more completed orders (needs {MIN_REPEAT_SHARE:.0%} and at least "
            f"{MIN_REPEAT_CUSTOMERS}); treat the {what} as rough."
        )


def repeat_buying(con: duckdb.DuckDBPyConnection, as_of: date) -> RepeatBuying:
    row = con.execute(REPEAT_BUYING_SQL, {"as_of": as_of}).fetchone()
    customers, repeat = (int(row[0]), int(row[1])) if row else (0, 0)
    return RepeatBuying(customers=customers, repeat_customers=repeat)

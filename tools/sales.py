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

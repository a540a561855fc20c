"""RFM: recency, frequency and monetary value per customer, quintile scores, and the named-segment map.

Definitions (the tests recompute them independently from the raw files):
- Only completed orders of known customers placed on or before the `as_of` date count (guest orders and
  cancellations are kept out of customer analytics).
- recency_days = calendar days from the date of the customer's last order to `as_of`.
- frequency = number of orders; monetary = sum of quantity x unit price, rounded to 0.001 (prices have at
  most 3 decimals, so this is the exact amount and equal spends tie exactly whatever the summation order).
- Each score is 1..5: 1 + floor(5 x (rank - 1) / n), where rank is the 1-based "min" rank among the n
  customers (ties share the lowest rank) ordered from worst to best: longest recency first, fewest orders,
  smallest spend. Ties therefore always share a score (with many one-order customers, F=1 is large).
- fm_score = round-half-up of the mean of F and M: (F + M + 1) // 2.
- The segment is looked up in SEGMENT_GRID by (R, FM), so every customer gets exactly one segment.
"""

from __future__ import annotations

from tools.sales import COMPLETED, ORDER_AMOUNTS, UP_TO_AS_OF
from tools.segments.spec import SegmentName

S = SegmentName
# Rows: R score 5 (most recent) .. 1; columns: FM score 1..5 (least to most orders and spend).
SEGMENT_GRID: dict[int, tuple[SegmentName, SegmentName, SegmentName, SegmentName, SegmentName]] = {
    5: (S.new, S.potential_loyalists, S.potential_loyalists, S.champions, S.champions),
    4: (S.promising, S.potential_loyalists, S.loyal, S.loyal, S.champions),
    3: (S.about_to_sleep, S.about_to_sleep, S.need_attention, S.loyal, S.loyal),
    2: (S.hibernating, S.hibernating, S.at_risk, S.at_risk, S.cant_lose),
    1: (S.lost, S.lost, S.at_risk, S.cant_lose, S.cant_lose),
}

SEGMENT_DESCRIPTIONS: dict[SegmentName, str] = {
    S.champions: "bought recently, buy often and spend the most",
    S.loyal: "buy regularly and spend well; not all of them very recently",
    S.potential_loyalists: "recent customers with a few orders or mid spend",
    S.new: "bought very recently, first order or small spend so far",
    S.promising: "fairly recent, but few orders and low spend",
    S.need_attention: "average recency, orders and spend",
    S.about_to_sleep: "average recency, below-average orders and spend",
    S.at_risk: "used to buy and spend well, but not for a while",
    S.cant_lose: "were among the best customers, and have not come back for a long time",
    S.hibernating: "long since last order, few orders and low spend",
    S.lost: "the longest since last order, lowest orders and spend",
}


def segment_of(r_score: int, fm_score: int) -> SegmentName:
    return SEGMENT_GRID[r_score][fm_score - 1]


def _segment_case() -> str:
    """CASE expression from the grid; the codes are constants from this module, not caller input."""
    cells: dict[SegmentName, list[int]] = {}
    for r, row in SEGMENT_GRID.items():
        for fm, name in enumerate(row, start=1):
            cells.setdefault(name, []).append(r * 10 + fm)
    whens = "\n".join(
        f"            WHEN r_score * 10 + fm_score IN ({', '.join(map(str, sorted(codes)))}) THEN '{name.value}'"
        for name, codes in cells.items()
    )
    return f"CASE\n{whens}\n        END"


# Completed orders of known customers up to the end of the as_of day, one row per order. Lines are summed per
# order before the join: one key, and the join then touches orders only (measurably faster than joining lines).
ORDER_TOTALS_CTE = f"""order_totals AS (
    SELECT o.order_id, o.customer_id, o.ordered_at, t.amount
    FROM orders o JOIN {ORDER_AMOUNTS.replace(chr(10), chr(10) + "    ")} t ON t.order_id = o.order_id
    WHERE {COMPLETED} AND o.customer_id IS NOT NULL
      AND {UP_TO_AS_OF}
)"""


def _score(order: str) -> str:
    return f"1 + (5 * (rank() OVER (ORDER BY {order}) - 1)) // count(*) OVER ()"


RFM_CTES = f"""{ORDER_TOTALS_CTE},
customer_totals AS (
    SELECT customer_id, count(*) AS frequency, round(sum(amount), 3) AS monetary,
           min(ordered_at) AS first_order_at, max(ordered_at) AS last_order_at,
           date_diff('day', CAST(max(ordered_at) AS DATE), CAST($as_of AS DATE)) AS recency_days
    FROM order_totals GROUP BY customer_id
),
rfm_scores AS (
    SELECT *,
        {_score("recency_days DESC")} AS r_score,
        {_score("frequency")} AS f_score,
        {_score("monetary")} AS m_score
    FROM customer_totals
),
rfm AS (
    SELECT customer_id, recency_days, frequency, monetary,
           first_order_at, last_order_at, r_score, f_score, m_score, fm_score,
           {_segment_case().replace(chr(10), chr(10) + "    ")} AS segment
    FROM (SELECT *, (f_score + m_score + 1) // 2 AS fm_score FROM rfm_scores)
)"""

# The RFM table of every customer as of $as_of (also what the build step stores as customer_rfm).
RFM_SELECT = f"WITH {RFM_CTES}\nSELECT * FROM rfm ORDER BY customer_id"

# When as_of is the data's own last day, queries read the stored table instead of recomputing it.
STORED_RFM_CTE = "rfm AS (SELECT * FROM customer_rfm)"

"""The shop's own campaign contacts (warehouse table `campaign_contacts`) as a frame the response model learns from.

Features: the shop's own columns (numbers where every given value is one, else categories), the campaign and
channel, and — for contacts with a customer_id — the customer's recency/frequency/monetary from completed orders
placed BEFORE the contact (orders after it may be the response itself, which would leak the outcome).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from tools.predict.common import PredictionError, table_exists
from tools.predict.response_model import AGE_BANDS, AGE_LABELS, ResponseScores, score_contacts
from tools.sales import COMPLETED, ORDER_AMOUNTS

TABLE = "campaign_contacts"
MIN_CONTACTS = 200
MIN_EACH_OUTCOME = 10  # each of the 3 stratified folds needs responders and non-responders
RFM = ["rfm_recency_days", "rfm_frequency", "rfm_monetary"]
SOURCE_LABEL = "the shop's campaign_contacts table"

# Per contact: completed orders of its customer placed before the contact (all orders when it has no date).
_RFM_SQL = f"""
WITH as_of AS (SELECT max(ordered_at) AS last FROM orders)
SELECT c.contact_id,
       date_diff('day', max(o.ordered_at), coalesce(c.contacted_at, (SELECT last FROM as_of))) AS rfm_recency_days,
       count(o.order_id) AS rfm_frequency,
       coalesce(sum(a.amount), 0) AS rfm_monetary
FROM {TABLE} c
LEFT JOIN orders o ON o.customer_id = c.customer_id AND {COMPLETED}
    AND (c.contacted_at IS NULL OR o.ordered_at < c.contacted_at)
LEFT JOIN {ORDER_AMOUNTS} a ON a.order_id = o.order_id
GROUP BY c.contact_id, c.contacted_at
"""


def contact_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(contacts, responders) in the shop's table; (0, 0) when the workspace has none."""
    if not table_exists(con, TABLE):
        return 0, 0
    row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE responded) FROM {TABLE}").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def check_enough(contacts: int, responders: int) -> None:
    others = contacts - responders
    if contacts < MIN_CONTACTS or min(responders, others) < MIN_EACH_OUTCOME:
        raise PredictionError(
            "data",
            f"too little campaign data to learn who responds: {contacts} contacts ({responders} responded, "
            f"{others} did not); a response model needs at least {MIN_CONTACTS} contacts with at least "
            f"{MIN_EACH_OUTCOME} of each outcome",
        )


@dataclass(frozen=True)
class ShopContacts:
    frame: pd.DataFrame
    categorical: list[str]
    numeric: list[str]


def load_shop_contacts(con: duckdb.DuckDBPyConnection) -> ShopContacts:
    base = con.execute(
        f"SELECT contact_id, customer_id, campaign, channel, responded, features FROM {TABLE} ORDER BY contact_id"
    ).df()
    features = pd.DataFrame([json.loads(f) if f else {} for f in base.pop("features")], index=base.index)
    categorical = ["campaign", "channel"]
    numeric: list[str] = []
    for column in features.columns:
        if column in base.columns:
            continue  # a feature may not shadow a canonical field
        as_number = pd.to_numeric(features[column], errors="coerce")
        if as_number.notna().sum() == features[column].notna().sum():
            base[column] = as_number
            numeric.append(column)
        else:
            base[column] = features[column].fillna("").astype(str)
            categorical.append(column)
    base["channel"] = base["channel"].fillna("").astype(str)
    if base["customer_id"].notna().any():
        base = base.merge(con.execute(_RFM_SQL).df(), on="contact_id", how="left")
        numeric += RFM
    base[numeric] = base[numeric].astype("float64")  # NaN, not pandas.NA: the models take plain floats
    if "age" in numeric:
        base["age_band"] = pd.cut(base["age"], AGE_BANDS, labels=AGE_LABELS).astype(str)
    base["responded"] = base["responded"].astype("int64")
    if not numeric and base[categorical].nunique().max() <= 1:
        raise PredictionError("data", "the shop's campaign contacts carry no features to learn from")
    return ShopContacts(frame=base, categorical=categorical, numeric=numeric)


def score_shop_contacts(con: duckdb.DuckDBPyConnection) -> ResponseScores:
    """Out-of-fold scores of the shop's own contacts; PredictionError when there are too few to learn from."""
    check_enough(*contact_counts(con))
    shop = load_shop_contacts(con)
    scored = score_contacts(shop.frame, categorical=shop.categorical, numeric=shop.numeric, left_out=[])
    scored.metrics["source"] = SOURCE_LABEL
    scored.metrics["features"] = shop.categorical + shop.numeric
    return scored

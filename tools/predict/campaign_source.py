"""Which campaign data a workspace may answer `campaign_response` from.

A shop whose mapping declares its own `campaign_contacts` table answers from that table, always. The UCI Bank
Marketing file is a documented demo that ships beside the UCI Online Retail data: it answers only in a workspace
built from that data (the shared data directory), or when the marketer sets MKA_CAMPAIGN_DEMO=bank. Any other
shop has no campaign contacts in its workspace, so the tool says so instead of showing a bank's phone campaign as
if it were the shop's. The two are never mixed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import duckdb
from pydantic import BaseModel

from tools.predict.common import PredictionError, table_exists
from tools.predict.response_model import BANK_FILE
from tools.predict.shop_campaigns import contact_counts

# Product sources (ingest adapter names) of a workspace built from the shared data directory's datasets.
UCI_ORDERS_SOURCE = "uci-online-retail"
SHARED_DATA_SOURCES = frozenset({UCI_ORDERS_SOURCE, "clothing-reviews"})
DEMO_SETTING = "MKA_CAMPAIGN_DEMO"  # read when asked, like every MKA_ setting; "bank" = use the demo anyway

NO_CAMPAIGN_DATA = (
    "this shop has no campaign data: the workspace holds no campaign contacts, so there is no response to "
    "learn from. (The UCI Bank Marketing demo answers only in the workspace built from the shared data "
    f"directory, or with {DEMO_SETTING}=bank.)"
)


class CampaignSource(BaseModel):
    """Where campaign contacts come from for this workspace; `reason` says why when there are none."""

    kind: Literal["shop", "bank_demo", "none"]
    path: Path | None = None
    reason: str = ""


def built_from_shared_data(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the warehouse's orders are the UCI Online Retail data (nothing from another shop's export)."""
    if not table_exists(con, "products"):
        return False
    sources = {str(r[0]) for r in con.execute("SELECT DISTINCT source FROM products").fetchall()}
    return UCI_ORDERS_SOURCE in sources and sources <= SHARED_DATA_SOURCES


def demo_requested() -> bool:
    return os.environ.get(DEMO_SETTING, "").strip().lower() == "bank"


def campaign_source(con: duckdb.DuckDBPyConnection, data_dir: Path | None) -> CampaignSource:
    if contact_counts(con)[0] > 0:
        return CampaignSource(kind="shop")
    if not (built_from_shared_data(con) or demo_requested()):
        return CampaignSource(kind="none", reason=NO_CAMPAIGN_DATA)
    if data_dir is None:
        return CampaignSource(
            kind="none", reason="no data directory set (MKA_DATA_DIR): the bank marketing demo file is needed"
        )
    path = data_dir / BANK_FILE
    if not path.is_file():
        return CampaignSource(kind="none", reason=f"{path} not found: the bank marketing demo needs this file")
    return CampaignSource(kind="bank_demo", path=path)


def require_campaign_data(con: duckdb.DuckDBPyConnection, data_dir: Path | None) -> CampaignSource:
    """The shop's own table, or the bank demo file where it may answer; else a PredictionError saying the shop
    has no campaign data."""
    source = campaign_source(con, data_dir)
    if source.kind == "none":
        raise PredictionError("data", source.reason)
    return source

"""Adapter for UCI Online Retail invoice lines (InvoiceNo, StockCode, Description, Quantity, ...).

- Invoices whose number starts with "C" are cancellations -> cancelled orders.
- Lines without CustomerID are guest orders: kept for sales, left out of customer analytics.
- StockCodes are upper-cased ('85123a' and '85123A' are one product); non-product codes are dropped.
- CustomerID "17850.0" -> "17850".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.progress import Progress

from assistant.ingest.categories import categorise
from assistant.ingest.orders import OrderTables, RawOrderLines, build_order_tables
from assistant.ingest.readers import read_delimited
from assistant.ingest.report import AdapterReport

NAME = "uci-online-retail"
COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]

# Codes that are not merchandise: postage, carriage, discounts, manual adjustments, samples, bank and
# marketplace fees, charity, padding, bad-debt adjustments. Gift vouchers ('gift_0001_*') are matched below.
NON_PRODUCT_CODES = frozenset(
    {"POST", "DOT", "C2", "D", "M", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "CARRIAGE"}
)


def looks_like(header_fields: list[str]) -> bool:
    """Most of the known columns: a file that lacks one is still this format, and reported as such."""
    return sum(c in header_fields for c in COLUMNS) >= 6


def is_non_product(codes: pd.Series) -> pd.Series:
    upper = codes.str.strip().str.upper()
    return upper.isin(NON_PRODUCT_CODES) | upper.str.startswith("GIFT_")


def load(path: Path, progress: Progress | None = None) -> tuple[OrderTables, AdapterReport]:
    raw = read_delimited(path, COLUMNS, progress=progress, label="Reading online retail lines")
    report = AdapterReport(adapter=NAME, source=str(path))
    frame = pd.DataFrame(
        {
            "order_id": raw["InvoiceNo"].str.strip().str.upper(),
            "product_id": raw["StockCode"].str.strip().str.upper(),
            "ordered_at": raw["InvoiceDate"],
            "quantity": raw["Quantity"],
            "unit_price": raw["UnitPrice"],
            "customer_id": raw["CustomerID"],
            "product_name": raw["Description"],
            "country": raw["Country"],
            "category": "",
        }
    )
    lines = RawOrderLines(
        frame=frame,
        cancelled=frame["order_id"].str.startswith("C"),
        source_columns={
            "order_id": "InvoiceNo",
            "product_id": "StockCode",
            "ordered_at": "InvoiceDate",
            "quantity": "Quantity",
            "unit_price": "UnitPrice",
            "customer_id": "CustomerID",
            "status": "InvoiceNo",
        },
        duplicates=raw.duplicated(keep="first"),
    )
    tables = build_order_tables(lines, path, report, is_non_product=is_non_product, categorise=categorise, source=NAME)
    report.notes.append(
        f"{int(tables.orders['customer_id'].isna().sum())} guest orders (no CustomerID) kept for sales, "
        "left out of customer analytics"
    )
    return tables, report

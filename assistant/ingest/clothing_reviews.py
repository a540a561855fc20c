"""Adapter for Women's E-Commerce Clothing Reviews (Clothing ID -> product, row index -> review id).

The source has no product names: a product is named by its class and id ("Dresses #1080"), its category
is the department, and its description the division/department/class path.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.progress import Progress

from assistant.ingest.readers import read_delimited
from assistant.ingest.report import AdapterReport
from assistant.ingest.reviews import ReviewTables, build_review_tables

NAME = "clothing-reviews"
COLUMNS = [
    "Clothing ID", "Age", "Title", "Review Text", "Rating", "Recommended IND",
    "Positive Feedback Count", "Division Name", "Department Name", "Class Name",
]  # fmt: skip


def looks_like(header_fields: list[str]) -> bool:
    """Most of the known columns: a file that lacks one is still this format, and reported as such."""
    return sum(c in header_fields for c in COLUMNS) >= 7


def load(path: Path, progress: Progress | None = None) -> tuple[ReviewTables, AdapterReport]:
    raw = read_delimited(path, COLUMNS, progress=progress, label="Reading clothing reviews")
    report = AdapterReport(adapter=NAME, source=str(path))
    index_col = raw.columns[0]  # the unnamed row index is the stable review id
    product_id = raw["Clothing ID"].str.strip()
    klass = raw["Class Name"].str.strip()
    frame = pd.DataFrame(
        {
            "review_id": raw[index_col],
            "product_id": product_id,
            "rating": raw["Rating"],
            "title": raw["Title"],
            "body": raw["Review Text"],
            "created_at": "",
            "recommended": raw["Recommended IND"],
            "reviewer_age": raw["Age"],
            "helpful_votes": raw["Positive Feedback Count"],
            "product_name": (klass.where(klass != "", "Item") + " #" + product_id).where(product_id != "", ""),
            "category": raw["Department Name"],
            "description": (
                raw["Division Name"].str.strip() + " / " + raw["Department Name"].str.strip() + " / " + klass
            ).where(klass != "", ""),
        }
    )
    tables = build_review_tables(
        frame,
        path,
        report,
        source_columns={
            "review_id": index_col or "(row index)",
            "rating": "Rating",
            "reviewer_age": "Age",
            "helpful_votes": "Positive Feedback Count",
        },
        source=NAME,
    )
    return tables, report

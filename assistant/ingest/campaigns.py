"""The shop's own campaign contacts -> the canonical `campaign_contacts` table.

Columns beyond the canonical fields are the shop's features (age, job, previous contacts...): kept per row as a
JSON object, so each shop brings its own without a schema change. A `responded` cell that is not a clear yes/no
stops the ingest: a guessed outcome would train the response model on made-up answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from assistant.ingest.errors import IngestError, line_of
from assistant.ingest.readers import parse_datetimes

CAMPAIGN_FIELDS = ["contact_id", "customer_id", "campaign", "contacted_at", "channel", "responded"]
CAMPAIGN_REQUIRED = ["contact_id", "campaign", "responded"]
YES = frozenset({"yes", "y", "1", "true", "t"})
NO = frozenset({"no", "n", "0", "false", "f"})


def parse_responded(values: pd.Series, path: Path, label: str) -> pd.Series:
    text = values.fillna("").astype(str).str.strip().str.lower()
    bad = ~text.isin(YES | NO)
    if bad.any():
        at = bad.idxmax()
        raise IngestError(path, f"{values[at]!r} is not a response (use yes/no, 1/0 or true/false)", label, line_of(at))
    return text.isin(YES)


def build_campaign_contacts(
    frame: pd.DataFrame,
    features: list[str],
    path: Path,
    labels: dict[str, str],
    *,
    date_format: str | None = None,
    day_first: bool | None = None,
) -> pd.DataFrame:
    """Canonical rows from the joined frame (strings, '' = missing; a RangeIndex so errors can name the line)."""
    for field in ("contact_id", "campaign"):
        empty = frame[field].str.strip() == ""
        if empty.any():
            raise IngestError(path, f"empty {field}", labels.get(field, field), line_of(empty.idxmax()))
    repeated = frame["contact_id"].duplicated()
    if repeated.any():
        at = repeated.idxmax()
        raise IngestError(
            path, f"contact {frame.at[at, 'contact_id']!r} appears twice", labels.get("contact_id"), line_of(at)
        )
    responded = parse_responded(frame["responded"], path, labels.get("responded", "responded"))
    contacted = parse_datetimes(
        frame, "contacted_at", path, fmt=date_format, tolerance=0.0, label=labels.get("contacted_at"),
        day_first=day_first,
    )  # fmt: skip
    unread = contacted.isna() & (frame["contacted_at"].str.strip() != "")
    if unread.any():  # parse_datetimes lets a few bad cells through (orders drop such rows); a contact is kept
        at = unread.idxmax()
        raise IngestError(
            path, f"{frame.at[at, 'contacted_at']!r} is not a date/time", labels.get("contacted_at"), line_of(at)
        )
    blank = {"customer_id": frame["customer_id"].str.strip(), "channel": frame["channel"].str.strip()}
    rows = frame[features].to_dict(orient="records") if features else [{} for _ in range(len(frame))]
    return pd.DataFrame(
        {
            "contact_id": frame["contact_id"].str.strip(),
            "customer_id": blank["customer_id"].where(blank["customer_id"] != ""),
            "campaign": frame["campaign"].str.strip(),
            "contacted_at": contacted,
            "channel": blank["channel"].where(blank["channel"] != ""),
            "responded": responded,
            "features": [json.dumps({k: v for k, v in r.items() if str(v).strip() != ""}) for r in rows],
        }
    )

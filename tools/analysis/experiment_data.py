"""Reading an experiment's results: a CSV the marketer gives, or a table in the warehouse.

Two shapes are accepted, recognised by their columns (names are matched case-insensitively, with a few common
aliases):
- one row per variant: `variant`, `recipients`, and counts `opens` / `clicks` / `conversions`, optional `revenue`;
- one row per recipient: `variant`, 0/1 outcome columns (`opened` / `clicked` / `converted` or the count names),
  optional `revenue` (that recipient's revenue). Only this shape can test revenue per recipient.
Every problem is an AnalysisError naming the file (or table), the column and the row (the CSV line number).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from tools.analysis.common import AnalysisError

METRICS = ("opens", "clicks", "conversions")
ALIASES = {
    "variant": ("variant", "group", "arm", "version", "cell"),
    "recipients": ("recipients", "sent", "delivered", "users", "visitors", "sample_size"),
    "opens": ("opens", "opened", "open"),
    "clicks": ("clicks", "clicked", "click"),
    "conversions": ("conversions", "converted", "conversion", "orders", "purchases"),
    "revenue": ("revenue", "sales", "amount", "value"),
}
MAX_BYTES = 200 * 2**20  # a CSV bigger than this is not a campaign result


@dataclass(frozen=True)
class ExperimentData:
    """Per-variant totals in the order the variants first appear, and per-recipient revenue when given."""

    source: str  # "results.csv" or "warehouse table ab_test"
    per_recipient: bool
    totals: pd.DataFrame  # index variant; recipients + whichever of METRICS and revenue were given
    revenue_rows: dict[str, np.ndarray] | None  # variant -> revenue of each recipient


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _columns(frame: pd.DataFrame, source: str) -> dict[str, str]:
    """Canonical name -> the frame's column; an error names a canonical column found twice."""
    found: dict[str, str] = {}
    for column in frame.columns:
        key = _norm(column)
        for canonical, names in ALIASES.items():
            if key in names:
                if canonical in found:
                    raise AnalysisError(
                        "columns", f"{source}: columns {found[canonical]!r} and {column!r} both read as {canonical}"
                    )
                found[canonical] = str(column)
    if "variant" not in found:
        raise AnalysisError(
            "columns",
            f"{source}: no variant column (expected one of {', '.join(ALIASES['variant'])}); "
            f"found {', '.join(map(str, frame.columns))}",
        )
    if not any(m in found for m in METRICS):
        raise AnalysisError(
            "columns",
            f"{source}: no outcome column (expected {', '.join(METRICS)} or 0/1 columns "
            f"opened/clicked/converted); found {', '.join(map(str, frame.columns))}",
        )
    return found


def _cell(value: object) -> str:
    """A bad cell as quoted in an error: short, so an error never echoes a long line of someone's file."""
    text = str(value)
    return repr(text if len(text) <= 30 else text[:29] + "…")


def _numbers(frame: pd.DataFrame, column: str, source: str, line_offset: int, whole: bool) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values < 0) | (values.map(lambda v: not float(v).is_integer()) if whole else False)
    if bool(bad.any()):
        i = int(np.flatnonzero(bad.to_numpy())[0])
        kind = "a whole number >= 0" if whole else "a number >= 0"
        raise AnalysisError(
            column, f"{source}, column {column!r}, row {i + line_offset}: {_cell(frame[column].iloc[i])} is not {kind}"
        )
    return values.astype("int64") if whole else values.astype("float64")


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise AnalysisError("path", f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise AnalysisError("path", f"{path}: larger than {MAX_BYTES // 2**20} MB")
    try:
        frame = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as exc:
        raise AnalysisError("path", f"{path}: not a readable CSV ({exc})") from exc
    if frame.empty:
        raise AnalysisError("path", f"{path}: no rows")
    return frame


def _read_table(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    tables = {str(r[0]) for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if table not in tables:
        raise AnalysisError("table", f"no table {table!r} in the warehouse (tables: {', '.join(sorted(tables))})")
    frame = con.execute(f'SELECT * FROM "{table}"').df()  # the name is one of the warehouse's own tables
    if frame.empty:
        raise AnalysisError("table", f"warehouse table {table!r} has no rows")
    return frame.astype(str).replace({"None": "", "nan": "", "<NA>": ""})


def load_experiment(
    path: Path | None = None, table: str | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> ExperimentData:
    """Read and validate one experiment from a CSV file or a warehouse table."""
    if path is not None:
        frame, source, offset = _read_csv(path), path.name, 2  # CSV line numbers: the header is line 1
    elif table is not None and con is not None:
        frame, source, offset = _read_table(con, table), f"warehouse table {table}", 1
    else:
        raise AnalysisError("path", "give a CSV file (path) or a warehouse table (table) with the results")
    cols = _columns(frame, source)
    variants = frame[cols["variant"]].astype(str).str.strip()
    if bool((variants == "").any()):
        i = int(np.flatnonzero((variants == "").to_numpy())[0])
        raise AnalysisError(cols["variant"], f"{source}, column {cols['variant']!r}, row {i + offset}: empty variant")
    metrics = [m for m in METRICS if m in cols]
    per_recipient = "recipients" not in cols
    data = pd.DataFrame({"variant": variants})
    for m in metrics:
        data[m] = _numbers(frame, cols[m], source, offset, whole=True)
    if "revenue" in cols:
        data["revenue"] = _numbers(frame, cols["revenue"], source, offset, whole=False)
    if per_recipient:
        for m in metrics:
            above = data[m] > 1
            if bool(above.any()):
                i = int(np.flatnonzero(above.to_numpy())[0])
                raise AnalysisError(
                    cols[m],
                    f"{source}, column {cols[m]!r}, row {i + offset}: {data[m].iloc[i]} in a file without a "
                    "recipients column; one row per recipient needs 0/1 outcomes (or add a recipients column)",
                )
        data["recipients"] = 1
    else:
        data["recipients"] = _numbers(frame, cols["recipients"], source, offset, whole=True)
        for m in metrics:
            over = data[m] > data["recipients"]
            if bool(over.any()):
                i = int(np.flatnonzero(over.to_numpy())[0])
                raise AnalysisError(
                    cols[m],
                    f"{source}, column {cols[m]!r}, row {i + offset}: {data[m].iloc[i]} {m} for "
                    f"{data['recipients'].iloc[i]} recipients",
                )
    order = list(dict.fromkeys(data["variant"]))
    totals = data.groupby("variant", sort=False)[["recipients", *metrics, *(["revenue"] if "revenue" in cols else [])]]
    summed = totals.sum().reindex(order)
    empty = summed.index[summed["recipients"] == 0].tolist()
    if empty:
        raise AnalysisError("recipients", f"{source}: variant {empty[0]!r} has 0 recipients")
    if len(order) < 2:
        raise AnalysisError("variant", f"{source}: only one variant ({order[0]!r}); a test compares two or more")
    revenue_rows = None
    if per_recipient and "revenue" in cols:
        revenue_rows = {v: g["revenue"].to_numpy(dtype="float64") for v, g in data.groupby("variant", sort=False)}
    return ExperimentData(source=source, per_recipient=per_recipient, totals=summed, revenue_rows=revenue_rows)

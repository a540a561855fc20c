"""Writing CSV exports safely: cells a spreadsheet would run as formulas made inert, and old exports removed.

Exports hold customer-written and imported text (countries, product names, review words). Excel, LibreOffice and
Google Sheets execute a cell starting with `=`, `+`, `-` or `@` (and tab / carriage return, which some strip
first), so `=HYPERLINK("https://…")` in the data would become a live link or a data-leaking formula in the
marketer's spreadsheet. Such a text cell is written with a leading `'` (shown as text, OWASP's advice); numeric
columns and text cells that are plain numbers ("-12.5") stay numbers.

Exports also hold customer lists, so they are kept only `export_retention_hours` and at most `export_max_files`.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd

from assistant.core.settings import Settings

log = logging.getLogger("mka.exports")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
EXPORT_SUFFIXES = (".csv", ".xlsx")


class ExportsDisabledError(RuntimeError):
    """Exports are switched off for this process (MKA_EXPORTS_ENABLED=false, or the Slack bot)."""


def inert_cell(value: Any) -> Any:
    """`value` as a spreadsheet will not execute it: a text starting a formula gets a leading `'`."""
    if not isinstance(value, str):
        return value
    start = value.lstrip(" ")  # some importers trim leading spaces before deciding what a cell is
    if not start.startswith(FORMULA_STARTS) or _PLAIN_NUMBER.fullmatch(start):
        return value  # "-12.5" is a number to a spreadsheet, not a formula
    return "'" + value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and column name made inert; numeric columns untouched."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column])):
            out[column] = out[column].map(inert_cell)
    out.columns = [inert_cell(str(c)) for c in out.columns]
    return out


def exports_dir(runs_dir: Path) -> Path:
    return runs_dir / "exports"


def prune_exports(folder: Path, settings: Settings, now: float | None = None) -> list[Path]:
    """Delete exports older than the retention period, then the oldest beyond the count; the files removed."""
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    max_age_s = settings.export_retention_hours * 3600
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    doomed = [p for i, p in enumerate(files) if i >= settings.export_max_files or now - p.stat().st_mtime > max_age_s]
    removed = []
    for path in doomed:
        try:
            path.unlink()
            removed.append(path)
        except OSError as exc:  # another process removed it first, or a permission problem: log, keep going
            log.warning("exports: could not delete %s: %s", path, exc)
    return removed


def write_csv_export(frame: pd.DataFrame, runs_dir: Path, settings: Settings, stem: str) -> Path:
    """Write `frame` as `<runs_dir>/exports/<stem>.csv` (owner-only), made inert; then prune old exports.

    Raises ExportsDisabledError when exports are switched off.
    """
    if not settings.exports_enabled:
        raise ExportsDisabledError("exports are switched off here")
    folder = exports_dir(runs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.csv"
    inert_frame(frame).to_csv(path, index=False)
    path.chmod(0o600)  # customer lists: readable by the account running mka only
    prune_exports(folder, settings)
    return path

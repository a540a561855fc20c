"""Reading delimited files strictly: every failure becomes an IngestError naming the file and column."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from rich.progress import Progress

from assistant.ingest import limits
from assistant.ingest.errors import IngestError, line_of

CHUNK_ROWS = 100_000
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe", ",": "comma"}


def _open_binary(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """(raw file, decompressed stream); the raw file's position drives the progress bar."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError as exc:
        raise IngestError(path, "file not found") from exc
    except IsADirectoryError as exc:
        raise IngestError(path, "is a directory, expected a file") from exc
    except OSError as exc:
        raise IngestError(path, f"cannot read file ({exc.strerror})") from exc
    if path.suffix == ".gz":
        return raw, gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw, raw


def read_header(path: Path) -> str:
    """The first line of a file (decompressed), for format detection; '' when empty."""
    raw, stream = _open_binary(path)
    try:
        line = stream.readline(1 << 16)
    except (OSError, EOFError) as exc:
        raise IngestError(path, f"cannot read file ({exc})") from exc
    finally:
        raw.close()
    return line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")


def _header_fields(header: str, sep: str) -> list[str]:
    return next(csv.reader([header], delimiter=sep)) if header else []


def read_delimited(
    path: Path,
    required: list[str],
    *,
    sep: str = ",",
    progress: Progress | None = None,
    label: str | None = None,
) -> pd.DataFrame:
    """Read a CSV/TSV (optionally .gz) as strings, '' for empty cells.

    Raises IngestError for a missing or unreadable path, an empty file, a file with no data rows,
    bytes that are not UTF-8, a wrong delimiter, or a required column that is missing.
    """
    header = read_header(path)
    if not header.strip():
        raise IngestError(path, "file is empty (no header line)")
    fields = [f.strip() for f in _header_fields(header, sep)]
    missing = [c for c in required if c not in fields]
    if missing:
        guessed = _guess_delimiter(header, sep, required)
        if guessed:
            raise IngestError(
                path,
                f"looks {_OTHER_DELIMITERS.get(guessed, repr(guessed))}-delimited, expected "
                f"{_OTHER_DELIMITERS.get(sep, repr(sep))}-delimited (set 'delimiter' in the mapping file)",
                column=missing[0],
            )
        raise IngestError(path, f"missing required column (header has: {', '.join(fields)})", column=missing[0])

    raw, stream = _open_binary(path)
    size = max(path.stat().st_size, 1)
    task = progress.add_task(label or f"Reading {path.name}", total=size) if progress else None
    chunks: list[pd.DataFrame] = []
    try:
        text = io.TextIOWrapper(limits.capped(stream, path), encoding="utf-8-sig", errors="strict", newline="")
        reader = pd.read_csv(text, sep=sep, dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS, engine="c")
        rows = 0
        for chunk in reader:
            chunks.append(chunk)
            rows += len(chunk)
            limits.check_rows(path, rows)
            if progress is not None and task is not None:
                progress.update(task, completed=raw.tell())
    except UnicodeDecodeError as exc:
        line, column = _locate_bad_utf8(path, sep, fields)
        raise IngestError(
            path,
            f"line {line}: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}); save the file as UTF-8",
            column=column,
        ) from exc
    except pd.errors.ParserError as exc:
        raise IngestError(path, f"malformed delimited text: {str(exc).strip()}") from exc
    except (OSError, EOFError) as exc:
        raise IngestError(path, f"cannot read file ({exc})") from exc
    finally:
        raw.close()
    if progress is not None and task is not None:
        progress.update(task, completed=size)
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=fields)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise IngestError(path, "no data rows (only a header)")
    return frame


def _locate_bad_utf8(path: Path, sep: str, fields: list[str]) -> tuple[int, str | None]:
    """(1-based line number, column name) of the first byte that is not UTF-8."""
    raw, stream = _open_binary(path)
    try:
        for number, line in enumerate(stream, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                before = line[: exc.start].decode("utf-8", errors="replace")
                index = len(next(csv.reader([before], delimiter=sep), [""])) - 1 if before else 0
                return number, fields[index] if 0 <= index < len(fields) else None
    finally:
        raw.close()
    return 0, None


def header_fields_any(path: Path) -> tuple[list[str], str]:
    """Header fields under whichever common delimiter splits the header into the most fields."""
    header = read_header(path)
    best: tuple[list[str], str] = ([header] if header else [], ",")
    for candidate in _OTHER_DELIMITERS:
        fields = [f.strip() for f in _header_fields(header, candidate)]
        if len(fields) > len(best[0]):
            best = (fields, candidate)
    return best


def _guess_delimiter(header: str, expected: str, required: list[str]) -> str | None:
    """Another delimiter under which the header would contain the required columns."""
    for candidate in _OTHER_DELIMITERS:
        if candidate == expected:
            continue
        fields = [f.strip() for f in _header_fields(header, candidate)]
        if len(fields) > 1 and any(c in fields for c in required):
            return candidate
    return None


# Currency signs and ISO codes that exports put beside prices ('R$ 1.234,50', '12.99 EUR', '£3').
_CURRENCY = r"(?i)(?:R\$|US\$|[$€£¥₹₺₽]|\b(?:EUR|USD|GBP|BRL|JPY|CHF|SEK|NOK|DKK|PLN|CAD|AUD|INR|MXN|CZK)\b)"
_SPACES = r"[\s\u00a0\u202f']"  # thousands spaces and the Swiss apostrophe
# A separator is a decimal one when followed by 1-2 or 4+ digits at the end, or when the other one comes before
# it; thousands groups always have exactly 3 digits, so '1,234' alone can be read both ways.
_COMMA_DECIMAL = r",(?:\d{1,2}|\d{4,})$|\.\d{3}.*,\d*$"
_POINT_DECIMAL = r"\.(?:\d{1,2}|\d{4,})$|,\d{3}.*\.\d*$"
_GROUPED = r"^[-+]?\d{1,3}(?:[.,]\d{3})+$"


def _first(mask: pd.Series) -> object:
    return mask[mask].index[0]


def _ambiguous_separator(path: Path, value: object, column: str, row: int | None) -> IngestError:
    """'1.250' or '1,234' alone: a thousands or a decimal separator? The mapping must say which."""
    return IngestError(
        path,
        f"{value!r} can be read as a thousands or a decimal separator; "
        "set 'decimal: \".\"' or 'decimal: \",\"' in the mapping file",
        column,
        row,
    )


def parse_numbers(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    *,
    integer: bool = False,
    tolerance: float = 0.05,
    label: str | None = None,
    decimal: str | None = None,
) -> pd.Series:
    """Numbers from a string column; NaN where empty or unparseable.

    Currency signs and thousands spaces are removed. The decimal separator is `decimal` when the mapping
    says it; otherwise the column must show it (a value like '12,50' or '3.99'): a column with both kinds,
    or with only values like '1,234', is an error rather than a guess.
    More than `tolerance` unparseable non-empty cells means the column is wrong, not a few bad rows.
    """
    values = frame[column].fillna("").str.strip()
    name = label or column
    distinct, codes = _distinct(values)  # parse each distinct text once: a column repeats few values
    numbers = _spread(_parse_distinct_numbers(distinct, path, name, decimal, tolerance), codes, values.index)
    bad = numbers.isna() & (values != "")
    _check_bad_share(bad, values, name, path, "a number", tolerance)
    if integer:
        fractional = numbers.notna() & (numbers != numbers.round())
        numbers = numbers.mask(fractional)
    return numbers


def _distinct(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The distinct values (indexed by their first row, for error lines) and each row's code into them."""
    codes, uniques = pd.factorize(values)
    _, first = np.unique(codes, return_index=True)
    return pd.Series(np.asarray(uniques, dtype=object), index=values.index[first], dtype=object), codes


def _spread(parsed: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(parsed.to_numpy()[codes], index=index)


def _parse_distinct_numbers(
    values: pd.Series, path: Path, name: str, decimal: str | None, tolerance: float
) -> pd.Series:
    text = values
    if values.str.contains(r"[^\d.\-+eE]", regex=True).any():  # anything beyond a plain number
        text = values.str.replace(_CURRENCY, "", regex=True).str.replace(_SPACES, "", regex=True)
    if decimal is None and text.str.contains(",", regex=False).any():
        comma = text.str.contains(_COMMA_DECIMAL, regex=True)
        point = text.str.contains(_POINT_DECIMAL, regex=True)
        if comma.any() and point.any():
            # A few odd cells are bad rows (dropped and counted); many of each kind is a column read two ways.
            minority = comma if comma.sum() <= point.sum() else point
            if minority.sum() >= 3 and minority.sum() > tolerance * int((values != "").sum()):
                a, b = _first(comma), _first(point)
                raise IngestError(
                    path,
                    f"mixes decimal commas ({values[a]!r}) and decimal points ({values[b]!r}, line {line_of(b)}); "
                    "set 'decimal' in the mapping file",
                    name,
                    line_of(a),
                )
            text = text.mask(minority, "not a number")
            comma &= ~minority
        if comma.any():
            decimal = ","
        elif not point.any():
            grouped = text.str.contains(_GROUPED, regex=True) & text.str.contains(",", regex=False)
            if grouped.any():
                a = _first(grouped)
                raise _ambiguous_separator(path, values[a], name, line_of(a))
            decimal = "."
        else:
            decimal = "."
    if decimal is None and text.str.contains(".", regex=False).any():
        # Only '1.250'-like values (a dot before exactly three digits) and no '3.99': thousands or decimals?
        grouped = text.str.contains(_GROUPED, regex=True)
        if grouped.any() and not text.str.contains(_POINT_DECIMAL, regex=True).any():
            a = _first(grouped)
            raise _ambiguous_separator(path, values[a], name, line_of(a))
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    elif decimal is not None:
        text = text.str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


# dd/mm/yyyy or mm/dd/yyyy (also with '.' or '-', 2-digit years), then anything (a time).
_NUMERIC_DATE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?![\d])(.*)$"


def _reorder_numeric_dates(values: pd.Series, path: Path, name: str, day_first: bool | None) -> pd.Series:
    """Numeric day/month dates rewritten as ISO, so no parser guesses the order.

    Without `day_first`, the column must settle it (a first part over 12 is a day, a second part over 12 is a
    day); if it cannot, two example values that read two ways are named.
    """
    parts = values.str.extract(_NUMERIC_DATE)
    has = parts[0].notna()
    if not has.any():
        return values
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    day_only_first = has & (first > 12)
    day_only_second = has & (second > 12)
    if day_first is None:
        if day_only_first.any() and day_only_second.any():
            a, b = _first(day_only_first), _first(day_only_second)
            raise IngestError(
                path,
                f"mixes day-first ({values[a]!r}) and month-first ({values[b]!r}, line {line_of(b)}) dates",
                name,
                line_of(a),
            )
        if day_only_first.any():
            day_first = True
        elif day_only_second.any():
            day_first = False
        else:
            both = has & (first != second)
            if both.any():
                examples = values[both].drop_duplicates().head(2).tolist()
                raise IngestError(
                    path,
                    f"dates read both day-first and month-first (e.g. {' and '.join(repr(e) for e in examples)}); "
                    "set 'day_first: true' or 'day_first: false' in the mapping file",
                    name,
                    line_of(_first(both)),
                )
            day_first = True  # every value has day == month: both readings agree
    contradicted = day_only_second if day_first else day_only_first
    if contradicted.any():
        a = _first(contradicted)
        raise IngestError(
            path,
            f"{values[a]!r} is not a {'day-first' if day_first else 'month-first'} date as 'day_first' says",
            name,
            line_of(a),
        )
    day, month = (parts[0], parts[1]) if day_first else (parts[1], parts[0])
    year = parts[2].where(parts[2].str.len() == 4, "20" + parts[2])
    iso = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + parts[3]
    return values.where(~has, iso)


_OFFSET = r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:[+-]\d{2}:?\d{2}|Z|UTC)$"
_HAS_OFFSET = r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[+-]\d{2}:?\d{2}|Z|UTC)$"


def _local_time(values: pd.Series) -> pd.Series:
    """'2024-03-01 10:00:00 +0100' -> '2024-03-01 10:00:00': the shop's wall-clock time, one kind of timestamp."""
    if not values.str.contains(_HAS_OFFSET, regex=True).any():
        return values
    return values.str.replace(_OFFSET, r"\1", regex=True)


def parse_datetimes(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    *,
    fmt: str | None = None,
    tolerance: float = 0.05,
    label: str | None = None,
    day_first: bool | None = None,
) -> pd.Series:
    values = frame[column].fillna("").str.strip()
    name = label or column
    distinct, codes = _distinct(values)
    text = distinct if fmt else _reorder_numeric_dates(_local_time(distinct), path, name, day_first)
    parsed = _spread(pd.Series(pd.to_datetime(text, format=fmt or "mixed", errors="coerce")), codes, values.index)
    bad = parsed.isna() & (values != "")
    _check_bad_share(bad, values, name, path, "a date/time", tolerance)
    return parsed


def _check_bad_share(bad: pd.Series, values: pd.Series, column: str, path: Path, kind: str, tolerance: float) -> None:
    non_empty = int((values != "").sum())
    n_bad = int(bad.sum())
    # A few bad cells are dropped as rows; many (or all) mean the column itself is wrong.
    if non_empty and n_bad > tolerance * non_empty and (n_bad >= 3 or n_bad == non_empty):
        at = _first(bad)
        raise IngestError(
            path, f"{n_bad} of {non_empty} values are not {kind} (e.g. {values[at]!r})", column, line_of(at)
        )

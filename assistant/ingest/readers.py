"""Reading delimited files strictly: every failure becomes an IngestError naming the file and column."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import IO

import pandas as pd
from rich.progress import Progress

from assistant.ingest.errors import IngestError

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
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
        reader = pd.read_csv(text, sep=sep, dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS, engine="c")
        for chunk in reader:
            chunks.append(chunk)
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


def parse_numbers(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    *,
    integer: bool = False,
    tolerance: float = 0.05,
    label: str | None = None,
) -> pd.Series:
    """Numbers from a string column; NaN where empty or unparseable.

    More than `tolerance` unparseable non-empty cells means the column is wrong, not a few bad rows.
    """
    values = frame[column].str.strip()
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & (values != "")
    _check_bad_share(bad, values, label or column, path, "a number", tolerance)
    if integer:
        fractional = numbers.notna() & (numbers != numbers.round())
        numbers = numbers.mask(fractional)
    return numbers


def parse_datetimes(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    *,
    fmt: str | None = None,
    tolerance: float = 0.05,
    label: str | None = None,
) -> pd.Series:
    values = frame[column].str.strip()
    parsed = pd.to_datetime(values, format=fmt or "mixed", errors="coerce")
    bad = parsed.isna() & (values != "")
    _check_bad_share(bad, values, label or column, path, "a date/time", tolerance)
    return parsed


def _check_bad_share(bad: pd.Series, values: pd.Series, column: str, path: Path, kind: str, tolerance: float) -> None:
    non_empty = int((values != "").sum())
    n_bad = int(bad.sum())
    # A few bad cells are dropped as rows; many (or all) mean the column itself is wrong.
    if non_empty and n_bad > tolerance * non_empty and (n_bad >= 3 or n_bad == non_empty):
        example = values[bad].iloc[0]
        raise IngestError(path, f"{n_bad} of {non_empty} values are not {kind} (e.g. {example!r})", column)

"""One source of a multi-table mapping as a frame of strings ('' = missing), whatever its format.

CSV / TSV (optionally .gz) go through `readers.read_delimited`; Parquet through DuckDB; JSON lines (optionally
.gz) and XLSX through pandas; a PostgreSQL table or query through psycopg 3. Every format is read under the
ingest's byte and row caps (`limits`), and each frame gets a `__line` column — the row's line in a text file
(header = line 1), its spreadsheet row, or its 1-based record number — so errors can point at it.
"""

from __future__ import annotations

import datetime
import gzip
import io
import json
import os
import re
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.ingest import limits
from assistant.ingest.errors import IngestError
from assistant.ingest.readers import read_delimited

Format = Literal["csv", "tsv", "parquet", "xlsx", "jsonl"]
LINE = "__line"


class PostgresSource(BaseModel):
    """A table or a query on a PostgreSQL server. `url` may be 'env:NAME' to keep the password out of the file."""

    model_config = ConfigDict(extra="forbid")

    url: str
    table: str | None = None
    query: str | None = None

    @model_validator(mode="after")
    def _one(self) -> PostgresSource:
        if (self.table is None) == (self.query is None):
            raise ValueError("give either 'table' or 'query'")
        return self

    def resolved_url(self) -> str:
        if self.url.startswith("env:"):
            name = self.url[4:]
            if not os.environ.get(name):
                raise IngestError(name, "environment variable for the PostgreSQL url is not set")
            return os.environ[name]
        return self.url

    def label(self) -> str:
        """Where the rows come from, without the password: host/db + table or 'query'."""
        url = self.url if self.url.startswith("env:") else re.sub(r"://[^@/]*@", "://", self.url)
        return f"{url} {self.table or 'query'}"


class SourceFile(BaseModel):
    """One declared source: a file, its format (from the extension unless given), and format options;
    or a PostgreSQL table / query."""

    model_config = ConfigDict(extra="forbid")

    file: Path = Path()
    postgres: PostgresSource | None = None
    format: Format | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    sheet: str | None = None  # XLSX: the sheet's name (default: the first)

    @model_validator(mode="after")
    def _one(self) -> SourceFile:
        if (self.file == Path()) == (self.postgres is None):
            raise ValueError("give either 'file' or 'postgres'")
        if self.postgres is not None:
            self.file = Path(self.postgres.label())  # how errors name this source
        return self

    def resolved_format(self) -> Format:
        if self.format is not None:
            return self.format
        suffixes = [s.lower() for s in self.file.suffixes if s.lower() != ".gz"]
        ext = suffixes[-1] if suffixes else ""
        known: dict[str, Format] = {
            ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
            ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
        }  # fmt: skip
        if ext not in known:
            raise IngestError(
                self.file, f"unknown file type {ext or '(none)'!r}; set 'format' (csv, tsv, parquet, xlsx, jsonl)"
            )
        return known[ext]


def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for name in frame.columns:
        column = frame[name]
        # A float column of whole numbers is an integer column with gaps (ids, quantities): no '1001.0'.
        if pd.api.types.is_float_dtype(column) and (column.dropna() == column.dropna().round()).all():
            frame[name] = column.astype("Int64")
    out = frame.astype("object").where(frame.notna(), "")
    return out.map(lambda v: v if isinstance(v, str) else str(v)).astype(str)


def read_source(spec: SourceFile, columns: list[str]) -> pd.DataFrame:
    """The file as strings with `columns` checked present; raises IngestError naming the file and column."""
    path = spec.file
    if spec.postgres is not None:
        frame = _read_postgres(spec.postgres, path)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise IngestError(path, f"missing column (has: {', '.join(frame.columns)})", missing[0])
        frame[LINE] = frame.index + 2
        return frame
    fmt = spec.resolved_format()
    if not path.is_file():
        raise IngestError(path, "file not found" if not path.exists() else "is not a file")
    if fmt in ("csv", "tsv"):
        sep = spec.delimiter or ("\t" if fmt == "tsv" else ",")
        frame = read_delimited(path, columns, sep=sep)
    else:
        limits.check_bytes(path, path.stat().st_size)
        try:
            _check_expanded_size(path, fmt)
            frame = _read_binary(path, fmt, spec.sheet)
        except IngestError:
            raise
        except Exception as exc:  # each library has its own errors; name the file and the first line of the cause
            raise IngestError(path, f"cannot read as {fmt} ({str(exc).strip().splitlines()[0][:200]})") from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        limits.check_rows(path, len(frame))
        if frame.empty:
            raise IngestError(path, "no data rows")
        lines = frame.pop(LINE).to_numpy() if LINE in frame else None
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise IngestError(path, f"missing column (has: {', '.join(frame.columns)})", missing[0])
        frame = _as_strings(frame.reset_index(drop=True))
        # The row as the user finds it: a JSON line's number, a spreadsheet's row (header = 1), a Parquet record's.
        frame[LINE] = lines if lines is not None else frame.index + (1 if fmt == "parquet" else 2)
        return frame
    frame[LINE] = frame.index + 2
    return frame


def _text(value: object) -> str:
    """A database value as an export would print it."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _read_postgres(source: PostgresSource, label: Path) -> pd.DataFrame:
    import psycopg
    from psycopg import sql

    statement = (
        sql.SQL("SELECT * FROM {}").format(sql.Identifier(*source.table.split(".")))
        if source.table is not None
        else sql.SQL(source.query)  # type: ignore[arg-type]  # the user's own query, run read-only
    )
    cap = limits.current().max_rows
    try:
        with psycopg.connect(source.resolved_url(), connect_timeout=10) as conn:
            conn.read_only = True
            with conn.cursor(name="mka_ingest") as cur:  # server-side: rows stream in batches
                cur.execute(statement)
                names = [d.name for d in cur.description or []]
                rows: list[list[str]] = []
                while batch := cur.fetchmany(50_000):
                    rows += [[_text(v) for v in row] for row in batch]
                    if len(rows) > cap:
                        limits.check_rows(label, len(rows))
    except psycopg.Error as exc:
        raise IngestError(label, f"PostgreSQL: {str(exc).strip().splitlines()[0]}") from exc
    if not rows:
        raise IngestError(label, "no data rows")
    return pd.DataFrame(rows, columns=names, dtype=str)


def _check_expanded_size(path: Path, fmt: Format) -> None:
    """Check what a packed file will become before reading it: an XLSX's unzipped size, a Parquet file's rows."""
    if fmt == "xlsx":
        import zipfile

        with zipfile.ZipFile(path) as archive:
            size = sum(member.file_size for member in archive.infolist())
        cap = limits.current().max_bytes
        if size > cap:
            raise IngestError(
                path, f"unzips to {size:,} bytes, more than the cap (raise MKA_INGEST_MAX_BYTES to allow it)"
            )
    elif fmt == "parquet":
        import duckdb

        con = duckdb.connect()
        try:
            row = con.execute("SELECT sum(num_rows) FROM parquet_file_metadata(?)", [str(path)]).fetchone()
        finally:
            con.close()
        limits.check_rows(path, int(row[0]) if row and row[0] is not None else 0)


def _read_binary(path: Path, fmt: Format, sheet: str | None) -> pd.DataFrame:
    if fmt == "parquet":
        import duckdb

        con = duckdb.connect()
        try:
            return con.execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
        finally:
            con.close()
    if fmt == "xlsx":
        return pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
    raw = open(path, "rb")  # noqa: SIM115 - closed below
    try:
        stream = gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
        text = io.TextIOWrapper(limits.capped(stream, path), encoding="utf-8")  # type: ignore[arg-type]
        records: list[dict[str, object]] = []
        numbers: list[int] = []
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise IngestError(path, f"line {number} is not JSON ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise IngestError(path, f"line {number} is not a JSON object")
            records.append(record)
            numbers.append(number)
        # Values kept as written: numbers and texts are not re-typed on the way (no dates guessed).
        frame = pd.DataFrame.from_records(records)
        frame[LINE] = numbers
        return frame
    finally:
        raw.close()

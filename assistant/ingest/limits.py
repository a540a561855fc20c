"""Byte and row caps for one ingest: a small .gz that expands to gigabytes stops with a clear error.

The caps come from settings (MKA_INGEST_MAX_BYTES, MKA_INGEST_MAX_ROWS) and are set for the duration of
one ingest or append with `applied()`, so every reader sees them without threading them through each adapter.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO

from pydantic import BaseModel, Field

from assistant.core.settings import Settings
from assistant.ingest.errors import IngestError


class IngestLimits(BaseModel):
    max_bytes: int = Field(default=4 * 1024**3, ge=1, description="Decompressed bytes per source file.")
    max_rows: int = Field(default=50_000_000, ge=1, description="Data rows per source file.")


def from_settings(settings: Settings) -> IngestLimits:
    return IngestLimits(max_bytes=settings.ingest_max_bytes, max_rows=settings.ingest_max_rows)


_DEFAULT = IngestLimits()
_CURRENT: ContextVar[IngestLimits | None] = ContextVar("ingest_limits", default=None)


@contextmanager
def applied(limits: IngestLimits) -> Iterator[None]:
    token = _CURRENT.set(limits)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> IngestLimits:
    return _CURRENT.get() or _DEFAULT


def check_rows(path: Path, rows: int) -> None:
    cap = current().max_rows
    if rows > cap:
        raise IngestError(path, f"more than {cap:,} data rows, the cap (raise MKA_INGEST_MAX_ROWS to allow it)")


def check_bytes(path: Path, size: int) -> None:
    cap = current().max_bytes
    if size > cap:
        raise IngestError(path, f"more than {cap:,} bytes, the cap (raise MKA_INGEST_MAX_BYTES to allow it)")


class _CappedReader(io.RawIOBase):
    """Counts the bytes read through it (after decompression) and stops past the cap."""

    def __init__(self, inner: IO[bytes], path: Path, cap: int) -> None:
        self._inner = inner
        self._path = path
        self._cap = cap
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        self.total += len(data)
        if self.total > self._cap:
            raise IngestError(
                self._path,
                f"expands to more than {self._cap:,} bytes, the cap (raise MKA_INGEST_MAX_BYTES to allow it)",
            )
        buffer[: len(data)] = data
        return len(data)


def capped(stream: IO[bytes], path: Path) -> IO[bytes]:
    """`stream` wrapped so that reading past the byte cap raises an IngestError naming `path`."""
    return io.BufferedReader(_CappedReader(stream, path, current().max_bytes), buffer_size=1 << 20)

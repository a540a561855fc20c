"""The audit log: who asked what, through which door, which tools ran with which arguments, which exports were
written. Everything is PII-masked before it is stored (assistant/core/privacy.py).

Two stores, chosen by the settings: JSON lines in the workspace (`MKA_HOME/audit/audit-YYYY-MM-DD.jsonl`, one file
per UTC day, 0600, rotated past MKA_AUDIT_MAX_MB, files older than MKA_AUDIT_KEEP_DAYS deleted), or the
`mka_audit` table in PostgreSQL when MKA_DATABASE_URL is set (rows older than the retention deleted), so several
UI and Slack processes write one log. A failing audit write is logged and never fails the marketer's turn.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.privacy import mask_data, mask_pii, open_private, redact_url
from assistant.core.settings import Settings

log = logging.getLogger("mka.audit")

Channel = Literal["ui", "slack", "cli", "api"]
AUDIT_DIR = "audit"
_DAY_FILE = re.compile(r"audit-(\d{4}-\d{2}-\d{2})(?:\.\d+)?\.jsonl")
PRUNE_EVERY = 200  # records written between two retention passes on PostgreSQL


class ToolCall(BaseModel):
    tool: str
    args: dict[str, Any]
    ok: bool
    ms: float


class AuditRecord(BaseModel):
    """One answered turn. The log stores `masked()`: every string, arguments and export paths included."""

    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    channel: Channel
    user: str | None = Field(description="The signed-in UI user, the Slack user id, or the OS user for the CLI.")
    thread_id: str | None = None
    question: str
    tools: list[ToolCall] = Field(default_factory=list)
    exports: list[str] = Field(default_factory=list, description="Files the turn's tools wrote (CSV exports).")
    model: str | None = None
    total_ms: float | None = None
    flags: list[str] = Field(default_factory=list)

    def masked(self) -> AuditRecord:
        data = self.model_dump(mode="json", exclude={"at"})
        return AuditRecord.model_validate({**mask_data(data, mask_pii), "at": self.at})


class AuditLog:
    """Where audit records go; `record()` is safe to call from any thread."""

    def write(self, record: AuditRecord) -> None:
        raise NotImplementedError

    def read(self) -> list[AuditRecord]:
        """Every stored record, oldest first (for `mka`'s own checks and the tests)."""
        raise NotImplementedError

    def expire(self, now: datetime | None = None) -> int:
        """Delete what the retention does not keep; returns how many files or rows went."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def record(self, record: AuditRecord) -> None:
        try:
            self.write(record.masked())
        except Exception:  # the audit is a record of the turn, not a reason to fail it
            log.exception("audit: could not write the record of thread %s", record.thread_id)


class NoAudit(AuditLog):
    """MKA_AUDIT_ENABLED=false."""

    def write(self, record: AuditRecord) -> None:
        pass

    def read(self) -> list[AuditRecord]:
        return []

    def expire(self, now: datetime | None = None) -> int:
        return 0


class FileAuditLog(AuditLog):
    """JSON lines, one file per UTC day, owner-only, size-rotated, kept `keep_days`."""

    def __init__(self, folder: Path, keep_days: float = 90, max_bytes: int = 20 * 1024 * 1024) -> None:
        self.folder = folder
        self.keep_days = keep_days
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._expired_on: str | None = None

    def _day_file(self, day: str) -> Path:
        return self.folder / f"audit-{day}.jsonl"

    def write(self, record: AuditRecord) -> None:
        line = record.model_dump_json() + "\n"
        day = record.at.astimezone(UTC).date().isoformat()
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.folder.chmod(0o700)
            path = self._day_file(day)
            if path.exists() and path.stat().st_size + len(line) > self.max_bytes:
                path.rename(self._next_rotation(day))
            with open_private(path, "a") as handle:
                handle.write(line)
            if self._expired_on != day:  # once a day per process is enough for day-sized files
                self._expired_on = day
                self._expire_locked(datetime.now(UTC))

    def _next_rotation(self, day: str) -> Path:
        n = 1
        while (self.folder / f"audit-{day}.{n}.jsonl").exists():
            n += 1
        return self.folder / f"audit-{day}.{n}.jsonl"

    def files(self) -> list[Path]:
        """The log's files, oldest first (a day's rotated parts before its current file)."""
        if not self.folder.is_dir():
            return []

        def order(path: Path) -> tuple[str, int]:
            day, _, part = path.name.removeprefix("audit-").removesuffix(".jsonl").partition(".")
            return day, int(part) if part else 1 << 30

        return sorted((p for p in self.folder.iterdir() if _DAY_FILE.fullmatch(p.name)), key=order)

    def read(self) -> list[AuditRecord]:
        return [AuditRecord.model_validate_json(line) for path in self.files() for line in _lines(path)]

    def expire(self, now: datetime | None = None) -> int:
        with self._lock:
            return self._expire_locked(now or datetime.now(UTC))

    def _expire_locked(self, now: datetime) -> int:
        cutoff = (now - timedelta(days=self.keep_days)).date().isoformat()
        gone = 0
        for path in self.files():
            match = _DAY_FILE.fullmatch(path.name)
            if match and match.group(1) < cutoff:
                path.unlink(missing_ok=True)
                gone += 1
        return gone


def _lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as handle:
        yield from (line for line in handle if line.strip())


class PostgresAuditLog(AuditLog):
    """The `mka_audit` table: one row per turn, the record as JSONB beside indexed when/who/channel columns."""

    def __init__(self, url: str, keep_days: float = 90) -> None:
        import psycopg

        self.url = url
        self.keep_days = keep_days
        self._lock = threading.Lock()
        self._writes = 0
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=15)
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS mka_audit (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL, "
                "channel TEXT NOT NULL, user_id TEXT, thread_id TEXT, record JSONB NOT NULL)"
            )
            self._conn.execute("CREATE INDEX IF NOT EXISTS mka_audit_at ON mka_audit (at)")
        except psycopg.Error as exc:
            raise AuditUnavailableError(
                f"cannot write the audit log to {redact_url(url)} (MKA_DATABASE_URL): {exc}"
            ) from exc
        self.expire()

    def write(self, record: AuditRecord) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO mka_audit (at, channel, user_id, thread_id, record) VALUES (%s, %s, %s, %s, %s)",
                (record.at, record.channel, record.user, record.thread_id, record.model_dump_json()),
            )
            self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            self.expire()

    def read(self) -> list[AuditRecord]:
        with self._lock:
            rows = self._conn.execute("SELECT record FROM mka_audit ORDER BY at, id").fetchall()
        return [AuditRecord.model_validate(row[0]) for row in rows]

    def expire(self, now: datetime | None = None) -> int:
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.keep_days)
        with self._lock:
            cursor = self._conn.execute("DELETE FROM mka_audit WHERE at < %s", (cutoff,))
            return int(cursor.rowcount or 0)

    def close(self) -> None:
        self._conn.close()


class AuditUnavailableError(RuntimeError):
    """The audit store cannot be opened; the message names the setting."""


def open_audit_log(settings: Settings) -> AuditLog:
    """The audit log the settings ask for: off, PostgreSQL (MKA_DATABASE_URL) or files in the workspace."""
    if not settings.audit_enabled:
        return NoAudit()
    if settings.database_url:
        return PostgresAuditLog(settings.database_url, settings.audit_keep_days)
    return FileAuditLog(
        settings.home / AUDIT_DIR, settings.audit_keep_days, max_bytes=int(settings.audit_max_mb * 1024 * 1024)
    )


def exports_in(value: Any) -> list[str]:
    """Every `export_path` named in a tool's result (nested anywhere)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "export_path" and isinstance(inner, str) and inner:
                found.append(inner)
            else:
                found.extend(exports_in(inner))
    elif isinstance(value, list | tuple):
        for inner in value:
            found.extend(exports_in(inner))
    return found

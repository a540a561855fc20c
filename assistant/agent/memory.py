"""Conversation memory: a LangGraph checkpointer per workspace (masked, private, pruned), and history trimmed by a
token budget."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AnyMessage, BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.sqlite import SqliteSaver

from assistant.core.privacy import PRIVATE_FILE_MODE, make_private, mask_pii
from assistant.core.settings import Settings, get_settings
from assistant.core.workspace import Workspace

if TYPE_CHECKING:
    from assistant.agent.memory_postgres import PrivatePostgresSaver


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def history_text(messages: list[AnyMessage], budget: int) -> str:
    """The most recent turns that fit in `budget` tokens, oldest first ("Marketer:" / "Assistant:")."""
    lines: list[str] = []
    used = 0
    for message in reversed(messages):
        if message.type == "human":
            line = f"Marketer: {message.content}"
        else:
            tools_used: list[str] = list(message.additional_kwargs.get("tools_used") or [])
            text = _first_lines(str(message.content))
            line = (f"(tools used: {'; '.join(tools_used)})\n" if tools_used else "") + f"Assistant: {text}"
        cost = count_tokens(line)
        if used + cost > budget:
            if not lines and budget > 50:  # keep at least the tail of the latest message
                lines.append(line[-budget * 3 :])
            break
        lines.append(line)
        used += cost
    return "\n".join(reversed(lines))


def _first_lines(text: str, limit: int = 400) -> str:
    """An earlier answer without its tables: enough to resolve "it", "them", "that segment"."""
    prose = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("|")]
    joined = " ".join(prose)
    return joined if len(joined) <= limit else joined[:limit] + "…"


@dataclass(frozen=True)
class Retention:
    """How long conversations are kept: threads idle longer than `keep_days` go, and beyond the `keep_threads`
    most recent ones the oldest go (MKA_CONVERSATION_KEEP_DAYS, MKA_CONVERSATION_KEEP_THREADS)."""

    keep_days: float = 30
    keep_threads: int = 500

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        return cls(keep_days=settings.conversation_keep_days, keep_threads=settings.conversation_keep_threads)


PRUNE_EVERY = 50  # checkpoints written between two prunings (each turn writes a handful)


def _masked(value: Any) -> Any:
    """A checkpoint value with every string masked: messages, step results, the question and answer."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, BaseMessage):
        return value.model_copy(
            update={"content": _masked(value.content), "additional_kwargs": _masked(value.additional_kwargs)}
        )
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_masked(v) for v in value)
    return value


class _Retained:
    """Masking and retention shared by the SQLite and PostgreSQL checkpointers.

    Masking here is the last line: whatever a node put in the state (a narration quoting a review, an error
    naming a value) reaches the store masked. Each backend records when a thread was last written
    (`mka_thread_activity`) and deletes what the retention does not keep."""

    retention: Retention
    _writes_since_prune: int

    if TYPE_CHECKING:

        def delete_thread(self, thread_id: str) -> None: ...  # LangGraph's saver, later in the MRO

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        masked: Checkpoint = {**checkpoint, "channel_values": _masked(checkpoint.get("channel_values", {}))}
        saved = super().put(  # type: ignore[misc]  # LangGraph's saver, later in the MRO
            config, masked, _masked(metadata), new_versions
        )
        self._touch(str(config["configurable"]["thread_id"]))
        return saved

    def put_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        super().put_writes(  # type: ignore[misc]
            config, [(channel, _masked(value)) for channel, value in writes], task_id, task_path
        )

    def _record_activity(self, thread_id: str, at: float) -> None:
        raise NotImplementedError

    def _activity(self, now: float) -> list[tuple[str, float]]:
        """(thread id, last written) of every stored thread, most recent first; threads written before
        retention existed (no activity row) are given `now`."""
        raise NotImplementedError

    def _forget(self, thread_ids: list[str]) -> None:
        """Drop the activity rows of deleted threads (and whatever else the backend keeps of them)."""
        raise NotImplementedError

    def _touch(self, thread_id: str) -> None:
        self._record_activity(thread_id, time.time())
        self._writes_since_prune += 1
        if self._writes_since_prune >= PRUNE_EVERY:
            self.expire()

    def expire(self, now: float | None = None) -> list[str]:
        """Delete the conversations the retention does not keep; returns their thread ids."""
        now = time.time() if now is None else now
        self._writes_since_prune = 0
        rows = self._activity(now)
        cutoff = now - self.retention.keep_days * 86400
        gone = [str(t) for i, (t, at) in enumerate(rows) if at < cutoff or i >= self.retention.keep_threads]
        for thread_id in gone:
            self.delete_thread(thread_id)
        if gone:
            self._forget(gone)
        return gone


class PrivateSqliteSaver(_Retained, SqliteSaver):
    """LangGraph's SQLite checkpointer that stores only masked state, in a 0600 file, for a limited time."""

    def __init__(self, conn: sqlite3.Connection, retention: Retention) -> None:
        super().__init__(conn)
        self.retention = retention
        self._writes_since_prune = 0

    def setup(self) -> None:
        # LangGraph calls this with its lock held (from cursor()), so no lock here.
        if self.is_setup:
            return
        super().setup()
        self.conn.execute("PRAGMA secure_delete = ON")  # a pruned conversation's pages are zeroed, not left behind
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS mka_thread_activity (thread_id TEXT PRIMARY KEY, last_at REAL NOT NULL)"
        )
        self.conn.commit()

    def _record_activity(self, thread_id: str, at: float) -> None:
        with self.lock, self.conn:
            self.conn.execute(
                "INSERT INTO mka_thread_activity VALUES (?, ?) "
                "ON CONFLICT(thread_id) DO UPDATE SET last_at = excluded.last_at",
                (thread_id, at),
            )

    def _activity(self, now: float) -> list[tuple[str, float]]:
        with self.lock, self.conn:
            self.conn.execute(
                "INSERT OR IGNORE INTO mka_thread_activity SELECT DISTINCT thread_id, ? FROM checkpoints", (now,)
            )
            rows = self.conn.execute(
                "SELECT thread_id, last_at FROM mka_thread_activity ORDER BY last_at DESC"
            ).fetchall()
        return [(str(t), float(at)) for t, at in rows]

    def _forget(self, thread_ids: list[str]) -> None:
        with self.lock, self.conn:
            self.conn.executemany("DELETE FROM mka_thread_activity WHERE thread_id = ?", [(t,) for t in thread_ids])
        with self.lock:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # nor kept in the write-ahead log


def sqlite_checkpointer(path: Path, retention: Retention | None = None) -> PrivateSqliteSaver:
    """A SQLite checkpointer in the workspace, so conversations survive a restart: masked, 0600, pruned."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
    make_private(path)  # SQLite gives its journal and WAL files the database file's mode
    conn = sqlite3.connect(str(path), check_same_thread=False)
    saver = PrivateSqliteSaver(conn, retention or Retention.from_settings(get_settings()))
    saver.setup()
    saver.expire()
    return saver


def conversation_checkpointer(settings: Settings) -> PrivateSqliteSaver | PrivatePostgresSaver:
    """Where conversations live: PostgreSQL when MKA_DATABASE_URL is set (shared by processes), otherwise
    `conversations.sqlite` in the workspace."""
    retention = Retention.from_settings(settings)
    if settings.database_url:
        from assistant.agent.memory_postgres import postgres_checkpointer

        return postgres_checkpointer(settings.database_url, retention)
    return sqlite_checkpointer(Workspace(settings.home).conversations_path, retention)

"""Conversations in PostgreSQL (MKA_DATABASE_URL): LangGraph's Postgres checkpointer with the same masking and
retention as the SQLite one, so several UI and Slack processes share one conversation store. Imported only
when a database is configured (psycopg and its pool are not loaded otherwise)."""

from __future__ import annotations

from typing import Any

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from assistant.agent.memory import Retention, _Retained
from assistant.core.privacy import redact_url
from assistant.core.settings import get_settings


class PrivatePostgresSaver(_Retained, PostgresSaver):
    """LangGraph's PostgreSQL checkpointer (MKA_DATABASE_URL) with the same masking and retention as SQLite, so
    several UI and Slack processes share conversations. Access to the database is the operator's to restrict."""

    def __init__(self, pool: ConnectionPool[Any], retention: Retention) -> None:
        super().__init__(pool)
        self.retention = retention
        self._writes_since_prune = 0

    def setup(self) -> None:
        super().setup()
        with self._cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS mka_thread_activity "
                "(thread_id TEXT PRIMARY KEY, last_at DOUBLE PRECISION NOT NULL)"
            )

    def _record_activity(self, thread_id: str, at: float) -> None:
        with self._cursor() as cur:
            cur.execute(
                "INSERT INTO mka_thread_activity VALUES (%s, %s) "
                "ON CONFLICT (thread_id) DO UPDATE SET last_at = excluded.last_at",
                (thread_id, at),
            )

    def _activity(self, now: float) -> list[tuple[str, float]]:
        with self._cursor() as cur:
            cur.execute(
                "INSERT INTO mka_thread_activity SELECT DISTINCT thread_id, %s FROM checkpoints "
                "ON CONFLICT (thread_id) DO NOTHING",
                (now,),
            )
            cur.execute("SELECT thread_id, last_at FROM mka_thread_activity ORDER BY last_at DESC")
            rows = cur.fetchall()
        return [(str(r["thread_id"]), float(r["last_at"])) for r in rows]

    def _forget(self, thread_ids: list[str]) -> None:
        with self._cursor() as cur:
            cur.execute("DELETE FROM mka_thread_activity WHERE thread_id = ANY(%s)", (thread_ids,))

    def close(self) -> None:
        self.conn.close()


class ConversationStoreError(RuntimeError):
    """The conversation database (MKA_DATABASE_URL) cannot be reached or set up; the message says which."""


def postgres_checkpointer(
    url: str, retention: Retention | None = None, max_connections: int = 4
) -> PrivatePostgresSaver:
    """A PostgreSQL checkpointer (tables created on first use): masked and pruned like the SQLite one."""
    try:  # one direct connection first: a wrong URL fails now with the server's reason, not a pool timeout
        psycopg.connect(url, connect_timeout=15).close()
    except psycopg.Error as exc:
        raise ConversationStoreError(
            f"cannot use the conversation database {redact_url(url)} (MKA_DATABASE_URL): {exc}"
        ) from exc
    pool: ConnectionPool[Any] = ConnectionPool(
        url,
        min_size=1,
        max_size=max_connections,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=False,
        name="mka-conversations",
    )
    try:
        pool.open(wait=True, timeout=15)
        saver = PrivatePostgresSaver(pool, retention or Retention.from_settings(get_settings()))
        saver.setup()
        saver.expire()
    except Exception as exc:  # refused, auth, missing database, no rights to create tables
        pool.close()
        raise ConversationStoreError(
            f"cannot use the conversation database {redact_url(url)} (MKA_DATABASE_URL): {exc}"
        ) from exc
    return saver

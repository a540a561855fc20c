"""What every tool gets passed: settings, the workspace, the LLM client (for tools that write), and lazily
opened shared resources.

No module-level globals: the agent, the CLI and tests each build a ToolContext and pass it in.

Everything loaded from the workspace (the warehouse connection, models, caches) belongs to one build: when an
ingest swaps `current`, a long-running process (UI, Slack) drops them and loads the new build's on next use,
instead of querying a deleted build while search already reads the new one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from assistant.core.llm_client import LLMClient
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace

T = TypeVar("T")

# Resources that do not come from a build (the MiniLM encoder and its cache live beside the builds, in MKA_HOME).
PROCESS_WIDE = frozenset({"embedding-encoder"})


@dataclass
class ToolContext:
    settings: Settings
    workspace: Workspace
    llm: LLMClient | None = None  # set by the agent; tools that write (copy) need it
    _resources: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _build: Path | None = field(default=None, repr=False)  # the build the loaded resources came from

    @classmethod
    def from_settings(cls, settings: Settings) -> ToolContext:
        return cls(settings=settings, workspace=Workspace(settings.home))

    def warehouse(self) -> duckdb.DuckDBPyConnection:
        """A sealed read-only cursor on the current build's warehouse (one per call: cursors are not thread-safe)."""
        con: duckdb.DuckDBPyConnection = self.resource("warehouse", lambda: self.workspace.connect(read_only=True))
        return con.cursor()

    def resource(self, key: str, load: Callable[[], T]) -> T:
        """Load a shared resource (model, index, connection) once per build, thread-safely."""
        with self._lock:
            self._follow_current()
            if key not in self._resources:
                self._resources[key] = load()
            value: T = self._resources[key]
            return value

    def _follow_current(self) -> None:
        """Forget what was loaded from a build that is no longer current (called with the lock held).

        The old connection is released, not closed: a cursor taken from it may still be finishing a query, and
        DuckDB keeps the unlinked file readable until its last cursor goes."""
        build = self.workspace.current_build()
        if build == self._build:
            return
        for key in [k for k in self._resources if k not in PROCESS_WIDE]:
            del self._resources[key]
        self._build = build

    def close(self) -> None:
        with self._lock:
            con = self._resources.pop("warehouse", None)
            if con is not None:
                con.close()
            self._resources.clear()

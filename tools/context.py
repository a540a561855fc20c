"""What every tool gets passed: settings, the workspace, the LLM client (for tools that write), and lazily
opened shared resources.

No module-level globals: the agent, the CLI and tests each build a ToolContext and pass it in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import duckdb

from assistant.core.llm_client import LLMClient
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace

T = TypeVar("T")


@dataclass
class ToolContext:
    settings: Settings
    workspace: Workspace
    llm: LLMClient | None = None  # set by the agent; tools that write (copy) need it
    _resources: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> ToolContext:
        return cls(settings=settings, workspace=Workspace(settings.home))

    def warehouse(self) -> duckdb.DuckDBPyConnection:
        """A read-only cursor on the current warehouse (one per call: cursors are not thread-safe)."""
        con: duckdb.DuckDBPyConnection = self.resource("warehouse", lambda: self.workspace.connect(read_only=True))
        return con.cursor()

    def resource(self, key: str, load: Callable[[], T]) -> T:
        """Load a shared resource (model, index, connection) once per context, thread-safely."""
        with self._lock:
            if key not in self._resources:
                self._resources[key] = load()
            value: T = self._resources[key]
            return value

    def close(self) -> None:
        with self._lock:
            con = self._resources.pop("warehouse", None)
            if con is not None:
                con.close()
            self._resources.clear()

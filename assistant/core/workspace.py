"""The workspace (MKA_HOME): everything built from data, swapped in atomically.

Layout::

    MKA_HOME/
      current -> builds/<id>     symlink, replaced atomically when an ingest succeeds
      builds/<id>/               warehouse.duckdb, chroma/, models/, manifest.json
      llm/                       assembled GGUF files, tiktoken cache
      llm/states/                saved prompt KV states of the local model, one file per key (see below)
      runs/                      eval and bench reports
      conversations.sqlite       agent memory (checkpointer)

A build is written into a fresh `builds/<id>` directory and only then made `current`, so a failed or
killed ingest never touches what readers see.

Saved prompt states live beside the model, not in the build: they are written by whichever process first
decodes a prompt (a build is written only by ingest), most of them (narration, copy) do not depend on the data,
and the one that does — the routing prompt, which lists the data's values — is keyed by the hash of its tokens,
so a new ingest simply names a new file; the old one is pruned as least recently used.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from rich.progress import Progress

    from assistant.core.settings import Settings

WAREHOUSE_FILE = "warehouse.duckdb"
MANIFEST_FILE = "manifest.json"


class WorkspaceMissingError(RuntimeError):
    """The workspace has not been built yet (or its current build is gone)."""


# What a reader of the warehouse (a tool, an eval's expect.sql) may do: query the one database file, nothing
# else. SQL reaches it from a model's arguments and from eval YAML, so the connection itself refuses files
# (read_csv, COPY ... TO), other databases (ATTACH), extensions (INSTALL/LOAD) and changing these settings.
# Settings are applied in this order; `lock_configuration` comes last or it would refuse the ones after it.
SEALED_SETTINGS: dict[str, str | bool | int] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "memory_limit": "1GB",  # several processes (UI, Slack, CLI) may read at once on a small machine
    "threads": 2,
    "lock_configuration": True,
}


def sealed_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one DuckDB file that cannot reach files, extensions or its own settings."""
    return duckdb.connect(str(path), read_only=True, config=dict(SEALED_SETTINGS))


@dataclass(frozen=True)
class Workspace:
    """Paths inside MKA_HOME. Cheap to construct; touches no file until asked."""

    home: Path

    @property
    def current(self) -> Path:
        return self.home / "current"

    @property
    def builds_dir(self) -> Path:
        return self.home / "builds"

    @property
    def warehouse_path(self) -> Path:
        return self.current / WAREHOUSE_FILE

    @property
    def chroma_dir(self) -> Path:
        return self.current / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.current / "models"

    @property
    def manifest_path(self) -> Path:
        return self.current / MANIFEST_FILE

    @property
    def llm_dir(self) -> Path:
        return self.home / "llm"

    @property
    def tiktoken_dir(self) -> Path:
        return self.llm_dir / "tiktoken"

    @property
    def prompt_states_dir(self) -> Path:
        return self.llm_dir / "states"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def conversations_path(self) -> Path:
        return self.home / "conversations.sqlite"

    def is_built(self) -> bool:
        return self.warehouse_path.is_file() and self.manifest_path.is_file()

    def require_built(self) -> None:
        if not self.is_built():
            raise WorkspaceMissingError(f"no workspace at {self.home}: run `mka ingest` (or `mka ingest --demo`) first")

    def manifest(self) -> dict[str, Any]:
        """What the current build was made from: sources, counts, synthetic or real."""
        self.require_built()
        data: dict[str, Any] = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        return data

    def connect(self, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        """Open the current warehouse; read-only it is also sealed (see `sealed_connection`)."""
        self.require_built()
        if read_only:
            return sealed_connection(self.warehouse_path.resolve())
        return duckdb.connect(str(self.warehouse_path), read_only=False)

    def current_build(self) -> Path | None:
        """The build `current` points at now (None before the first ingest): what a reader's cache is keyed to."""
        try:
            return self.current.resolve(strict=True)
        except (FileNotFoundError, RuntimeError):
            return None

    @contextlib.contextmanager
    def build(self) -> Iterator[BuildDir]:
        """Yield a fresh build directory; make it current only if the block finishes without error.

        Only one ingest runs at a time (an exclusive lock file). On any exception, including
        KeyboardInterrupt, the half-written build is removed and `current` is left as it was.
        """
        self.builds_dir.mkdir(parents=True, exist_ok=True)
        lock_path = self.home / ".ingest.lock"
        with open(lock_path, "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise RuntimeError(f"another ingest is running in {self.home}") from exc
            self._remove_stale_builds()
            # Two ingests of one process within a second (a build, then an append) need distinct ids.
            stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
            path, n = self.builds_dir / stamp, 1
            while path.exists():
                path, n = self.builds_dir / f"{stamp}-{n}", n + 1
            path.mkdir()
            try:
                yield BuildDir(path)
                self._activate(path)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
            self._remove_stale_builds()

    def _activate(self, path: Path) -> None:
        # rename() of a symlink over another is atomic on POSIX: readers see the old or the new build.
        tmp_link = self.home / f".current-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp_link.unlink()
        tmp_link.symlink_to(path.relative_to(self.home))
        os.replace(tmp_link, self.current)

    def _remove_stale_builds(self) -> None:
        """Delete builds that are not current (left by earlier swaps or killed ingests)."""
        keep = self.current.resolve() if self.current.is_symlink() else None
        for child in self.builds_dir.iterdir():
            if child.resolve() != keep:
                shutil.rmtree(child, ignore_errors=True)


@dataclass(frozen=True)
class BuildDir:
    """A build being written: the same layout as `current`, writable."""

    path: Path

    @property
    def warehouse_path(self) -> Path:
        return self.path / WAREHOUSE_FILE

    @property
    def chroma_dir(self) -> Path:
        return self.path / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.path / "models"

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        (self.path / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")


@dataclass
class BuildContext:
    """What an ingest build step gets: the build being written, a writable warehouse connection, settings."""

    build: BuildDir
    con: duckdb.DuckDBPyConnection
    settings: Settings
    progress: Progress
    synthetic: bool

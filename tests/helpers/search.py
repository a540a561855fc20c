"""Helpers for the search tests: a private workspace copy, a real Chroma server on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from tests.helpers.process import free_port, stop_process
from tools.context import ToolContext


def copy_workspace(source: Workspace, home: Path) -> Workspace:
    """A writable copy (appends and corruption tests must never touch the shared session workspaces)."""
    shutil.copytree(source.home, home, symlinks=True)
    return Workspace(home)


def context(ws: Workspace, chroma_url: str | None = None) -> ToolContext:
    return ToolContext.from_settings(Settings(home=ws.home, llm="scripted", chroma_url=chroma_url))


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """`chroma run` from the installed chromadb package on 127.0.0.1; yields its URL, stops it after."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    log = open(path.parent / "chroma-server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"chroma server did not start: {(path.parent / 'chroma-server.log').read_text()}"
                    ) from exc
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)
        log.close()


def index_into_server(ws: Workspace, url: str) -> None:
    """Index the workspace's warehouse into the server (vectors come from the copied embedding cache)."""
    from vectorstore.encoder import Encoder
    from vectorstore.index import index_warehouse
    from vectorstore.store import VectorStore

    build = ws.current.resolve()
    store = VectorStore.open(build, url, create=True)
    encoder = Encoder.load(ws.home)
    con = ws.connect(read_only=True)
    try:
        index_warehouse(con, store, encoder)
    finally:
        con.close()
        encoder.close()

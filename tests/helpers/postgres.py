"""A throwaway PostgreSQL server (Debian's, `make postgres`) in a temp dir on a free port, for the tests that
need a real database: the ingest source, conversations, the audit log."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.process import free_port


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    assert found[-1], f"PostgreSQL's {name} is not installed (make test installs Debian's postgresql)"
    return found[-1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields the URL of a fresh server; as root it runs as the `postgres` user (the server refuses root)."""
    data = Path(tempfile.mkdtemp(prefix="mka-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        [*as_user, pg_bin("initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "mka", "--no-sync"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB"
    pg_ctl = [*as_user, pg_bin("pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log")]
    subprocess.run([*pg_ctl, "-o", options, "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://mka@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def create_database(url: str, name: str) -> str:
    """A new empty database on the server of `url`; returns its URL (tests sharing a server stay apart)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"

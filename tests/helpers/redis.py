"""A throwaway Redis server (Debian's, `make redis`) on a free port in a temp dir, nothing persisted."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.process import free_port, stop_process


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Yields the server's URL (redis://127.0.0.1:PORT/0); stops it after."""
    import redis

    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed (make test installs Debian's redis-server)"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(folder / "redis.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                redis.Redis.from_url(url, socket_connect_timeout=1).ping()
                break
            except redis.exceptions.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start: {(folder / 'redis.log').read_text()}") from None
                time.sleep(0.1)
        yield url
    finally:
        stop_process(process)
        log.close()

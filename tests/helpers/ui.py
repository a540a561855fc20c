"""Shared pieces for the UI tests: a `mka ui` server in a subprocess, and Debian's chromium via Playwright."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import REPO
from tests.helpers.process import free_port, stop_process

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Launch flags that work on these machines (docs/offline.md); Playwright's own browser download does not.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BY_COUNTRY = "How many at-risk customers do we have, by country?"  # an example prompt in the UI
CHART = "#chat [data-testid=matplotlib] img"
BUSY = re.compile(r"^Working|running \d+ s", re.M)  # the spinner thought, or a tool step still running


@dataclass
class UIServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def check(self) -> None:
        """Fail at once, with the log, if the server died (e.g. a native crash) instead of waiting out a timeout."""
        if self.process.poll() is not None:
            raise AssertionError(f"mka ui exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}")


@contextmanager
def ui_server(env: dict[str, str], log_path: Path, startup_s: float = 240.0) -> Iterator[UIServer]:
    """Run `mka ui` on a free loopback port; yield it once it serves the page; stop it afterwards."""
    port = free_port()
    full_env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **env}
    mka = Path(sys.executable).parent / "mka"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(mka), "ui", "--host", "127.0.0.1", "--port", str(port)],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
        )  # fmt: skip
        server = UIServer(f"http://127.0.0.1:{port}/", process, log_path)
        try:
            deadline = time.monotonic() + startup_s
            while True:
                server.check()
                try:
                    with urllib.request.urlopen(server.url, timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"mka ui did not start in {startup_s:.0f} s:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
            yield server
        finally:
            stop_process(process)


def wait_for(page: Any, selector: str, timeout_s: float, server: UIServer) -> None:
    """Wait for `selector`, checking every 2 s that the server is still alive."""
    deadline = time.monotonic() + timeout_s
    while True:
        server.check()
        try:
            page.wait_for_selector(selector, timeout=2000)
            return
        except Exception as exc:  # playwright's TimeoutError
            if time.monotonic() > deadline:
                raise AssertionError(f"{selector!r} did not appear within {timeout_s:.0f} s") from exc


@contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator[tuple[Any, list[str]]]:
    """A chromium page, and the list of non-loopback URLs it tried to load (must stay empty: offline)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: run `make browser` (apt-get install chromium)"
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on(
                "request",
                lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else outside.append(r.url),
            )
            yield page, outside
        finally:
            browser.close()


def wait_for_answer(page: Any, server: UIServer, timeout_s: float, quiet_s: float = 4.0) -> str:
    """Wait until the turn is over: no running step or 'Working' spinner, and the chat text stopped changing."""
    deadline = time.monotonic() + timeout_s
    last, since = "", time.monotonic()
    while time.monotonic() < deadline:
        server.check()
        text = page.inner_text("#chat")
        busy = bool(BUSY.search(text))
        if text != last or busy:
            last, since = text, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return text
        page.wait_for_timeout(500)
    raise AssertionError(f"the answer did not finish within {timeout_s:.0f} s; chat so far:\n{last[-2000:]}")

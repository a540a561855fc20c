"""Shared fixtures: an isolated workspace per test, the real data, a guard against outside connections."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from assistant.core.settings import Settings, get_settings
from assistant.core.workspace import Workspace
from tools.context import ToolContext

if TYPE_CHECKING:
    from assistant.proactive.metrics import ShopMetrics

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("MKA_TEST_DATA_DIR", REPO.parent / "shared" / "data")).resolve()
RETAIL_CSV = SHARED_DATA / "online_retail" / "online_retail.csv.gz"
REVIEWS_CSV = SHARED_DATA / "clothing_reviews" / "womens_clothing_reviews.csv.gz"


REAL_DATA_TIMEOUT_S = 1800  # see `timeout` in pyproject.toml


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on `real_workspace` get REAL_DATA_TIMEOUT_S: whichever runs first also builds the workspace."""
    option = config.getoption("timeout", None)
    default = float(option if option is not None else (config.getini("timeout") or 0))
    if not default:
        return  # timeouts switched off (--timeout 0)
    for item in items:
        if "real_workspace" in getattr(item, "fixturenames", ()) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(max(default, REAL_DATA_TIMEOUT_S)))


def require_real_data() -> None:
    # Integration tests need ../shared/data; CI has it. A missing dataset is a failure, not a skip.
    assert RETAIL_CSV.is_file() and REVIEWS_CSV.is_file(), f"real data not found under {SHARED_DATA}"


@pytest.fixture
def mka_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh MKA_HOME for one test; settings re-read from the environment."""
    home = tmp_path / "mka-home"
    monkeypatch.setenv("MKA_HOME", str(home))
    monkeypatch.setenv("MKA_LLM", "scripted")
    monkeypatch.setenv("MKA_DATA_DIR", str(SHARED_DATA))
    # A command run in this home points TIKTOKEN_CACHE_DIR at it (setdefault, once per process): put back what
    # was there, or later tests would look for the tokenizer in this deleted home and try to download it.
    tiktoken_dir = os.environ.get("TIKTOKEN_CACHE_DIR")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
    if tiktoken_dir is None:
        os.environ.pop("TIKTOKEN_CACHE_DIR", None)
    else:
        os.environ["TIKTOKEN_CACHE_DIR"] = tiktoken_dir


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def _is_loopback(address: object) -> bool:
    if isinstance(address, str | bytes):
        return True  # AF_UNIX path
    if not (isinstance(address, tuple) and address):
        return False
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class OutsideConnectionError(AssertionError):
    pass


@pytest.fixture
def no_outside_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Fail on any connection or name lookup that is not loopback; yields the attempts seen."""
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            attempts.append(address)
            raise OutsideConnectionError(f"outside connection attempted: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            attempts.append(address)
            raise OutsideConnectionError(f"outside connection attempted: {address!r}")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in (None, "localhost") and not _is_loopback((host,)):
            attempts.append(host)
            raise OutsideConnectionError(f"outside name lookup attempted: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts


@pytest.fixture(scope="session")
def real_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The real datasets ingested once per test session, with every build step (shared, read-only)."""
    from rich.progress import Progress

    from assistant.core.offline import apply_offline_env
    from assistant.core.settings import Settings
    from assistant.ingest.pipeline import Sources, run_ingest

    require_real_data()
    prebuilt = os.environ.get("MKA_TEST_REAL_HOME")
    if prebuilt:
        # Local development only (CI leaves it unset): reuse a workspace built by `mka ingest` from the same data,
        # so parallel work on a 2-core machine does not pay for the real ingest in every pytest session.
        return Workspace(Path(prebuilt))
    home = tmp_path_factory.mktemp("real-workspace")
    settings = Settings(home=home, llm="scripted", data_dir=SHARED_DATA)
    apply_offline_env()
    with Progress(disable=True) as progress:
        run_ingest(Sources(data_dir=SHARED_DATA), settings, progress)
    return Workspace(settings.home)


@pytest.fixture(scope="module")
def real_shop_metrics(real_workspace: Workspace) -> Iterator[ShopMetrics]:
    """The proactive metrics (digest, watch) over the real shop, one connection per test module."""
    from assistant.proactive.metrics import ShopMetrics

    con = real_workspace.connect()
    yield ShopMetrics(con)
    con.close()


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The synthetic demo shop, with every build step (shared, read-only)."""
    from rich.progress import Progress

    from assistant.core.offline import apply_offline_env
    from assistant.core.settings import Settings
    from assistant.ingest.pipeline import Sources, run_ingest

    home = tmp_path_factory.mktemp("demo-workspace")
    settings = Settings(home=home, llm="scripted", data_dir=None)
    apply_offline_env()
    with Progress(disable=True) as progress:
        run_ingest(Sources(demo=True), settings, progress)
    return Workspace(settings.home)


def _tool_context(workspace: Workspace, data_dir: Path | None) -> Iterator[ToolContext]:
    context = ToolContext.from_settings(Settings(home=workspace.home, llm="scripted", data_dir=data_dir))
    yield context
    context.close()


@pytest.fixture(scope="module")
def demo_ctx(demo_workspace: Workspace) -> Iterator[ToolContext]:
    """A ToolContext over the demo workspace (scripted LLM, no data dir, as the demo was built); one per module."""
    yield from _tool_context(demo_workspace, data_dir=None)


@pytest.fixture(scope="module")
def real_ctx(real_workspace: Workspace) -> Iterator[ToolContext]:
    """A ToolContext over the real-data workspace (scripted LLM, the shared data dir); one per module."""
    yield from _tool_context(real_workspace, data_dir=SHARED_DATA)


@pytest.fixture(scope="session")
def embedded_gguf() -> Path:
    """The embedded 1.5B GGUF, assembled (once, sha256-checked) into the project's default workspace."""
    from assistant.core.offline import EMBEDDED_MODELS, assemble_gguf

    return assemble_gguf(EMBEDDED_MODELS["qwen2.5-coder-1.5b"], REPO / ".mka" / "llm")

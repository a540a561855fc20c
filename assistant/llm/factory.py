"""One factory for every provider. Nothing is constructed until `build_chat_model` is called."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel

from assistant.core.offline import EMBEDDED_MODELS, is_verified
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace


class LLMUnavailableError(RuntimeError):
    """The configured LLM cannot be used (missing weights, key or URL); the message says what to do."""


def local_model_path(settings: Settings) -> str:
    if settings.gguf_path is not None:
        if not settings.gguf_path.is_file():
            raise LLMUnavailableError(f"MKA_GGUF_PATH {settings.gguf_path} does not exist")
        return str(settings.gguf_path)
    model = EMBEDDED_MODELS[settings.local_model]
    path = Workspace(settings.home).llm_dir / model.file_name
    if not path.is_file():
        raise LLMUnavailableError(f"the embedded model {model.file_name} is not assembled: run `mka setup`")
    return str(path)


def local_model_sha256(settings: Settings, path: str) -> str | None:
    """The model file's sha256 when it is known without reading 1.1 GB: an embedded model (pinned, checked by
    `mka setup`) or a file `mka setup` verified; None for another GGUF (hashed once when a state is saved)."""
    if settings.gguf_path is None:
        return EMBEDDED_MODELS[settings.local_model].sha256
    for model in EMBEDDED_MODELS.values():
        if is_verified(Path(path), model.sha256):
            return model.sha256
    return None


def build_chat_model(settings: Settings) -> BaseChatModel:
    if settings.llm == "local":
        from assistant.llm.llamacpp.chat import STATE_SIZE_VS_Q8, LlamaCppChatModel

        cache_mb = settings.llm_state_cache_mb
        if "llm_state_cache_mb" not in settings.model_fields_set:
            # The default holds the routing, narration and copy prefixes with an 8-bit KV cache; f16 values make
            # each state 1.5x the size, an all-f16 cache 2x.
            cache_mb = int(cache_mb * STATE_SIZE_VS_Q8[settings.llm_kv_cache])
        path = local_model_path(settings)
        return LlamaCppChatModel(
            model_path=path,
            n_ctx=settings.llm_context,
            n_threads=settings.llm_threads,
            cache_bytes=cache_mb << 20,
            kv_cache=settings.llm_kv_cache,
            temperature=settings.llm_temperature,
            state_dir=str(Workspace(settings.home).prompt_states_dir) if settings.llm_state_files_mb > 0 else None,
            state_dir_bytes=settings.llm_state_files_mb << 20,
            model_sha256=local_model_sha256(settings, path),
        )
    if settings.llm in ("openai", "openai-compatible"):
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        if settings.llm == "openai":
            if not settings.openai_api_key:
                raise LLMUnavailableError("MKA_LLM=openai needs OPENAI_API_KEY")
            return ChatOpenAI(
                model=settings.llm_model,
                api_key=SecretStr(settings.openai_api_key),
                temperature=settings.llm_temperature,
                stream_usage=True,
                timeout=settings.llm_timeout,
                max_retries=1,
            )
        if not settings.llm_base_url:
            raise LLMUnavailableError("MKA_LLM=openai-compatible needs MKA_LLM_BASE_URL")
        return ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=SecretStr(settings.llm_api_key or settings.openai_api_key or "not-needed"),
            temperature=settings.llm_temperature,
            stream_usage=True,
            timeout=settings.llm_timeout,
            max_retries=1,
        )
    from assistant.llm.scripted import ScriptedChatModel

    # Scripted is for tests and demos of the front doors: rules from MKA_SCRIPT_FILE, if given.
    return ScriptedChatModel.from_file(settings.script_file) if settings.script_file else ScriptedChatModel()

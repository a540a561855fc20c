"""The one place every LLM call goes through: JSON-schema-constrained output, streaming, usage, prompt log.

Structured output must work on every provider:
- in-process llama.cpp and llama.cpp's server: `{"type": "json_object", "schema": ...}` (a grammar);
- OpenAI and vLLM: `{"type": "json_schema", "json_schema": {...}}`;
- `auto` (default for OpenAI-compatible servers) tries json_schema and falls back to the llama.cpp form once.
Whatever comes back is parsed and validated by the caller; a model that ignores the schema gets a
StructuredOutputError, never a half-parsed dict.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from assistant.core.privacy import mask_pii, open_private

SchemaMode = Literal["auto", "json_schema", "json_object", "none"]


class StructuredOutputError(ValueError):
    """The model's output was not the JSON asked for."""


# llama.cpp expands length bounds into repeated grammar rules: a 100k maxLength crashes it, so the grammar
# gets modest caps (pydantic still enforces the real limits when the caller validates the result).
GRAMMAR_MAX_LENGTH = 500
GRAMMAR_MAX_ITEMS = 50


def grammar_safe(schema: Any) -> Any:
    """A copy of a JSON schema with string/array bounds capped to what a llama.cpp grammar can hold."""
    if isinstance(schema, list):
        return [grammar_safe(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: grammar_safe(v) for k, v in schema.items()}
    if isinstance(out.get("maxLength"), int) and out["maxLength"] > GRAMMAR_MAX_LENGTH:
        out["maxLength"] = GRAMMAR_MAX_LENGTH
    if isinstance(out.get("maxItems"), int) and out["maxItems"] > GRAMMAR_MAX_ITEMS:
        out["maxItems"] = GRAMMAR_MAX_ITEMS
    return out


def parse_json_object(text: str) -> dict[str, Any]:
    cleaned = text.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", cleaned, re.S)
    if fence:
        cleaned = fence.group(1)
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end < start:
        raise StructuredOutputError(f"no JSON object in model output: {text[:200]!r}")
    try:
        value = json.loads(cleaned[start : end + 1])
    except json.JSONDecodeError as exc:
        raise StructuredOutputError(f"invalid JSON from model ({exc.msg}): {text[:200]!r}") from exc
    if not isinstance(value, dict):
        raise StructuredOutputError("model output is not a JSON object")
    return value


@dataclass
class Usage:
    """Tokens of one unit of work (an agent turn). Held in a context variable, not on the shared client: turns
    served at the same time each count their own calls. Thread-safe: a turn's nodes may run on pool threads."""

    prompt: int = 0
    completion: int = 0
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, prompt: int, completion: int) -> None:
        with self._lock:
            self.prompt += prompt
            self.completion += completion
            self.calls += 1


_usage: ContextVar[Usage | None] = ContextVar("mka_llm_usage", default=None)


def count_usage_in(usage: Usage) -> None:
    """From now on, LLM calls made in the current context (and contexts copied from it: LangGraph's node
    threads) add to `usage`. Call it inside the turn's own `contextvars.Context` (`Context.run`)."""
    _usage.set(usage)


@contextmanager
def counting_usage() -> Iterator[Usage]:
    """Count the tokens of the LLM calls made inside the block (in this context) into a fresh Usage."""
    usage = Usage()
    token = _usage.set(usage)
    try:
        yield usage
    finally:
        _usage.reset(token)


class LLMClient:
    def __init__(self, model: BaseChatModel, schema_mode: SchemaMode = "auto", log_path: Path | None = None) -> None:
        self.model = model
        self.log_path = log_path
        self._mode = schema_mode if schema_mode != "auto" else self._default_mode()
        self._auto = schema_mode == "auto" and self._mode == "json_schema"
        self._log_lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return str(getattr(self.model, "model_name", None) or getattr(self.model, "_llm_type", "llm"))

    def _default_mode(self) -> SchemaMode:
        kind = getattr(self.model, "_llm_type", "")
        if kind == "llama-cpp":
            return "json_object"
        if kind == "scripted":
            return "none"
        return "json_schema"

    def _record(self, purpose: str, messages: list[BaseMessage], output: str, usage: dict[str, Any] | None) -> None:
        counter = _usage.get()
        if counter is not None:
            usage = usage or {}
            counter.add(int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0)))
        if self.log_path is None:
            return
        # The log outlives the conversation: it gets what a prompt may carry only masked, and only its owner reads it.
        entry = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "purpose": purpose,
            "model": self.model_name,
            "messages": [{"role": m.type, "content": mask_pii(str(m.content))} for m in messages],
            "output": mask_pii(output),
        }
        with self._log_lock:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open_private(self.log_path, "a") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def _response_format(self, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        schema = grammar_safe(schema)
        if self._mode == "json_object":
            return {"type": "json_object", "schema": schema}
        if self._mode == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}
        return None

    def json(
        self, purpose: str, messages: list[BaseMessage], schema: dict[str, Any], name: str, max_tokens: int = 256
    ) -> dict[str, Any]:
        """One schema-constrained completion, parsed to a dict (validation is the caller's)."""
        try:
            message = self.model.invoke(
                messages, response_format=self._response_format(schema, name), max_tokens=max_tokens
            )
        except Exception as exc:
            # An OpenAI-compatible server that rejects json_schema (llama.cpp's) gets the other form, once.
            if self._auto and ("response_format" in str(exc) or "422" in str(exc)):
                self._mode, self._auto = "json_object", False
                message = self.model.invoke(
                    messages, response_format=self._response_format(schema, name), max_tokens=max_tokens
                )
            else:
                raise
        text = str(message.content)
        self._record(purpose, messages, text, getattr(message, "usage_metadata", None))
        return parse_json_object(text)

    def stream(
        self,
        purpose: str,
        messages: list[BaseMessage],
        max_tokens: int = 400,
        until: Callable[[str], int | None] | None = None,
    ) -> Iterator[str]:
        """Stream text pieces; usage and the prompt are recorded when the stream ends.

        `until(text so far)` returns where the text is complete (an index into it) or None: the stream then
        stops there, and the model stops generating."""
        pieces: list[str] = []
        usage: dict[str, int] = {}
        stream = self.model.stream(messages, max_tokens=max_tokens)
        try:
            for chunk in stream:
                for key, value in (getattr(chunk, "usage_metadata", None) or {}).items():
                    if isinstance(value, int):  # summed: providers report per chunk or once at the end
                        usage[key] = usage.get(key, 0) + value
                text = str(chunk.content) if chunk.content else ""
                if not text:
                    continue
                if until is not None:
                    done = "".join(pieces)
                    end = until(done + text)
                    if end is not None:
                        text = (done + text)[len(done) : max(end, len(done))]
                        if text:
                            pieces.append(text)
                            yield text
                        break
                pieces.append(text)
                yield text
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            if pieces and not usage.get("output_tokens"):  # stopped before a provider's end-of-stream usage
                usage["output_tokens"] = len(pieces)
            self._record(purpose, messages, "".join(pieces), usage or None)

    def text(self, purpose: str, messages: list[BaseMessage], max_tokens: int = 400) -> str:
        return "".join(self.stream(purpose, messages, max_tokens=max_tokens))

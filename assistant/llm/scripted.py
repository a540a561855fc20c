"""A scripted fake chat model: replays queued outputs in order. The one fake used by every agent unit test.

Each queued item is a string, or a callable taking the messages and returning a string (to assert on the
prompt a step received). `calls` records every prompt; `assert_complete()` fails if outputs were left over.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

Script = str | dict[str, Any] | Callable[[list[BaseMessage]], str]


class ScriptExhaustedError(AssertionError):
    pass


class Rule(BaseModel):
    """Answer `output` whenever the prompt's last message matches `match` (a regex); never consumed."""

    match: str
    output: str | dict[str, Any]
    purpose: str | None = Field(default=None, description="Only for this kind of call: route, respond, copy.")


class ScriptedChatModel(BaseChatModel):
    outputs: list[Script] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    calls: list[dict[str, Any]] = Field(default_factory=list)
    fail_with: Exception | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def model_name(self) -> str:
        return "scripted"

    def enqueue(self, *outputs: Script) -> ScriptedChatModel:
        self.outputs.extend(outputs)
        return self

    def assert_complete(self) -> None:
        if self.outputs:
            raise AssertionError(f"{len(self.outputs)} scripted outputs were never used: {self.outputs!r}")

    @classmethod
    def from_file(cls, path: Path) -> ScriptedChatModel:
        """Rules (and optional queued outputs) from YAML: {rules: [{match, output, purpose?}], outputs: [...]}."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(rules=[Rule.model_validate(r) for r in data.get("rules", [])], outputs=data.get("outputs", []))

    def _rule_output(self, messages: list[BaseMessage]) -> str | None:
        system = str(messages[0].content) if messages else ""
        kind = "route" if "You route" in system else "copy" if "marketing copy" in system else "respond"
        last = str(messages[-1].content) if messages else ""
        request = last.rsplit("Request:", 1)[-1] if kind == "route" else last
        for rule in self.rules:
            if rule.purpose not in (None, kind):
                continue
            if re.search(rule.match, request, re.I | re.S):
                return json.dumps(rule.output) if isinstance(rule.output, dict) else rule.output
        return None

    def _next(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        with self._lock:
            self.calls.append({"messages": messages, "kwargs": kwargs})
            ruled = self._rule_output(messages)
            if ruled is not None:
                return ruled
            if not self.outputs:
                raise ScriptExhaustedError(f"no scripted output left for prompt: {messages[-1].content!r:.300}")
            item = self.outputs.pop(0)
        if callable(item):
            return item(messages)
        if isinstance(item, dict):
            return json.dumps(item)
        return item

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self._next(messages, kwargs)
        usage = UsageMetadata(input_tokens=10, output_tokens=len(text.split()), total_tokens=10 + len(text.split()))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text, usage_metadata=usage))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self._next(messages, kwargs)
        words = text.split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        usage = UsageMetadata(input_tokens=10, output_tokens=len(words), total_tokens=10 + len(words))
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))

"""A local OpenAI-compatible chat server for load tests: fixed per-token delay, answers derived from the request.

It isolates the agent's own overhead under concurrency from a real model's speed: every request costs its reply's
token count times `token_delay_s`, served asynchronously (one event loop, no limit on concurrent requests, like
vLLM). What it answers is a pure function of the request, so a caller can check that each answer belongs to its
own question:
- a routing request (`response_format` carries the decision's JSON schema) names a country of the schema's
  `segment_query` enum in its "Request:" line -> `{"tool": "segment_query", "args": {"countries": [that]}}`;
  otherwise `{"tool": "answer"}`;
- any other request (the narration, streamed) -> two sentences naming the country of the turn's
  `[segment_query {...}]` result and citing its first fact id.
Every reply's usage is logged by the question it answered (`Served`), to check per-turn token counts.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

ROUTE_TOOL = "segment_query"
ROUTE_FIELD = "countries"
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])")  # a "token": a word or a punctuation mark, with the space before it
_REQUEST = re.compile(r"^Request: (.+)$", re.M)
_NARRATION_REQUEST = re.compile(r"^Marketer's request: (.+)$", re.M)
_STEP = re.compile(r"^\[" + ROUTE_TOOL + r" (\{.*\})\]$", re.M)
_FACT = re.compile(r"^\[(f\d+)\] ", re.M)


@dataclass(frozen=True)
class Served:
    question: str  # the marketer's request the call was made for ("" when the prompt names none)
    purpose: str  # route | narrate
    prompt_tokens: int
    completion_tokens: int
    concurrent: int  # requests in flight when this one arrived, itself included


@dataclass
class StandInLog:
    served: list[Served] = field(default_factory=list)
    peak_concurrency: int = 0
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def enter(self) -> int:
        with self._lock:
            self._in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self._in_flight)
            return self._in_flight

    def leave(self, served: Served) -> None:
        with self._lock:
            self._in_flight -= 1
            self.served.append(served)

    def usage_by_question(self) -> dict[str, tuple[int, int]]:
        """(prompt, completion) tokens summed per question over every call made for it."""
        out: dict[str, tuple[int, int]] = {}
        with self._lock:
            for s in self.served:
                p, c = out.get(s.question, (0, 0))
                out[s.question] = (p + s.prompt_tokens, c + s.completion_tokens)
        return out


def pieces(text: str) -> list[str]:
    return _PIECE.findall(text)


def _messages_text(messages: list[dict[str, Any]]) -> str:
    parts = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):  # content parts
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    return "\n".join(parts)


def _enum_of(schema: Any, tool: str, name: str) -> list[str]:
    """The enum of argument `name` of `tool`'s branch in a decision schema (empty when there is none)."""
    for branch in (schema or {}).get("anyOf", []):
        if (branch.get("properties", {}).get("tool") or {}).get("const") != tool:
            continue
        prop = branch["properties"].get("args", {}).get("properties", {}).get(name, {})
        for option in prop.get("anyOf", [prop]):
            items = option.get("items") or {}
            if isinstance(items.get("enum"), list):
                return [str(v) for v in items["enum"]]
    return []


def _schema(response_format: dict[str, Any] | None) -> Any:
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        return (response_format.get("json_schema") or {}).get("schema")
    return response_format.get("schema")


def route_reply(prompt: str, schema: Any) -> tuple[str, str]:
    """(the question, the decision as JSON text) for a routing request."""
    found = _REQUEST.findall(prompt)
    question = found[-1].strip() if found else ""
    names = sorted(_enum_of(schema, ROUTE_TOOL, ROUTE_FIELD), key=len, reverse=True)  # "United Kingdom" before "UK"
    for name in names:
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", question):
            return question, json.dumps({"tool": ROUTE_TOOL, "args": {ROUTE_FIELD: [name]}})
    return question, json.dumps({"tool": "answer"})


def narration_reply(prompt: str) -> tuple[str, str]:
    """(the question, two sentences about the turn's own segment_query result)."""
    found = _NARRATION_REQUEST.findall(prompt)
    question = found[-1].strip() if found else ""
    step = _STEP.search(prompt)
    countries = json.loads(step.group(1)).get(ROUTE_FIELD, []) if step else []
    place = " and ".join(countries) or "this shop"
    fact = _FACT.search(prompt)
    cited = f" {{{fact.group(1)}}}" if fact else ""
    return question, (
        f"Customers in {place} are the group shown above:{cited}. They are worth a campaign of their own, so plan "
        f"the next one for {place} with an offer that suits how recently and how often they buy."
    )


def build_app(token_delay_s: float, log: StandInLog) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    async def completions(request: Request) -> Response:
        body = await request.json()
        concurrent = log.enter()
        prompt = _messages_text(body.get("messages") or [])
        prompt_tokens = len(pieces(prompt))
        response_format = body.get("response_format")
        if response_format:
            question, text = route_reply(prompt, _schema(response_format))
            purpose = "route"
        else:
            question, text = narration_reply(prompt)
            purpose = "narrate"
        words = pieces(text)
        served = Served(question, purpose, prompt_tokens, len(words), concurrent)
        model = str(body.get("model") or "stand-in")
        ident = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(words),
                 "total_tokens": prompt_tokens + len(words)}  # fmt: skip
        if not body.get("stream"):
            try:
                await asyncio.sleep(token_delay_s * len(words))
            finally:
                log.leave(served)
            message = {"role": "assistant", "content": text}
            return JSONResponse({"id": ident, "object": "chat.completion", "created": int(time.time()), "model": model,
                                 "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                                 "usage": usage})  # fmt: skip
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        async def events() -> AsyncIterator[str]:
            try:
                for word in words:
                    await asyncio.sleep(token_delay_s)
                    delta = {"index": 0, "delta": {"content": word}, "finish_reason": None}
                    yield _sse({"id": ident, "object": "chat.completion.chunk", "model": model, "choices": [delta]})
                done = {"index": 0, "delta": {}, "finish_reason": "stop"}
                yield _sse({"id": ident, "object": "chat.completion.chunk", "model": model, "choices": [done]})
                if with_usage:
                    yield _sse({"id": ident, "object": "chat.completion.chunk", "model": model, "choices": [],
                                "usage": usage})  # fmt: skip
                yield "data: [DONE]\n\n"
            finally:
                log.leave(served)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "stand-in", "object": "model"}]})

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"]),
                             Route("/v1/models", models, methods=["GET"])])  # fmt: skip


def _sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data)}\n\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(token_delay_s: float, port: int | None = None) -> Iterator[tuple[str, StandInLog]]:
    """Run the stand-in on 127.0.0.1 in a background thread: (base URL ending in /v1, its log); stopped on exit."""
    import uvicorn

    log = StandInLog()
    port = port or free_port()
    config = uvicorn.Config(
        build_app(token_delay_s, log), host="127.0.0.1", port=port, log_level="warning", lifespan="off",
        backlog=256, timeout_keep_alive=30,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="llm-stand-in", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the stand-in LLM server did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1", log
    finally:
        server.should_exit = True
        thread.join(timeout=10)

"""Slack test doubles: a local fake of Slack's Web API, signed Events API requests, and a bot served over HTTP.

The fake records every call (chat.postMessage, chat.update, files.getUploadURLExternal, the upload itself,
files.completeUploadExternal, auth.test) and answers with Slack-shaped JSON. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_sdk.signature import SignatureVerifier

from assistant.agent.runner import Agent
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.scripted import ScriptedChatModel
from assistant.slack.app import build_app
from assistant.slack.responder import PLACEHOLDER, AgentProvider, Responder
from assistant.slack.server import http_server
from assistant.slack.settings import SlackSettings
from tests.helpers.agent import make_agent

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T1"


@dataclass
class ApiCall:
    method: str
    payload: dict[str, Any]
    authorization: str | None


@dataclass
class FakeSlack:
    """Slack's Web API on 127.0.0.1: `url` is the base URL to give a WebClient."""

    calls: list[ApiCall] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def base(self) -> str:
        assert self._server is not None, "FakeSlack not started"
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def url(self) -> str:
        return self.base + "/api/"

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path, _, query = self.path.partition("?")
                if path.startswith("/upload/"):
                    with fake._lock:
                        fake.uploads[path.rsplit("/", 1)[1]] = raw
                    self._reply(200, b"OK - %d" % len(raw), "text/plain")
                    return
                method = path.removeprefix("/api/")
                payload = fake._payload(raw, self.headers.get("Content-Type") or "", query)
                with fake._lock:
                    fake.calls.append(ApiCall(method, payload, self.headers.get("Authorization")))
                body = json.dumps(fake._respond(method, payload)).encode()
                self._reply(200, body, "application/json; charset=utf-8")

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @staticmethod
    def _payload(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
        payload: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
        text = raw.decode("utf-8") if raw else ""
        if "json" in content_type and text:
            payload.update(json.loads(text))
        elif text:
            payload.update({k: v[-1] for k, v in urllib.parse.parse_qs(text).items()})
        for key in ("blocks", "files"):  # form-encoded calls carry these as JSON strings
            if isinstance(payload.get(key), str):
                payload[key] = json.loads(payload[key])
        return payload

    def _respond(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "mka", "team_id": TEAM,
                    "user_id": BOT_USER, "bot_id": BOT_ID}  # fmt: skip
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            message = {"text": payload.get("text"), "ts": ts, "thread_ts": payload.get("thread_ts")}
            return {"ok": True, "channel": payload.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": payload.get("channel"), "ts": payload.get("ts"), "text": payload.get("text")}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in payload.get("files", [])]}
        return {"ok": False, "error": "unknown_method"}

    # ------------------------------------------------------------ what the bot did

    def to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.payload for c in self.calls if c.method == method]

    def finished(self) -> list[dict[str, Any]]:
        """chat.update calls that replaced the placeholder with something else than progress."""
        return [u for u in self.to("chat.update") if not str(u.get("text", "")).startswith(PLACEHOLDER)]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; calls so far: {[c.method for c in self.calls]}")
            time.sleep(0.02)


def blocks_text(payload: dict[str, Any]) -> str:
    """All the text a chat.postMessage/update payload shows, blocks and fallback."""
    parts = [str(payload.get("text") or "")]
    for block in payload.get("blocks") or []:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(e.get("text", "") for e in block.get("elements", []))
    return "\n".join(parts)


# ---------------------------------------------------------------- Events API payloads and signed requests


def mention(text: str, *, ts: str, event_id: str, channel: str = "C1", thread_ts: str | None = None,
            user: str = "U1") -> dict[str, Any]:  # fmt: skip
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel,
             "event_ts": ts, "team": TEAM}  # fmt: skip
    if thread_ts:
        event["thread_ts"] = thread_ts
    return envelope(event, event_id)


def direct_message(text: str, *, ts: str, event_id: str, channel: str = "D1", user: str = "U1",
                   bot_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    event = {"type": "message", "channel_type": "im", "user": user, "text": text, "ts": ts, "channel": channel,
             "event_ts": ts, "team": TEAM}  # fmt: skip
    if bot_id:
        event["bot_id"] = bot_id
    return envelope(event, event_id)


def envelope(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {"token": "unused", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()), "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}  # fmt: skip


def post_event(url: str, payload: dict[str, Any], *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
               signature: str | None = None, headers: dict[str, str] | None = None) -> int:  # fmt: skip
    """POST a payload the way Slack does (signed with `secret` at `timestamp`); returns the HTTP status."""
    body = json.dumps(payload)
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = signature or SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    request = urllib.request.Request(
        url, data=body.encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
                 **(headers or {})},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


# ---------------------------------------------------------------- the bot, served over HTTP


def slack_settings(api_url: str) -> SlackSettings:
    return SlackSettings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, MKA_SLACK_API_URL=api_url)


@dataclass
class RunningBot:
    events_url: str
    slack: FakeSlack
    model: ScriptedChatModel
    agent: Agent
    responder: Responder

    def post(self, payload: dict[str, Any], **kwargs: Any) -> int:
        return post_event(self.events_url, payload, **kwargs)


@contextmanager
def running_bot(
    workspace: Workspace,
    *outputs: Any,
    agents: AgentProvider | None = None,
    responder_options: dict[str, Any] | None = None,
) -> Iterator[RunningBot]:
    """The real Bolt app on 127.0.0.1 (HTTP mode), its WebClient pointed at a FakeSlack, a scripted agent;
    `responder_options` go to the Responder (allow-lists, rate limit, workers, queue size)."""
    fake = FakeSlack().start()
    agent, model = make_agent(workspace, *outputs)
    settings = Settings(home=workspace.home, llm="scripted")
    provider = agents or AgentProvider(settings, factory=lambda: agent)
    responder = Responder(provider, **(responder_options or {}))
    app = build_app(slack_settings(fake.url), responder, http=True)
    server = http_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningBot(f"http://127.0.0.1:{server.server_port}/slack/events", fake, model, agent, responder)
    finally:
        server.shutdown()
        server.server_close()
        app.listener_runner.listener_executor.shutdown(wait=True)  # type: ignore[attr-defined]
        responder.close(wait=True)  # answers still being written finish before the fake Slack goes away
        fake.stop()

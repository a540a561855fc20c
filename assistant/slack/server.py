"""Running the Bolt app: HTTP mode (POST /slack/events on a threaded WSGI server) or Socket Mode.

HTTP mode uses Bolt's WSGI adapter on the standard library's server with a thread per request (each request
only verifies, acks and hands off, so this is plenty); `wsgi_app()` also runs under any WSGI server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("assistant.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1_000_000  # Slack's event payloads are a few KB


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # an in-flight request never blocks shutdown
    allow_reuse_address = True


class _LoggingHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


def wsgi_app(app: App, path: str = EVENTS_PATH) -> WSGIApplication:
    """Bolt's WSGI adapter plus a health check, refusing oversized bodies before reading them."""
    bolt = SlackRequestHandler(app, path=path)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            start_response("413 Payload Too Large", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"payload too large"]
        if not str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "0")).isdigit():
            # Bolt's verifier would fail with a 500 on a non-numeric timestamp; it is simply not signed by Slack.
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b'{"error": "invalid request"}']
        return bolt(environ, start_response)

    return application


def http_server(app: App, host: str, port: int, path: str = EVENTS_PATH) -> ThreadingWSGIServer:
    """A bound server (port 0 picks a free one: see `server.server_port`); call `serve_forever()` to run it."""
    server = make_server(
        host, port, wsgi_app(app, path), server_class=ThreadingWSGIServer, handler_class=_LoggingHandler
    )
    assert isinstance(server, ThreadingWSGIServer)
    return server


def serve_http(app: App, host: str, port: int, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted."""
    server = http_server(app, host, port)
    if on_ready:
        on_ready(f"http://{host}:{server.server_port}{EVENTS_PATH}")
    try:
        server.serve_forever()
    finally:
        server.server_close()


def serve_socket_mode(app: App, app_token: str) -> None:
    """Connect out to Slack over a WebSocket (no public URL needed) and handle events until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()

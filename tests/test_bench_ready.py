"""`mka bench ready` times a front door's start: its first HTTP answer and its model-ready line (bench/ready.py)."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest

from bench.ready import _free_port, _slack_stub, time_start

SERVER = """
import sys, time
from http.server import HTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404); self.end_headers()
    def log_message(self, *a): pass
time.sleep(0.3)
server = HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("Local model ready (routing prompt cached in 0.1 s)", flush=True)
server.serve_forever()
"""


def test_a_start_is_timed_to_serving_and_to_the_ready_line(tmp_path: Path) -> None:
    port = _free_port()
    moments = time_start([sys.executable, "-c", SERVER, str(port)], port, dict(os.environ), tmp_path)
    assert 0.3 <= moments["serving_s"] < 60 and 0.3 <= moments["model_ready_s"] < 60


def test_a_process_that_dies_is_an_error_with_its_output(tmp_path: Path) -> None:
    dying = [sys.executable, "-c", "print('no workspace here'); raise SystemExit(3)"]
    with pytest.raises(RuntimeError, match="exited with 3:\nno workspace here"):
        time_start(dying, _free_port(), dict(os.environ), tmp_path)


def test_the_slack_stub_answers_auth_test() -> None:
    with _slack_stub() as api_url:
        reply = urllib.request.urlopen(urllib.request.Request(api_url + "auth.test", data=b"", method="POST"))
        assert json.loads(reply.read())["ok"] is True

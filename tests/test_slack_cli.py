"""`mka slack`: clear errors for missing tokens, Socket Mode dispatch, and the real command serving HTTP mode."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from slack_bolt import BoltRequest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.slack.app import build_app
from assistant.slack.responder import AgentProvider, Responder
from assistant.slack.settings import SlackSettings
from tests.helpers.agent import make_agent
from tests.helpers.process import free_port
from tests.helpers.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, blocks_text, direct_message, mention, post_event

SLACK_ENV = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "MKA_SLACK_API_URL")


@pytest.fixture
def no_slack_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env with real tokens


def test_missing_tokens_are_named(mka_home: Path, cli: CliRunner, no_slack_env: None) -> None:
    result = cli.invoke(app, ["slack"])
    assert result.exit_code == 1 and "SLACK_BOT_TOKEN is not set" in result.output
    result = cli.invoke(app, ["slack"], env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.exit_code == 1 and "SLACK_APP_TOKEN is not set" in result.output
    result = cli.invoke(app, ["slack", "--http"], env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.exit_code == 1 and "SLACK_SIGNING_SECRET is not set" in result.output


def test_socket_mode_events_reach_the_same_listeners_without_signatures(demo_workspace: Workspace) -> None:
    fake = FakeSlack().start()
    try:
        agent, model = make_agent(demo_workspace, {"tool": "answer"}, "Hello from Socket Mode.")
        provider = AgentProvider(Settings(home=demo_workspace.home, llm="scripted"), factory=lambda: agent)
        slack = SlackSettings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN="xapp-1", MKA_SLACK_API_URL=fake.url)
        responder = Responder(provider)
        bolt = build_app(slack, responder, http=False)
        payload = direct_message("hello", ts="50.000001", event_id="EvSocket")
        for _ in range(2):  # Socket Mode retries carry the same event id
            assert bolt.dispatch(BoltRequest(body=payload, mode="socket_mode")).status == 200
        fake.wait_for(lambda: len(fake.finished()) == 1)
        bolt.listener_runner.listener_executor.shutdown(wait=True)  # type: ignore[attr-defined]
        responder.close(wait=True)
        assert len(fake.to("chat.postMessage")) == 1
        assert "Hello from Socket Mode." in blocks_text(fake.finished()[0])
        model.assert_complete()
    finally:
        fake.stop()


@pytest.mark.subprocess
def test_mka_slack_http_serves_signed_events(demo_workspace: Workspace, tmp_path: Path) -> None:
    # A home of its own (conversation memory is written there) that reads the shared demo build.
    home = tmp_path / "home"
    home.mkdir()
    (home / "current").symlink_to(demo_workspace.current.resolve())
    script = tmp_path / "script.yaml"
    script.write_text(yaml.safe_dump({"rules": [
        {"match": "what can you do", "output": {"tool": "answer"}, "purpose": "route"},
        {"match": ".", "output": "I answer questions about your shop.", "purpose": "respond"},
    ]}), encoding="utf-8")  # fmt: skip
    fake = FakeSlack().start()
    port = free_port()
    env = {**os.environ, "MKA_HOME": str(home), "MKA_LLM": "scripted", "MKA_SCRIPT_FILE": str(script),
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "MKA_SLACK_API_URL": fake.url}  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    mka = Path(sys.executable).parent / "mka"
    process = subprocess.Popen(
        [str(mka), "slack", "--http", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        url = f"http://127.0.0.1:{port}/slack/events"
        assert post_event(url, mention("what can you do?", ts="60.000001", event_id="EvCli")) == 200
        assert post_event(url, mention("what can you do?", ts="60.000001", event_id="EvCli"), secret="wrong") == 401
        fake.wait_for(lambda: len(fake.finished()) == 1)
        assert "I answer questions about your shop." in blocks_text(fake.finished()[0])
        assert fake.to("chat.postMessage")[0]["thread_ts"] == "60.000001"
        assert all(c.authorization == f"Bearer {BOT_TOKEN}" for c in fake.calls)
        assert (home / "conversations.sqlite").is_file()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
        fake.stop()
    assert "listening on http://127.0.0.1:" in output and "agent ready: model scripted" in output


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"mka slack exited early: {process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("mka slack --http did not come up")

"""Two `mka slack --http` processes sharing one Redis (Debian's redis-server, started here) receive the same 50
events, each also re-delivered with X-Slack-Retry-Num to both: exactly 50 answers reach the fake Slack API."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from assistant.core.workspace import Workspace
from assistant.slack.dedupe import RedisSeenEvents, RedisUnavailableError, redis_client
from tests.helpers.process import free_port, stop_process
from tests.helpers.redis import redis_server
from tests.helpers.slack import SIGNING_SECRET, FakeSlack, mention, post_event
from tests.test_slack_cli import _wait_healthy

pytestmark = pytest.mark.subprocess
EVENTS = 50


@contextmanager
def bot_process(home: Path, tmp: Path, fake: FakeSlack, token: str, redis_url: str) -> Iterator[str]:
    """`mka slack --http` with the scripted model; yields its events URL."""
    port = free_port()
    env = {**os.environ, "MKA_HOME": str(home), "MKA_LLM": "scripted", "MKA_SCRIPT_FILE": str(tmp / "script.yaml"),
           "SLACK_BOT_TOKEN": token, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "MKA_SLACK_API_URL": fake.url,
           "MKA_REDIS_URL": redis_url, "MKA_SLACK_RATE_LIMIT": "1000", "MKA_SLACK_QUEUE": "200",
           "MKA_SLACK_WORKERS": "2"}  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    log = open(tmp / f"bot-{token}.log", "w")  # noqa: SIM115 - closed below
    mka = Path(sys.executable).parent / "mka"
    process = subprocess.Popen(
        [str(mka), "slack", "--http", "--port", str(port)], env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        stop_process(process)
        log.close()


def _settled(fake: FakeSlack, quiet_s: float = 2.0) -> None:
    """Wait until the bots stop calling Slack (every admitted question is answered before we count)."""
    seen, since = len(fake.calls), time.monotonic()
    while time.monotonic() - since < quiet_s:
        time.sleep(0.1)
        if len(fake.calls) != seen:
            seen, since = len(fake.calls), time.monotonic()


def test_two_bot_processes_sharing_redis_answer_each_event_once(demo_workspace: Workspace, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "current").symlink_to(demo_workspace.current.resolve())
    (tmp_path / "script.yaml").write_text(yaml.safe_dump({"rules": [
        {"match": ".", "output": {"tool": "answer"}, "purpose": "route"},
        {"match": ".", "output": "Here is what I know.", "purpose": "respond"},
    ]}), encoding="utf-8")  # fmt: skip
    fake = FakeSlack().start()
    with ExitStack() as stack:
        url = stack.enter_context(redis_server(tmp_path / "redis"))
        bots = [stack.enter_context(bot_process(home, tmp_path, fake, token, url)) for token in ("xoxb-a", "xoxb-b")]
        deliveries: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        for i in range(EVENTS):
            payload = mention(f"question {i} about our shop", ts=f"{1000 + i}.000001", event_id=f"Ev{i}",
                              user=f"U{i % 7}")  # fmt: skip
            first, other = random.Random(i).sample(bots, 2)
            retry = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
            deliveries += [(first, payload, {}), (other, payload, {"X-Slack-Retry-Num": "1"}), (first, payload, retry)]
        random.Random(7).shuffle(deliveries)
        with ThreadPoolExecutor(max_workers=8) as pool:  # concurrent, so both bots race for the same events
            statuses = list(pool.map(lambda d: post_event(d[0], d[1], headers=d[2]), deliveries))
        assert statuses == [200] * len(deliveries)
        fake.wait_for(lambda: len(fake.finished()) >= EVENTS, timeout=180)
        _settled(fake)

        placeholders = fake.to("chat.postMessage")
        assert sorted(p["thread_ts"] for p in placeholders) == sorted(f"{1000 + i}.000001" for i in range(EVENTS))
        finished = fake.finished()
        assert len(finished) == EVENTS and len({u["ts"] for u in finished}) == EVENTS
        assert all("Here is what I know." in str(u["text"]) for u in finished)
        answered_by = {c.authorization for c in fake.calls if c.method == "chat.update"}
        assert answered_by == {"Bearer xoxb-a", "Bearer xoxb-b"}  # both processes answered a share
        keys = redis.Redis.from_url(url).keys("mka:slack:*")
        assert len([k for k in keys if k.startswith(b"mka:slack:message:")]) == EVENTS
    fake.stop()


def test_redis_keys_expire_and_a_missing_server_is_named(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as url:
        seen = RedisSeenEvents(redis_client(url), "event", ttl_seconds=60)
        other_process = RedisSeenEvents(redis_client(url), "event", ttl_seconds=60)
        assert seen.first_time("Ev1") and not other_process.first_time("Ev1") and not seen.first_time("Ev1")
        assert other_process.first_time("Ev2")
        assert 0 < redis.Redis.from_url(url).ttl("mka:slack:event:Ev1") <= 60
    with pytest.raises(RedisUnavailableError, match=r"cannot reach Redis at 127\.0\.0\.1:\d+/0 \(MKA_REDIS_URL\)"):
        redis_client(url.replace("redis://", "redis://:s3cret@"))

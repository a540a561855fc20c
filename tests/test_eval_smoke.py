"""The smoke suite on the embedded model and the real data (CI runs it): tools chosen, answers grounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from rich.progress import Progress

from assistant.agent.runner import Agent
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.evals.runner import run_suite, write_reports
from assistant.evals.suite import load_suite
from tests.conftest import REPO

pytestmark = pytest.mark.integration


def test_smoke_suite_on_embedded_model(real_workspace: Workspace, embedded_gguf: Path, tmp_path: Path) -> None:
    suite = load_suite(REPO / "evals" / "suites" / "smoke.yaml")
    settings = Settings(home=real_workspace.home, llm="local", gguf_path=embedded_gguf)
    agent = Agent(settings, checkpointer=InMemorySaver())
    with Progress(disable=True) as progress:
        report = run_suite(suite, agent, progress)
    json_path, md_path = write_reports(report, tmp_path)
    assert json_path.is_file() and md_path.is_file()
    assert all(o.error is None for o in report.cases), [o.error for o in report.cases]
    # Every number left in an answer comes from a tool result (the grounding step guarantees it; check it).
    assert all(not o.ungrounded_numbers for o in report.cases), [(o.id, o.ungrounded_numbers) for o in report.cases]
    refusal = next(o for o in report.cases if o.id == "smoke-refuse")
    assert refusal.passed and refusal.tools == []
    assert report.pass_rate >= suite.threshold, md_path.read_text()

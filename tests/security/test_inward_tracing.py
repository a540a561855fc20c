"""LangSmith / LangChain tracing is off in the offline environment, whatever the environment asks for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.core.offline import TRACING_OFF, apply_offline_env


@pytest.mark.subprocess
def test_tracing_is_forced_off_whatever_the_environment_says() -> None:
    """LangSmith would ship every prompt to a remote service; the offline environment turns it off even when
    set, and LangChain agrees (checked in a fresh interpreter: LangSmith caches what it read)."""
    env = {k: v for k, v in os.environ.items() if k not in TRACING_OFF}  # as a user's shell could have it
    env |= {"LANGCHAIN_TRACING_V2": "true", "LANGSMITH_TRACING": "true", "LANGSMITH_API_KEY": "x",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2])}  # fmt: skip
    code = (
        "from langsmith import utils\n"
        "assert utils.tracing_is_enabled()\n"  # the environment asked for tracing
        "from assistant.core.offline import TRACING_OFF, apply_offline_env\n"
        "apply_offline_env()\n"
        "from langchain_core.tracers.context import _tracing_v2_is_enabled\n"
        "assert not utils.tracing_is_enabled() and not _tracing_v2_is_enabled()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    apply_offline_env()
    assert os.environ["LANGCHAIN_TRACING_V2"] == "false" and os.environ["LANGSMITH_TRACING"] == "false"

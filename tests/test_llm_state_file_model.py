"""Saved prompt states with the real embedded model: a fresh process loads the routing prompt's state instead of
decoding it, and answers exactly as the process that decoded it did.

Costs one decode of the routing prefix (~1–2 minutes on 2 cores); everything else loads it or is short.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.core.workspace import Workspace

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
QUESTION = "How many customers do we have in Germany?"


def _home_over(demo: Workspace, home: Path) -> Path:
    """A workspace of its own (its own llm/states/) over the shared demo build, which stays read-only."""
    home.mkdir()
    (home / "current").symlink_to(demo.current.resolve())
    return home


def _ask(home: Path, gguf: Path) -> tuple[dict[str, Any], float]:
    env = {**os.environ, "MKA_HOME": str(home), "MKA_LLM": "local", "MKA_GGUF_PATH": str(gguf)}
    env.pop("MKA_LLM_STATE_FILES_MB", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--json", QUESTION],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), seconds


def _files(home: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in Workspace(home).prompt_states_dir.glob("*.kvstate")}


@pytest.mark.subprocess
@pytest.mark.timeout(1800)  # the one routing-prefix decode: ~2 min on a quiet machine, ~10 with CI sharing the cores
def test_a_fresh_process_loads_the_routing_state_and_answers_the_same(
    embedded_gguf: Path, demo_workspace: Workspace, tmp_path: Path
) -> None:
    home = _home_over(demo_workspace, tmp_path / "home")
    first, first_s = _ask(home, embedded_gguf)  # no state yet: decodes the routing prefix, saves it
    saved = _files(home)
    sizes = sorted((Workspace(home).prompt_states_dir / name).stat().st_size for name in saved)
    assert sizes and sizes[-1] > 20 << 20, sizes  # the routing prefix's KV (~75 MB with the default cache)

    second, second_s = _ask(home, embedded_gguf)  # a fresh process: loads it
    assert _files(home) == saved  # read, not written again
    route = lambda result: [(s["tool"], s["args"]) for s in result["steps"]]  # noqa: E731
    assert route(second) == route(first) and route(first), json.dumps(first)[:1500]
    assert second["answer"] == first["answer"]
    # The routing prefix is most of the first process's wait; loading it is a fraction of a second.
    assert second["timings"]["first_content_ms"] * 3 < first["timings"]["first_content_ms"], (first_s, second_s)


def test_a_state_llama_cpp_refuses_is_rebuilt_and_the_answer_is_unchanged(embedded_gguf: Path, tmp_path: Path) -> None:
    """A file whose checksum is right but whose bytes llama.cpp will not take (here: another KV cache type's) is
    logged, replaced, and costs only the decode it was meant to save."""
    from assistant.llm.llamacpp.chat import LlamaCppChatModel
    from assistant.llm.llamacpp.state_file import read_state_file, write_state_file

    states = tmp_path / "states"
    system = "You label marketing requests. " + " ".join(f"Rule {i}: answer with one word." for i in range(20))
    messages = [SystemMessage(system), HumanMessage("Label: 'winter coats for Germany'")]

    def model(kv_cache: str) -> LlamaCppChatModel:
        return LlamaCppChatModel(
            model_path=str(embedded_gguf), n_ctx=1024, max_tokens=8, kv_cache=kv_cache,
            state_dir=str(states), model_sha256="test-model",
        )  # fmt: skip

    f16 = model("f16")
    assert f16.prepare_prompt(messages) == "saved"
    f16_prefix = f16.prompt_state_events[-1][1]
    f16.close()
    [f16_file] = states.glob("*.kvstate")

    decoded = model("q8_0-keys")
    reference = decoded.invoke(messages).content
    assert [e[0] for e in decoded.prompt_state_events] == ["saved"]
    decoded.close()
    [q8_file] = set(states.glob("*.kvstate")) - {f16_file}

    fresh = model("q8_0-keys")
    assert fresh.invoke(messages).content == reference
    assert [e[0] for e in fresh.prompt_state_events] == ["loaded"]
    fresh.close()

    # The f16 state's bytes under the q8_0-keys key, with a valid checksum: only llama.cpp can tell them apart.
    prompt = _prompt_sha(q8_file)
    assert _prompt_sha(f16_file) == prompt  # the same system prompt: only the KV cache type differs
    f16_state = read_state_file(states, model("f16").state_key(prompt))
    assert f16_state is not None and len(f16_state.tokens) == f16_prefix
    write_state_file(states, decoded.state_key(prompt), f16_state.tokens, f16_state.kv)
    refused = model("q8_0-keys")
    assert refused.invoke(messages).content == reference
    assert [e[0] for e in refused.prompt_state_events] == ["saved"]  # refused, decoded, written again
    refused.close()
    rebuilt = read_state_file(states, decoded.state_key(prompt))
    assert rebuilt is not None and bytes(rebuilt.kv) != bytes(f16_state.kv)


def _prompt_sha(path: Path) -> str:
    from assistant.llm.llamacpp.state_file import MAGIC, StateHeader

    data = path.read_bytes()
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "little")
    return StateHeader.model_validate_json(data[len(MAGIC) + 4 : len(MAGIC) + 4 + size]).key.prompt_sha256

"""The real embedded model: in-process, and behind llama.cpp's OpenAI-compatible server over real HTTP."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from assistant.agent.grounding import check_answer
from assistant.agent.runner import Agent
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from tests.helpers.agent import expected_country, sample_tools
from tests.helpers.process import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def llama_server(embedded_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    # llama.cpp logs a lot while loading: to a file, not a pipe nobody drains (that would block the server).
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_gguf), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", "2", "--model_alias", "qwen-local", "--cache", "true"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text(errors="replace")[-2000:]
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("llama.cpp server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _assert_grounded_country_answer(agent: Agent, workspace: Workspace) -> None:
    customers, _ = expected_country(workspace, "Germany")
    result = agent.ask("How many customers do we have in Germany?")
    assert [s.tool for s in result.steps] == ["country_stats"], result.model_dump_json()[:2000]
    assert result.steps[0].args["country"] == "Germany"
    assert result.steps[0].result["customers"] == customers
    # Whatever the model wrote, the numbers left in the answer are the tool's.
    report = check_answer(result.answer, [s.result for s in result.steps], question=result.question)
    assert report.unsupported_numbers == [], result.answer
    assert result.tokens.prompt > 0 and result.tokens.completion > 0


@pytest.mark.subprocess
def test_openai_compatible_provider_over_real_http(llama_server: str, demo_workspace: Workspace) -> None:
    settings = Settings(
        home=demo_workspace.home, llm="openai-compatible", llm_base_url=llama_server, llm_model="qwen-local"
    )
    agent = Agent(settings, tools=sample_tools(), checkpointer=InMemorySaver())
    assert type(agent.chat_model).__name__ == "ChatOpenAI"
    _assert_grounded_country_answer(agent, demo_workspace)


def test_embedded_model_in_process(embedded_gguf: Path, demo_workspace: Workspace) -> None:
    settings = Settings(home=demo_workspace.home, llm="local", gguf_path=embedded_gguf)
    agent = Agent(settings, tools=sample_tools(), checkpointer=InMemorySaver())
    assert isinstance(agent.warm_up(), float)  # the model is loaded and the routing prefix cached before a question
    cache = agent.chat_model._llama.cache  # type: ignore[attr-defined]
    assert len(cache.cache_state) == 1
    _assert_grounded_country_answer(agent, demo_workspace)


def test_embedded_model_judges_sentiment_without_hoarding_logits(embedded_gguf: Path, tmp_path: Path) -> None:
    """The LLM sentiment judge on the real model; its KV-state cache keeps no logits copies (they took 24 GB)."""
    import psutil

    from assistant.core.llm_client import LLMClient
    from assistant.llm.factory import build_chat_model
    from assistant.llm.llamacpp.state_cache import SlimRAMCache, stored_logit_bytes
    from tools.sentiment.judge import judge_texts

    settings = Settings(home=tmp_path, llm="local", gguf_path=embedded_gguf, llm_context=2048)
    client = LLMClient(build_chat_model(settings))
    texts = {
        "I absolutely love this dress: beautiful colour and it fits perfectly.": 1,
        "Terrible quality, it fell apart after one wash. I want a refund.": 0,
        "A charming and often affecting journey that stays with you.": 1,
        "Dull, overlong and badly acted; I walked out halfway.": 0,
        "Great value, fast delivery, would happily buy again.": 1,
        "The zipper broke the first time I wore it and support never answered.": 0,
    }
    sentences = list(texts)
    labels = judge_texts(client, sentences[:1])  # loads the model
    rss_loaded = psutil.Process().memory_info().rss
    labels += judge_texts(client, sentences[1:])
    # Each new state used to add its prompt's logits (~100 tokens x 152k vocab x 4 B = 60 MB); now its KV only.
    assert psutil.Process().memory_info().rss - rss_loaded < 200e6
    correct = sum(label == truth for label, truth in zip(labels, texts.values(), strict=True))
    assert correct >= 5, list(zip(texts, labels, strict=True))
    cache = client.model._llama.cache  # type: ignore[attr-defined]
    assert isinstance(cache, SlimRAMCache) and len(cache.cache_state) == 1  # one system prompt, one state
    assert stored_logit_bytes(cache) == 151_936 * 4  # one zero row shared by every state


def test_greedy_grammar_sampler_writes_what_the_stock_sampler_writes(embedded_gguf: Path) -> None:
    """Checking the grammar on the top token first is an optimisation only: same JSON as llama.cpp's chain."""
    import gc
    import json

    from llama_cpp import Llama

    from assistant.llm.llamacpp.greedy_grammar import GreedyGrammarSampler, make_fast_llama_class

    schema = {
        "type": "object",
        "properties": {
            "tool": {"enum": ["segment_query", "recommend_products", "analyze_sentiment"]},
            "country": {"type": "string", "maxLength": 40},
            "k": {"type": "integer"},
        },
        "required": ["tool", "country", "k"],
    }
    messages = [
        {"role": "system", "content": "Pick the tool for the request and reply in JSON."},
        {"role": "user", "content": "Recommend 7 products for shoppers in Portugal."},
    ]
    outputs = {}
    for cls in (Llama, make_fast_llama_class()):
        llama = cls(model_path=str(embedded_gguf), n_ctx=1024, n_threads=2, n_batch=128, seed=7, verbose=False)
        out = llama.create_chat_completion(
            messages=messages, temperature=0.0, max_tokens=60, response_format={"type": "json_object", "schema": schema}
        )
        outputs[cls.__name__] = out["choices"][0]["message"]["content"]
        if cls is not Llama:
            assert isinstance(llama._sampler, GreedyGrammarSampler)
        del llama
        gc.collect()
    stock, fast = outputs.values()
    assert fast == stock
    decision = json.loads(fast)
    assert decision["tool"] == "recommend_products" and decision["k"] == 7 and "Portugal" in decision["country"]


def test_kv_states_are_saved_in_one_buffer_and_restore_to_the_same_output(embedded_gguf: Path) -> None:
    """Our save/restore skips the stock copies (~4x the state at once, the agent's peak RSS) and still restores."""
    import ctypes

    from assistant.llm.llamacpp.greedy_grammar import make_fast_llama_class
    from assistant.llm.llamacpp.state_cache import SlimRAMCache

    llama = make_fast_llama_class()(
        model_path=str(embedded_gguf), n_ctx=1024, n_threads=2, n_batch=128, seed=7, verbose=False
    )
    cache = SlimRAMCache(capacity_bytes=256 << 20)
    llama.set_cache(cache)
    restores: list[int] = []
    stock_load = llama.load_state
    llama.load_state = lambda state: (restores.append(state.n_tokens), stock_load(state))[1]

    def complete(prompt: str) -> str:
        out = llama.create_completion(prompt, max_tokens=12, temperature=0.0)
        return str(out["choices"][0]["text"])  # type: ignore[index]

    question = "Q: Name three colours of the French flag.\nA:"
    first = complete(question)
    (saved,) = cache.cache_state.values()
    assert isinstance(saved.llama_state, ctypes.Array) and saved.scores.strides[0] == 0  # one buffer, no logits
    complete("Translate to German: good morning\n")  # the context now holds another prompt
    assert restores == []
    again = complete(question)
    assert restores and again == first  # restored from the cache (not decoded again), same greedy answer

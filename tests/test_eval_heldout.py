"""Held-out discipline: no routing example is a near copy of a test-split request (prompt or turn).

The routing examples (prompts/route_examples.yaml) may be tuned on the generated suite's dev split only; the test
split is what is reported. Near copies are measured with the project's offline sentence embedder (the packaged
all-MiniLM-L6-v2, vectorstore/embeddings.py): cosine similarity must stay under MAX_SIMILARITY.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from assistant.evals.generate import DEFAULT_OUT
from assistant.evals.suite import load_suite
from tests.conftest import REPO

pytestmark = pytest.mark.integration  # loads the embedding model (~15 s on 2 cores)

MAX_SIMILARITY = 0.8


def test_no_routing_example_is_close_to_a_test_request() -> None:
    from vectorstore.embeddings import embed_texts, load_embedder

    examples = [str(e["request"]) for e in yaml.safe_load((REPO / "prompts" / "route_examples.yaml").read_text())]
    suite = load_suite(DEFAULT_OUT)
    requests = sorted({t for c in suite.cases if c.split == "test" for t in c.messages})
    assert examples and len(requests) > 200
    model = load_embedder()
    similarity = embed_texts(model, requests) @ embed_texts(model, examples).T
    close = [
        (round(float(similarity[i, j]), 3), requests[i], examples[j])
        for i, j in zip(*np.nonzero(similarity >= MAX_SIMILARITY), strict=True)
    ]
    assert not close, f"routing examples too close to test-split requests (tune on dev only): {sorted(close)[-10:]}"

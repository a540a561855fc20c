"""all-MiniLM-L6-v2 query vectors in plain numpy, so a serving process embeds a question without torch.

The index is built with sentence-transformers (batches of thousands: torch earns its keep there). A chat
turn embeds one short question, and loading torch + transformers for that costs a serving process several
hundred MB (`mka bench retrieval` prints both). This is the same function — BERT, mean pooling over the
tokens, L2 normalisation — from the same packaged safetensors file in float32; tests check it against
sentence-transformers (cosine ≥ 0.9999 on real review text).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # the exact (erf) GELU BERT was trained with

    return np.asarray(0.5 * x * (1.0 + erf(x / math.sqrt(2.0))), dtype=np.float32)


class NumpyMiniLM:
    """One text -> its L2-normalised 384-d vector, as sentence-transformers computes it."""

    def __init__(self, model_dir: Path, max_tokens: int) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{model_dir}: not a BERT model this encoder can run")
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        weights = load_file(str(model_dir / "model.safetensors"))
        # Dense weights transposed once, so every product is x @ W (contiguous) rather than x @ W.T.
        self._w = {k: (np.ascontiguousarray(v.T) if k.endswith("dense.weight") or _is_qkv(k) else v)
                   for k, v in weights.items() if k != "embeddings.position_ids"}  # fmt: skip
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.no_padding()

    def encode(self, text: str) -> np.ndarray:
        ids = np.asarray(self._tokenizer.encode(text).ids, dtype=np.int64)
        w = self._w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        for i in range(self._layers):
            p = f"encoder.layer.{i}."
            x = self._layer_norm(x + self._attention(x, p + "attention."), p + "attention.output.LayerNorm")
            hidden = _gelu(self._dense(x, p + "intermediate.dense"))
            x = self._layer_norm(x + self._dense(hidden, p + "output.dense"), p + "output.LayerNorm")
        vector = x.mean(axis=0)  # one text, no padding: every token counts
        return np.asarray(vector / max(float(np.linalg.norm(vector)), 1e-12), dtype=np.float32)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return np.asarray(x @ self._w[name + ".weight"] + self._w[name + ".bias"], dtype=np.float32)

    def _layer_norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return np.asarray((x - mean) / np.sqrt(var + self._eps) * self._w[name + ".weight"] + self._w[name + ".bias"])

    def _attention(self, x: np.ndarray, prefix: str) -> np.ndarray:
        n, width = x.shape
        size = width // self._heads

        def heads(name: str) -> np.ndarray:  # (n, width) -> (heads, n, size)
            return self._dense(x, prefix + "self." + name).reshape(n, self._heads, size).transpose(1, 0, 2)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, width)
        return self._dense(context, prefix + "output.dense")


def _is_qkv(name: str) -> bool:
    return name.endswith(("query.weight", "key.weight", "value.weight"))

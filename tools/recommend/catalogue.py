"""The product catalogue as the recommender sees it: ids, names, categories and name embeddings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def product_text(name: str, category: str) -> str:
    """What gets embedded: the name (upper-case in the retail data, so made readable) and its category."""
    readable = name.lower() if name.isupper() else name
    return f"{readable} ({category.lower()})" if category else readable


@dataclass
class Catalogue:
    product_ids: np.ndarray
    names: np.ndarray
    categories: np.ndarray
    vectors: np.ndarray  # unit-length MiniLM embeddings, one row per product

    def __post_init__(self) -> None:
        self._rows = {str(p): i for i, p in enumerate(self.product_ids)}

    def indices(self, product_ids: np.ndarray) -> np.ndarray:
        """Catalogue rows of the given ids (-1 where unknown); a dict, not pandas: this runs on every request."""
        return np.array([self._rows.get(str(p), -1) for p in product_ids], dtype=np.int64)

    def vectors_for(self, product_ids: np.ndarray) -> np.ndarray:
        rows = self.indices(product_ids)
        if (rows < 0).any():
            raise KeyError(f"products missing from the catalogue: {list(product_ids[rows < 0][:5])}")
        return self.vectors[rows]

    def save(self, directory: Path) -> None:
        np.savez(
            directory / "catalogue.npz",
            product_ids=self.product_ids.astype(str),
            names=self.names.astype(str),
            categories=self.categories.astype(str),
            vectors=self.vectors,
        )

    @classmethod
    def load(cls, directory: Path) -> Catalogue:
        with np.load(directory / "catalogue.npz") as d:
            return cls(
                product_ids=d["product_ids"].astype(object),
                names=d["names"].astype(object),
                categories=d["categories"].astype(object),
                vectors=d["vectors"],
            )


def embed_catalogue(products: pd.DataFrame, embedder: SentenceTransformer, batch_size: int = 128) -> Catalogue:
    """Embed every product's readable name and category (the one slow step of training)."""
    from vectorstore.embeddings import embed_texts

    texts = [product_text(n, c) for n, c in zip(products["name"], products["category"], strict=True)]
    vectors = embed_texts(embedder, texts, batch_size=batch_size) if texts else np.zeros((0, 384), np.float32)
    return Catalogue(
        product_ids=products["product_id"].to_numpy(dtype=object),
        names=products["name"].to_numpy(dtype=object),
        categories=products["category"].to_numpy(dtype=object),
        vectors=vectors,
    )

"""Reciprocal rank fusion: combine rankings by position only, so incomparable scores need no calibration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vectorstore.documents import PRODUCTS, REVIEWS

RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very top ranks


@dataclass(frozen=True)
class FusionWeights:
    k: int = RRF_K
    dense: float = 1.0
    lexical: float = 1.0


# Per collection, chosen on the even-indexed half of the labelled query set (bench/retrieval_queries.py) and
# checked on the odd half (BENCHMARKS.md). Reviews are long: MiniLM's one vector per review (truncated at 256
# tokens) blurs the specific words a marketer searches for, so BM25 counts double there. Product names are
# short and paraphrased ("tote" for "bag"): the two rankers count equally. k = 10 lets a ranker's top hit
# lead instead of being out-voted by documents both rankers place in the middle.
FUSION: dict[str, FusionWeights] = {
    REVIEWS: FusionWeights(k=10, dense=1.0, lexical=2.0),
    PRODUCTS: FusionWeights(k=10, dense=1.0, lexical=1.0),
}


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Ids by fused score sum(w / (k + rank)), best first; ties keep first-seen order."""
    scores: dict[str, float] = {}
    for i, ranking in enumerate(rankings):
        weight = weights[i] if weights is not None else 1.0
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])

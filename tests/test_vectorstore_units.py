"""The retrieval parts on their own: BM25, fusion, filters, quotes, the embedding cache (no model needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vectorstore.cache import EmbeddingCache, content_key
from vectorstore.filters import Condition, to_mask, to_where
from vectorstore.fusion import reciprocal_rank_fusion
from vectorstore.lexical import LexicalIndex, tokenize
from vectorstore.quotes import quote_span


def _index() -> LexicalIndex:
    index = LexicalIndex()
    index.add(
        ["a", "b", "c", "d"],
        [
            "The zipper broke after a week.",
            "Lovely dress, the zippers are sturdy and the zipper never broke.",
            "Soft fabric, runs small.",
            "Great price for a summer dress.",
        ],
        [
            {"rating": 1, "product_id": "P1", "seq": 5},
            {"rating": 5, "product_id": "P2", "seq": 5},
            {"rating": 4, "product_id": "P1", "seq": 6},
            {"rating": 5, "product_id": "P3"},
        ],
    )
    return index


def test_tokenize_drops_stop_words_keeps_negations_and_folds_plurals() -> None:
    assert tokenize("The zippers are NOT working, dresses!") == ["zipper", "not", "working", "dress"]


def test_bm25_ranks_by_term_weight_and_length() -> None:
    index = _index()
    ranked = index.search("zipper broke", 10)
    assert [index.ids[row] for row, _ in ranked] == ["a", "b"]  # the short, focused review first
    assert ranked[0][1] > ranked[1][1] > 0
    assert index.search("nothing matches here", 10) == []
    assert index.max_seq == 6


def test_bm25_respects_a_mask_and_k() -> None:
    index = _index()
    mask = to_mask(index, [Condition("rating", "gte", 4)])
    assert mask is not None
    assert [index.ids[r] for r, _ in index.search("zipper dress", 10, mask)] == ["b", "d"]
    assert len(index.search("zipper dress", 1)) == 1


def test_re_adding_an_id_replaces_the_document() -> None:
    index = _index()
    index.add(["a"], ["A cosy jumper."], [{"rating": 3, "seq": 9}])
    assert len(index) == 4
    assert [index.ids[r] for r, _ in index.search("zipper", 10)] == ["b"]
    assert [index.ids[r] for r, _ in index.search("jumper", 10)] == ["a"]
    assert index.max_seq == 9


def test_filters_become_a_chroma_where_and_an_equivalent_mask() -> None:
    conditions = [Condition("product_id", "eq", "P1"), Condition("rating", "lte", 2)]
    assert to_where(conditions) == {"$and": [{"product_id": "P1"}, {"rating": {"$lte": 2}}]}
    assert to_where(conditions[:1]) == {"product_id": "P1"}
    assert to_where([]) is None
    index = _index()
    mask = to_mask(index, conditions)
    assert mask is not None and mask.tolist() == [True, False, False, False]


def test_an_in_condition_keeps_rows_whose_value_is_one_of_many() -> None:
    condition = Condition("product_id", "in", ("P1", "P3"))
    assert to_where([condition]) == {"product_id": {"$in": ["P1", "P3"]}}
    mask = to_mask(_index(), [condition])
    assert mask is not None and mask.tolist() == [True, False, True, True]


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["x", "y", "z"], ["y", "w"]], k=60)
    assert [doc for doc, _ in fused] == ["y", "x", "w", "z"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_quote_is_the_best_matching_sentence_verbatim() -> None:
    text = "Love it\nThe colour is great. Sadly the zipper broke on day two! Otherwise fine."
    assert quote_span(text, "zipper breaking") == "Sadly the zipper broke on day two!"
    assert quote_span(text, "nothing in common") == "Sadly the zipper broke on day two!"  # the fullest sentence
    long = "word " * 200
    quote = quote_span(long, "word", max_chars=50)
    assert len(quote) <= 50 and quote in long


def test_embedding_cache_round_trip_and_corruption(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "e.sqlite"
    cache = EmbeddingCache(path)
    vector = np.arange(384, dtype=np.float32)
    key = content_key("m/128", "hello")
    assert key != content_key("m/256", "hello")
    cache.put_many({key: vector})
    assert np.array_equal(cache.get_many([key, "missing"])[key], vector)
    assert len(cache) == 1
    cache.close()
    path.write_bytes(b"garbage" * 1000)
    fresh = EmbeddingCache(path)  # a damaged cache is set aside, not fatal
    assert fresh.get_many([key]) == {}
    assert path.with_name(path.name + ".corrupt").is_file()
    fresh.close()


def test_weighted_fusion_lets_the_stronger_ranker_lead() -> None:
    # Equal weights: "a" and "c" tie (first seen wins), "b" (2nd twice) trails narrowly; doubling the
    # second ranker's weight makes its first choice win outright.
    even = reciprocal_rank_fusion([["a", "b", "c"], ["c", "b", "a"]], k=10)
    assert [doc for doc, _ in even] == ["a", "c", "b"]
    weighted = reciprocal_rank_fusion([["a", "b", "c"], ["c", "b", "a"]], k=10, weights=(1.0, 2.0))
    assert weighted[0][0] == "c"
    assert weighted[0][1] == pytest.approx(1 / 13 + 2 / 11)

"""Code's reading of how a request speaks of reviews themselves (assistant/understand/review_terms.py)."""

from __future__ import annotations

import pytest

from assistant.understand.review_terms import filter_polarity, names_reviews_only, polarity


@pytest.mark.parametrize(
    "topic",
    [
        "quejas",
        "Bewertungen",
        "plaintes",
        "评价",
        "reclamações",
        "customer feedback",
        "was sagen",
        "o que dizem",
        "qu'en pensent les clientes",
    ],
)  # the question's own words search nothing
def test_words_that_name_reviews_are_no_topic(topic: str) -> None:
    assert names_reviews_only(topic)


@pytest.mark.parametrize("topic", ["zipper", "tamanho", "Reißverschluss", "尺码", "fit after washing"])
def test_a_real_topic_is_kept(topic: str) -> None:
    assert not names_reviews_only(topic)


def test_the_requests_category_words_count_as_named_reviews() -> None:
    assert names_reviews_only("Bewertungen über unsere Kleider", also=("Dresses", "Kleider"))
    assert not names_reviews_only("Bewertungen über unsere Kleider")
    assert names_reviews_only("评价我们的夹克", also=("夹克",))
    assert names_reviews_only("from 'dessous'", also=("Intimates", "dessous"))  # function words name nothing
    assert names_reviews_only("les avis des clientes sur les robes", also=("Dresses", "robes"))
    assert not names_reviews_only("the zipper of the dresses", also=("Dresses", "dresses"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("only the negative ones", "negative"),
        ("muéstrame solo las quejas", "negative"),
        ("把负面的挑出来", "negative"),
        ("juste les plaintes", "negative"),
        ("and the praise?", "positive"),
        ("nur die positiven", "positive"),
        ("positive or negative?", None),
        ("what about Jackets?", None),
    ],
)
def test_polarity_is_the_one_named(text: str, expected: str | None) -> None:
    assert polarity(text) == expected


def test_a_filter_follows_a_review_answer_and_asks_for_reviews_not_a_count() -> None:
    assert filter_polarity("only the negative ones", "analyze_sentiment") == "negative"
    assert filter_polarity("only the negative ones", "segment_query") is None  # negative customers? not reviews
    assert filter_polarity("how many are negative?", "analyze_sentiment") is None  # a count, not a list
    long = "and could you also tell me which of the negative reviews mention the fabric and the fit"
    assert filter_polarity(long, "search_reviews") is None

"""Reviews in other languages: the shop's review language is detected, and aspects, stop words, distinctive
terms and single-text sentiment work for Portuguese, Spanish, German and French with accents kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rich.progress import Progress

from assistant.core.settings import Settings
from assistant.ingest.pipeline import Sources, run_ingest
from assistant.ingest.synthetic_exports import write_export
from tools.context import ToolContext
from tools.sentiment.aspects import aspects_in
from tools.sentiment.language import detect_language, shop_language
from tools.sentiment.polarity import lexicon_score
from tools.sentiment.terms import distinctive_terms
from tools.sentiment.text import words
from tools.sentiment.tool import (
    AnalyzeSentimentInput,
    ClassifySentimentInput,
    analyze_sentiment,
    classify_sentiment,
)

REVIEWS = {
    "pt": ("Ótimo produto, chegou antes do prazo e o tecido é macio", "Péssimo, não funciona e a entrega demorou"),
    "es": ("El vestido es precioso y la tela es muy cómoda", "Llegó roto, la calidad es mala y no me gustó"),
    "de": ("Sehr gut, die Lieferung war schnell und der Stoff ist weich", "Leider kaputt, die Qualität ist schlecht"),
    "fr": ("Très belle couleur, la livraison était rapide", "Produit cassé, je suis très déçu de la qualité"),
}


def test_words_keep_accented_letters() -> None:
    assert words("Ótimo produto, não é?") == ["ótimo", "produto", "não", "é"]
    assert words("Größe passt, très déçu") == ["größe", "passt", "très", "déçu"]


@pytest.mark.parametrize("code", list(REVIEWS))
def test_language_detected_per_review(code: str) -> None:
    assert all(detect_language(text) == code for text in REVIEWS[code])
    assert detect_language("I love this dress, the fabric is great") == "en"


def test_shop_language_is_the_majority_of_a_sample() -> None:
    texts = [*REVIEWS["pt"] * 3, "Great product, fast shipping", "Love it"]
    assert shop_language(texts) == "pt"
    assert shop_language([]) == "en"


@pytest.mark.parametrize(
    ("code", "aspects"),
    [("pt", (["fabric", "comfort", "delivery"], ["quality", "delivery"])),
     ("es", (["fabric", "comfort", "style"], ["quality"])),
     ("de", (["fabric", "comfort", "delivery"], ["quality"])),
     ("fr", (["colour", "style", "delivery"], ["quality"]))],
)  # fmt: skip
def test_aspects_in_each_language(code: str, aspects: tuple[list[str], list[str]]) -> None:
    good, bad = REVIEWS[code]
    assert set(aspects[0]) <= set(aspects_in(good, code))
    assert set(aspects[1]) <= set(aspects_in(bad, code))
    assert aspects_in("Ótimo produto", "en") == []  # English lexicon only: not an aspect


@pytest.mark.parametrize("code", list(REVIEWS))
def test_polarity_lexicon_scores_each_language(code: str) -> None:
    good, bad = REVIEWS[code]
    assert lexicon_score(good, code) > 0 > lexicon_score(bad, code)


def test_negation_flips_a_positive_word() -> None:
    assert lexicon_score("Não gostei", "pt") < 0
    assert lexicon_score("Nicht gut", "de") < 0
    assert lexicon_score("Gostei muito", "pt") > 0


def test_portuguese_terms_drop_stop_words_and_keep_accents() -> None:
    positive = ["Ótimo produto, chegou antes do prazo", "Ótimo, muito bom, recomendo", "Excelente qualidade, ótimo"]
    negative = ["Veio com defeito de fábrica", "Acho que não funciona", "Não funciona de novo", "Pior que o anterior"]
    pos = [t.term for t in distinctive_terms(positive, negative, language="pt")]
    neg = [t.term for t in distinctive_terms(negative, positive, language="pt")]
    assert "ótimo" in pos and "não funciona" in neg
    assert not {"de", "que", "timo", "do", "com", "para"} & set(pos + neg)
    # with English stop words only, the Portuguese function words come out as "negative words"
    assert {"de", "que"} <= {t.term for t in distinctive_terms(negative, positive)}


@pytest.fixture(scope="module")
def pt_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolContext]:
    """The synthetic export (Portuguese reviews) ingested with the sentiment step only."""
    mapping = write_export("normalised", tmp_path_factory.mktemp("export"), n_orders=300)
    settings = Settings(home=tmp_path_factory.mktemp("home"), llm="scripted", data_dir=None)
    skip = frozenset({"segments", "recommender", "index", "predict"})
    with Progress(disable=True) as progress:
        run_ingest(Sources(mapping=mapping), settings, progress, skip_steps=skip)
    ctx = ToolContext.from_settings(settings)
    yield ctx
    ctx.close()


def test_analysis_of_a_portuguese_shop(pt_shop: ToolContext) -> None:
    result = analyze_sentiment(AnalyzeSentimentInput(), pt_shop)
    assert result.language == "pt"
    terms = {t.term for t in result.positive_terms + result.negative_terms}
    assert not {"de", "que", "timo", "do", "para", "com"} & terms
    assert {"delivery", "quality"} <= {a.aspect for a in result.aspects}
    assert any("Portuguese" in n for n in result.notes)


@pytest.mark.parametrize("code", list(REVIEWS))
def test_single_text_sentiment_in_each_language(pt_shop: ToolContext, code: str) -> None:
    good, bad = REVIEWS[code]
    praised = classify_sentiment(ClassifySentimentInput(text=good), pt_shop)
    panned = classify_sentiment(ClassifySentimentInput(text=bad), pt_shop)
    assert (praised.label, panned.label) == ("positive", "negative")
    assert praised.language == code and "lexicon" in praised.method and "lexicon" in praised.to_markdown()

"""The routing prompt glosses the shop's terms of a request in another language in English."""

from __future__ import annotations

import pytest

from assistant.understand.glossary import glosses


@pytest.mark.parametrize(
    ("text", "language", "gloss"),
    [
        ("Was halten die Leute in ihren Rezensionen von unseren Jacken?", "de", "reviews"),
        ("¿Qué clientes podrían dejar de comprar pronto?", "es", "churn risk"),
        ("Donne-moi un aperçu de nos clients belges", "fr", "customer overview"),
        ("Qual é a previsão de faturamento do trimestre?", "pt", "sales forecast"),
        ("这些客户的终身价值是多少", "zh", "customer lifetime value"),
        ("Wie hoch ist die Wiederkaufrate in Österreich?", "de", "repeat rate"),
        ("新加坡的复购率", "zh", "repeat rate"),
        ("clientes cuya primera compra fue en marzo", "es", "first order"),
        ("clients dont la première commande date d'avril", "fr", "first order"),
        ("Wie hoch ist die Stornoquote in Belgien?", "de", "cancellation rate"),
        ("panier moyen par pays", "fr", "average order value"),
        ("按星期几统计营收", "zh", "weekday"),
        ("Anzahl der Bestellungen je Monat in Spanien", "de", "orders"),
        ("Anzahl der Bestellungen je Monat in Spanien", "de", "per month"),
        ("每月的订单量", "zh", "per month"),
        ("Taux de rétention par cohorte mensuelle", "fr", "cohort retention"),
        ("¿Cómo repartir el presupuesto entre segmentos?", "es", "budget allocation"),
        ("Wie groß muss die Stichprobengröße für unseren A/B-Test sein?", "de", "a/b test"),
        ("Wie kommt die neue Bluse bei der Kundschaft an?", "de", "sentiment"),
        ("Wiederkaufsquote in Österreich", "de", "repeat rate"),
        ("Wie sieht die Umsatzprognose aus?", "de", "sales forecast"),  # a compound: '*prognose*'
        ("Wie sieht die Umsatzprognose aus?", "de", "revenue"),
        ("Abwanderungsrisiko in Belgien", "de", "churn risk"),
        ("Monatsumsätze in Spanien", "de", "per month"),  # 'ankommen bei': how it is received
        ("店里有多少客户在上个月下过单", "zh", "bought"),
        ("Combien d'unités en mars ?", "fr", "units sold"),  # a word after an elision is that word
        ("Quelle est l'évolution du chiffre d'affaires ?", "fr", "revenue"),  # and a term with one still matches
        ("2010年卖出多少件？", "zh", "units sold"),
    ],
)
def test_terms_are_glossed_in_english(text: str, language: str, gloss: str) -> None:
    assert gloss in [g for _, g in glosses(text, language)]


def test_reviews_of_a_category_are_no_search_request_and_what_they_say_is() -> None:
    assert "search reviews" not in [g for _, g in glosses("Les avis sur nos robes sont-ils bons ?", "fr")]
    assert "search reviews" not in [g for _, g in glosses("Bewertungen zu unseren Jacken", "de")]
    assert "search reviews" in [g for _, g in glosses("Was sagen die Kundinnen über den Stoff?", "de")]
    assert "search reviews" in [g for _, g in glosses("Reseñas que mencionan la talla", "es")]


def test_words_only_match_whole_words_and_english_needs_no_gloss() -> None:
    assert glosses("Notebook", "de") == []  # "note" is no rating inside another word
    assert glosses("How many reviews do dresses have?", "en") == []
    assert glosses("avisar a los clientes", "es") == []


def test_a_compound_term_is_found_only_where_the_glossary_allows_it() -> None:
    from assistant.understand.glossary import glosses

    assert glosses("Zielgruppenbestimmung für die Kampagne", "de") == []  # 'stimmung' is a whole word only
    assert glosses("Kundenbewertungen zu Jacken", "de") == [("kundenbewertungen", "reviews")]


@pytest.mark.parametrize(
    ("text", "received"),
    [
        ("Wie kommen unsere Pullover an?", True),  # 'ankommen', split: how they are received
        ("Wie kommt die neue Kollektion bei Frauen über 50 an?", True),
        ("Wie kommen wir an die Daten?", False),  # 'an' before its object: no separable verb
        ("Wie viele Kunden kommen aus Frankreich?", False),
    ],
)
def test_a_german_separable_verb_is_read_as_one_term(text: str, received: bool) -> None:
    from assistant.understand.glossary import glosses

    assert ("sentiment" in {gloss for _, gloss in glosses(text, "de")}) == received
    if received:  # the prompt shows the verb's frame, not the request, so the model does not copy it as a topic
        assert next(term for term, gloss in glosses(text, "de") if gloss == "sentiment").startswith("wie ")
        assert all(len(term.split()) <= 5 for term, _ in glosses(text, "de"))

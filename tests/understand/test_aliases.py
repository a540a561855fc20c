"""EntityResolver: surface forms in six languages -> the data's values, and nothing else."""

from __future__ import annotations

import pytest

from assistant.understand.aliases import (
    KINDS,
    EntityResolver,
    alias_key,
    category_table,
    demonym_forms,
    demonym_table,
)
from assistant.understand.vocabulary import Vocabulary

REAL_COUNTRIES = [
    "Australia", "Austria", "Bahrain", "Belgium", "Brazil", "Canada", "Channel Islands", "Cyprus", "Czech Republic",
    "Denmark", "EIRE", "European Community", "Finland", "France", "Germany", "Greece", "Iceland", "Israel", "Italy",
    "Japan", "Lebanon", "Lithuania", "Malta", "Netherlands", "Norway", "Poland", "Portugal", "RSA", "Saudi Arabia",
    "Singapore", "Spain", "Sweden", "Switzerland", "USA", "United Arab Emirates", "United Kingdom", "Unspecified",
]  # fmt: skip
# products.category of the real workspace, plus the reviews' classes (the last level of their path).
REAL_CATEGORIES = [
    "Bags", "Bottoms", "Candles & lighting", "Christmas", "Dresses", "Easter", "Garden & outdoor", "Home decor",
    "Home textiles", "Intimate", "Jackets", "Jewellery & accessories", "Kitchen & dining", "Other",
    "Party & gift wrap", "Stationery & cards", "Storage & organisation", "Tops", "Toys & games", "Trend",
    "Blouses", "Casual bottoms", "Chemises", "Fine gauge", "Intimates", "Jeans", "Knits", "Layering", "Legwear",
    "Lounge", "Outerwear", "Pants", "Shorts", "Skirts", "Sleep", "Sweaters", "Swim",
]  # fmt: skip
REAL = Vocabulary(countries=REAL_COUNTRIES, categories=REAL_CATEGORIES)
DEMO = Vocabulary(
    countries=["United Kingdom", "Germany", "France", "Netherlands", "Spain", "Ireland", "Belgium", "Norway"],
    categories=["Dresses", "Tops", "Bottoms", "Home decor", "Kitchen & dining", "Accessories"],
)


@pytest.fixture(scope="module")
def real() -> EntityResolver:
    return EntityResolver.for_vocabulary(REAL)


@pytest.fixture(scope="module")
def demo() -> EntityResolver:
    return EntityResolver.for_vocabulary(DEMO)


@pytest.mark.parametrize(
    ("surface", "value"),
    [
        ("Great Britain", "United Kingdom"), ("U.K.", "United Kingdom"), ("England", "United Kingdom"),
        ("Vereinigtes Königreich", "United Kingdom"), ("vereinigtes konigreich", "United Kingdom"),
        ("Deutschland", "Germany"), ("法国", "France"), ("Allemagne", "Germany"), ("Alemania", "Germany"),
        ("Países Bajos", "Netherlands"), ("Holland", "Netherlands"), ("Irlanda", "EIRE"), ("Ireland", "EIRE"),
        ("爱尔兰", "EIRE"), ("UAE", "United Arab Emirates"), ("USA", "USA"), ("United States", "USA"),
        ("the States", "USA"), ("Estados Unidos", "USA"), ("South Africa", "RSA"), ("Czechia", "Czech Republic"),
        ("EU", "European Community"), ("European Union", "European Community"),
        ("  great   britain ", "United Kingdom"),
        ("DEU", "Germany"), ("the UK", "United Kingdom"), ("Japon", "Japan"), ("Suisse", "Switzerland"),
        ("Kanalinseln", "Channel Islands"), ("Islas del Canal", "Channel Islands"), ("海峡群岛", "Channel Islands"),
        ("Îles Anglo-Normandes", "Channel Islands"),
        # German declines the adjective: 'im Vereinigten Königreich', 'in den Vereinigten Staaten'.
        ("Vereinigten Königreich", "United Kingdom"), ("Vereinigten Staaten", "USA"),
        ("Vereinigten Arabischen Emiraten", "United Arab Emirates"), ("Niederlanden", "Netherlands"),
    ],
)  # fmt: skip
def test_country_surface_forms_resolve_to_the_data_spelling(real: EntityResolver, surface: str, value: str) -> None:
    assert real.resolve("country", surface) == value


def test_garment_words_are_not_the_channel_islands(real: EntityResolver) -> None:
    assert real.resolve("country", "Jersey") is None and real.resolve("country", "Guernsey") is None
    found = real.find_mentions("Wie viele Kunden haben wir auf den Kanalinseln?")
    assert [(m.kind, m.value) for m in found] == [("country", "Channel Islands")]


def test_the_same_words_map_to_each_workspace_s_own_spelling(demo: EntityResolver) -> None:
    assert demo.resolve("country", "Irlanda") == "Ireland"
    assert demo.resolve("country", "EIRE") == "Ireland"
    assert demo.resolve("country", "USA") is None  # the demo shop sells to no American


@pytest.mark.parametrize(
    ("surface", "value"),
    [
        ("外套", "Outerwear"), ("vestidos", "Dresses"), ("Kleider", "Dresses"), ("robes", "Dresses"),
        ("jumpers", "Sweaters"), ("trousers", "Pants"), ("jupes", "Skirts"), ("Röcke", "Skirts"),
        ("kitchen stuff", "Kitchen & dining"), ("厨房用品", "Kitchen & dining"),
        ("kitchen and dining", "Kitchen & dining"),
        ("knit", "Knits"), ("sweater", "Sweaters"), ("coats", "Outerwear"), ("pull", "Sweaters"), ("Other", "Other"),
    ],
)  # fmt: skip
def test_category_surface_forms_resolve_to_categories_the_data_has(
    real: EntityResolver, surface: str, value: str
) -> None:
    assert real.resolve("category", surface) == value


def test_a_category_word_falls_back_to_the_broader_value_the_workspace_holds(demo: EntityResolver) -> None:
    assert demo.resolve("category", "外套") is None  # neither Outerwear nor Jackets in the demo shop
    assert demo.resolve("category", "jumpers") == "Tops"
    assert demo.resolve("category", "trousers") == "Bottoms"
    assert demo.resolve("category", "jewellery") == "Accessories"
    no_sweaters = EntityResolver(Vocabulary(categories=["Knits", "Jackets"]))
    assert no_sweaters.resolve("category", "jumpers") == "Knits"
    assert no_sweaters.resolve("category", "外套") == "Jackets"


@pytest.mark.parametrize(
    ("surface", "value"),
    [
        ("best customers", "champions"), ("mejores clientes", "champions"), ("beste Kunden", "champions"),
        ("meilleurs clients", "champions"), ("melhores clientes", "champions"), ("最好的客户", "champions"),
        ("champion", "champions"), ("At-Risk", "at_risk"), ("en riesgo", "at_risk"), ("gefährdet", "at_risk"),
        ("à risque", "at_risk"), ("em risco", "at_risk"), ("流失风险", "at_risk"), ("Can't Lose", "cant_lose"),
        ("churned customers", "lost"), ("lost", "lost"), ("new customers", "new"), ("hibernating", "hibernating"),
        ("need attention", "need_attention"), ("about to sleep", "about_to_sleep"),
        ("potential loyalists", "potential_loyalists"), ("potencialmente fiéis", "potential_loyalists"),
        ("Loyal Customers", "loyal"), ("promising", "promising"),
    ],
)  # fmt: skip
def test_segment_phrases_resolve_to_rfm_segments(real: EntityResolver, surface: str, value: str) -> None:
    assert real.resolve("segment", surface) == value


def _found(resolver: EntityResolver, text: str) -> list[tuple[str, str, str]]:
    mentions = resolver.find_mentions(text)
    assert all(text[m.start : m.end] == m.surface for m in mentions)
    return [(m.kind, m.surface, m.value) for m in mentions]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¿Cuántos clientes tenemos en Alemania?", [("country", "Alemania", "Germany")]),
        ("我们在德国有多少客户？", [("country", "德国", "Germany")]),
        ("and how many of those are in France?", [("country", "France", "France")]),
        ("Wer sind unsere besten Kunden?", [("segment", "besten Kunden", "champions")]),
        ("Sales in the UK vs the U.S. last year", [("country", "UK", "United Kingdom"), ("country", "U.S", "USA")]),
        ("Ventas de vestidos en Irlanda del Norte", [("category", "vestidos", "Dresses"),
                                                    ("country", "Irlanda del Norte", "United Kingdom")]),
        ("reviews of jumpers and 外套 from at-risk customers", [("category", "jumpers", "Sweaters"),
                                                              ("category", "外套", "Outerwear"),
                                                              ("segment", "at-risk customers", "at_risk")]),
        ("有流失风险的客户在英国", [("segment", "有流失风险", "at_risk"), ("country", "英国", "United Kingdom")]),
        ("Combien de clients avons-nous en Espagne ?", [("country", "Espagne", "Spain")]),
        ("Les ventes de l'Italie et d’Allemagne", [("country", "Italie", "Italy"),
                                                  ("country", "Allemagne", "Germany")]),
        ("Quantos clientes temos na Itália?", [("country", "Itália", "Italy")]),
        ("Un aperçu de notre clientèle en Suède", [("country", "Suède", "Sweden")]),  # with its accent: a country
        ("What is the CLV of our champions?", [("segment", "champions", "champions")]),
    ],
)  # fmt: skip
def test_mentions_are_the_longest_aliases_in_order(
    real: EntityResolver, text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert _found(real, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Tell us about it: what is in it for us?",
        "How many of us are in sales, and is it de facto up?",
        "Show me the top 10 products by revenue",  # 'top' is not the Tops department
        "What was the sales trend for other products?",  # nor 'Trend' and 'Other'
        "Pull the numbers for a short list",  # 'pull' (a sweater in French) and 'short' only as arguments
        "CAN YOU SHOW US THE SALES",  # in capitals 'US' and 'CAN' are words
        "¿Quién usa más cupones?",  # Spanish 'usa' (uses)
        "Je suis là. O que a cliente fala?",  # 'suis' and 'fala' are Switzerland and France in some locales
        "Revenue from New England and Latin America",  # not England, not America
        "How much revenue have we lost this year?",  # the bare segment name needs a phrase in a sentence
        "Reviews of suede boots sold on Long Island",  # 'Suède' is Sweden in French, 'Island' Iceland in German
        "Suede boots in stock",
        "Quanto vendemos em maio?",  # May, not a swimsuit (maiô)
    ],
)
def test_everyday_words_are_not_mentions(real: EntityResolver, text: str) -> None:
    assert _found(real, text) == []


def test_only_values_in_the_vocabulary_are_ever_returned() -> None:
    small = Vocabulary(countries=["France", "USA"], categories=["Dresses"], segments=["champions"])
    resolver = EntityResolver(small)
    assert resolver.resolve("country", "Deutschland") is None
    assert resolver.resolve("category", "外套") is None
    assert resolver.resolve("segment", "lost customers") is None
    found = resolver.find_mentions("lost customers in Deutschland who bought 外套 or vestidos in France")
    assert [(m.kind, m.value) for m in found] == [("category", "Dresses"), ("country", "France")]
    allowed = {"country": set(small.countries), "category": set(small.categories), "segment": set(small.segments)}
    for kind in KINDS:
        # Every alias the index holds, exhaustively: each names a value of this vocabulary.
        assert set(resolver._index.exact[kind].values()) <= allowed[kind]
    real = EntityResolver.for_vocabulary(REAL)
    assert set(real._index.exact["country"].values()) <= set(REAL.countries)
    assert set(real._index.exact["category"].values()) <= set(REAL.categories)


def test_suggestions_are_close_known_values(real: EntityResolver) -> None:
    assert real.suggest("country", "Germny")[0] == "Germany"
    assert "Dresses" in real.suggest("category", "dreses")
    assert real.suggest("segment", "champs") == ["champions"]
    assert real.suggest("country", "zzzz") == []


def test_each_category_word_belongs_to_one_entry_and_known_languages() -> None:
    table = category_table()
    owner: dict[str, int] = {}
    for number, entry in enumerate(table["entries"]):
        assert entry["values"] and set(entry) <= {"values", "en", "es", "de", "fr", "pt", "zh", "exact"}
        for key, words in entry.items():
            if key == "values":
                continue
            for word in words:
                assert owner.setdefault(alias_key(str(word)), number) == number, f"{word!r} is in two entries"


def _countries(resolver: EntityResolver, text: str) -> list[str]:
    return [value for kind, _, value in _found(resolver, text) if kind == "country"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Which German customers have we lost?", "Germany"), ("clientes alemanes", "Germany"),
        ("deutsche Kunden", "Germany"), ("clients allemands", "Germany"), ("clientes alemães", "Germany"),
        ("德国客户", "Germany"), ("Dutch shoppers", "Netherlands"), ("Irish customers", "EIRE"),
        ("American buyers", "USA"), ("British customers", "United Kingdom"), ("our French shoppers", "France"),
        ("Scottish and Welsh buyers", "United Kingdom"), ("US-amerikanische Kunden", "USA"),
        ("clientas españolas", "Spain"), ("acheteurs sud-africains", "RSA"),
        ("Emirati customers", "United Arab Emirates"),
        ("Swiss customers", "Switzerland"), ("Polish customers", "Poland"), ("Saudi Arabian buyers", "Saudi Arabia"),
        ("customers in the German market", "Germany"), ("Revenue from Germans", "Germany"),
    ],
)  # fmt: skip
def test_demonyms_name_their_country_in_sentences(real: EntityResolver, text: str, value: str) -> None:
    assert set(_countries(real, text)) == {value}


@pytest.mark.parametrize(
    "text",
    [
        "Write the email in German", "Schreib es auf Deutsch", "en español, por favor", "Réécris-le en français",
        "Tradúcelo em português", "Traduce esto al alemán", "Rewrite it in plain English", "in Brazilian Portuguese",
        "Add a German translation", "Use the French language", "Write in the German language", "deutsche Sprache",
        "la langue française", "Reach German-speaking customers", "Which customers speak Spanish?",
        "écris-le en italien",
        "polish the copy", "Latin American customers", "a Dutch oven", "European customers",
    ],
)  # fmt: skip
def test_a_demonym_that_names_a_language_or_something_else_is_no_country(real: EntityResolver, text: str) -> None:
    assert _countries(real, text) == []


def test_demonyms_resolve_as_arguments_to_each_workspace_s_spelling(real: EntityResolver, demo: EntityResolver) -> None:
    assert real.resolve("country", "German") == "Germany"
    assert real.resolve("country", "alemanes") == "Germany"
    assert real.resolve("country", "Irish") == "EIRE"
    assert demo.resolve("country", "Irish") == "Ireland"
    assert real.resolve("country", "Poles") == "Poland"  # an argument, never picked out of a sentence
    assert _countries(real, "Poles and Finns") == ["Finland"]
    assert real.resolve("category", "americanas") == "Jackets"  # a blazer in Spanish, not Americans
    assert demo.resolve("country", "American") is None  # the demo shop sells to no American
    assert _countries(demo, "American and Dutch buyers") == ["Netherlands"]


def test_each_demonym_belongs_to_one_country_of_the_real_data() -> None:
    owner: dict[str, str] = {}
    for country, entry in demonym_table()["countries"].items():
        assert country in REAL_COUNTRIES and set(entry) <= {"en", "es", "de", "fr", "pt", "cased", "exact"}
        for words in entry.values():
            for form in (f for word in words for f in demonym_forms(str(word))):
                assert owner.setdefault(alias_key(form), country) == country, f"{form!r} is in two countries"
    assert demonym_forms("deutsch~") == ["deutsch", "deutsche", "deutschen", "deutscher", "deutsches", "deutschem"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("our loyal shoppers", "loyal"), ("lost buyers", "lost"), ("Risikokunden", "at_risk"),
     ("los campeones", "champions"), ("不能流失的客户有多少", "cant_lose")],
)  # fmt: skip
def test_segment_phrases_are_found_with_other_customer_nouns_and_the_longest_reading(
    real: EntityResolver, text: str, value: str
) -> None:
    assert [m.value for m in real.find_mentions(text) if m.kind == "segment"] == [value]

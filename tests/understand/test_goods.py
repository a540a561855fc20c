"""Goods the catalogue does not hold, decided by code (assistant/understand/goods.py), and the question asked."""

from __future__ import annotations

import pytest

from assistant.understand.aliases import EntityResolver
from assistant.understand.clarify import MAX_LISTED, unknown_goods_question
from assistant.understand.goods import goods_categories, named_goods, unknown_goods
from assistant.understand.vocabulary import Vocabulary, name_words

# A small gift and clothing shop: its categories and the words of its product names.
SHOP = Vocabulary(
    countries=("France", "Germany", "Spain"),
    categories=("Bags", "Candles & lighting", "Dresses", "Home decor", "Kitchen & dining", "Knits", "Other"),
    product_words=name_words(
        ["ZINC HEART LANTERN", "TEA CUP AND SAUCER", "JUTE SHOPPER BAG", "Dresses #12", "LIGHT GARLAND",
         "SHOE SHINE KIT", "CERAMIC MUG", "HAND WARMER BIRD"]
    ),
)  # fmt: skip


@pytest.fixture(scope="module")
def shop() -> EntityResolver:
    return EntityResolver(SHOP)


@pytest.mark.parametrize(
    ("text", "surface"),
    [("How did our drone sales do in spring?", "drone"),
     ("What are shoppers saying about our garden hoses?", "garden hoses"),
     ("Pull up the ratings for electric kettles", "electric kettles"),
     ("How many buyers purchased snowboards?", "snowboards"),
     ("Do we carry any printers?", "printers"),
     ("Recommend some headphones for the champions", "headphones"),
     ("How are the power banks selling?", "power banks"),
     ("¿Qué tal las ventas de bicicletas?", "bicicletas"),
     ("Wie entwickeln sich die Verkäufe von Fernsehern?", "Fernsehern"),
     ("Quelles sont les notes des aspirateurs ?", "aspirateurs"),
     ("Clientes que compraram geladeiras", "geladeiras"),
     ("无人机的销量怎么样？", "无人机")],
)  # fmt: skip
def test_goods_the_catalogue_lacks_are_found_as_written(shop: EntityResolver, text: str, surface: str) -> None:
    assert unknown_goods(text, shop) == [surface]


@pytest.mark.parametrize(
    "text",
    ["How did our lantern sales do in spring?",  # a product-name word
     "Reviews of the tea cups",  # plural of a product-name word
     "Customers who bought teacups",  # two product-name words run together
     "Recommend some dresses for the champions",  # a category
     "What do people think about our frocks?",  # a category's alias
     "¿Qué tal las ventas de velas?", "Umsatz mit Kerzenhaltern",  # aliases, also inside a German compound
     "Sales of products under 10 euros", "Recommend something for a birthday",  # never goods
     "Reviews for product 20725", "Feedback on the quality", "Demand for the holidays",  # ids, topics, periods
     "Sales of our best sellers", "Customers who bought twice", "How are we doing?", "Sales for Germany",
     "How are our total sales?", "Forecast for next quarter", "蜡烛的销量", "上个月的销量", "星期几的销售额最高",
     "Combien de commandes avons-nous reçues chaque semaine ?"],
)  # fmt: skip
def test_known_goods_and_everything_else_are_not_unknown_goods(shop: EntityResolver, text: str) -> None:
    assert unknown_goods(text, shop) == []


@pytest.mark.parametrize(
    ("text", "named"),
    [("How did our lantern sales do in spring?", ["lantern"]),  # the catalogue's words: a product filter
     ("Customers in France with 3 orders who bought ceramic mugs", ["ceramic mugs"]),  # after other words too
     ("¿Qué tal las ventas de linternas?", ["linternas"]),  # another language: the English catalogue cannot tell
     ("Recommend some dresses for the champions", []),  # a category: a value of the data
     ("Sales of products under 10 euros", []), ("Customers who bought twice", []),  # no goods
     ("Count the negative reviews in each department", []),  # a word after a cue that is no product's
     ("蜡烛的销量", [])],  # Chinese goods of the catalogue are its categories' aliases
)  # fmt: skip
def test_goods_named_by_description_are_what_code_does_not_fill(
    shop: EntityResolver, text: str, named: list[str]
) -> None:
    assert named_goods(text, shop) == named


def test_without_product_names_code_cannot_tell_and_says_nothing() -> None:
    blind = EntityResolver(Vocabulary(categories=("Bags",)))
    assert unknown_goods("How did our drone sales do?", blind) == []


def test_the_goods_question_lists_the_categories_in_the_requests_language() -> None:
    known = goods_categories(SHOP)
    assert "Other" not in known and "Bags" in known  # catch-alls are no answer
    en = unknown_goods_question("drones", "en", known)
    assert en.startswith("I couldn't find “drones” among your products.") and "Bags, Candles & lighting" in en
    assert en.endswith("?")
    assert unknown_goods_question("Drohnen", "de", known).startswith("„Drohnen“ finde ich unter Ihren Produkten")
    assert "无人机" in unknown_goods_question("无人机", "zh", known)
    assert unknown_goods_question("drones", "xx", []).endswith("Could you rephrase the question?")
    many = [f"C{i}" for i in range(MAX_LISTED + 3)]
    assert "(and 3 more)" in unknown_goods_question("drones", "en", many)

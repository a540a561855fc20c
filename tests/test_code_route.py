"""When code's reading covers a whole request (assistant/agent/code_route.py): the words that keep it from that."""

from __future__ import annotations

import pytest

from assistant.agent.code_route import _excludes, _number_used


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Customers in France that did not order in 2011", "en"),
        ("Revenue by month excluding the United Kingdom", "en"),
        ("clientes sin pedidos este año", "es"),
        ("Umsatz pro Monat außer Deutschland", "de"),
        ("chiffre d'affaires par mois sauf la France", "fr"),
        ("clientes que não compraram em 2011", "pt"),
        ("除了英国以外每个月的销售额", "zh"),
    ],
)
def test_a_negation_or_exclusion_is_the_models_to_read(question: str, language: str) -> None:
    assert _excludes(question, language)


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Customers with no more than 2 orders", "en"),  # a comparator
        ("clientes con no más de 2 pedidos", "es"),
        ("Kunden mit nicht mehr als 2 Bestellungen", "de"),
        ("Quantos clientes no Brasil fizeram pedidos?", "pt"),  # Portuguese "no" is "in the"
        ("不同国家的平均评分", "zh"),  # 不同: "different"
        ("至少4笔订单、不少于500英镑的客户", "zh"),  # 不少于: "at least"
    ],
)
def test_comparators_and_other_languages_words_are_no_negation(question: str, language: str) -> None:
    assert not _excludes(question, language)


def test_a_stated_number_is_used_as_said_as_a_strict_whole_bound_or_as_a_share() -> None:
    assert _number_used(5, ["Spain", 5])
    assert _number_used(2, [3])  # "more than 2 orders": at least 3
    assert _number_used(65, [0.65])  # 65 % as a probability
    assert not _number_used(3, ["France", 10])  # "cluster 3": no input holds it
    assert not _number_used(1, [True])  # a flag is no number


@pytest.mark.parametrize(
    "question",
    [
        "Customers in Germany with 3 or more orders, and what do they buy?",
        "Kunden mit mindestens 3 Bestellungen und wie viel geben sie aus?",
        "Orders per month in Spain? Then write an email to the best ones",
        "每个月的订单数，另外写一封邮件",
    ],
)
def test_a_second_question_or_task_is_no_request_code_reads_whole(question: str) -> None:
    from assistant.agent.code_route import _SECOND_ASK

    assert _SECOND_ASK.search(question)
    assert not _SECOND_ASK.search("Customers in Germany and France with 3 or more orders?")


def test_goods_named_by_product_words_are_left_to_the_model() -> None:
    from datetime import date

    from assistant.agent.code_route import goods_left
    from assistant.agent.understanding import Understander
    from assistant.understand.vocabulary import Vocabulary, name_words

    vocabulary = Vocabulary(
        countries=("France", "Germany"), categories=("Bags", "Home decor"), last_order_date=date(2011, 12, 9),
        product_words=name_words(["JUMBO BAG RED RETROSPOT", "WHITE HANGING HEART T-LIGHT HOLDER", "CAKE STAND"]),
    )  # fmt: skip
    understander = Understander.from_vocabulary(vocabulary)

    def left(question: str) -> list[str]:
        return goods_left(understander, understander.read(question, []), question)

    assert left("How many units of the jumbo bag red retrospot did we sell in 2011?") == ["jumbo", "retrospot"]
    assert left("Units sold per year of the white hanging heart holders") == ["white", "hanging", "heart", "holders"]
    assert left("Wie viele Stück vom Kuchenständer haben wir 2011 verkauft?") == ["Kuchenständer"]  # a German noun
    assert left("How many orders did we get each month from France?") == []  # every word read
    assert left("Units sold per quarter in 2011, first orders only") == []  # everyday words of product names
    assert left("Wie viele Bestellungen kamen pro Monat aus Frankreich?") == []

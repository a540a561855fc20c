"""Out-of-scope topics, decided by code (assistant/understand/scope.py)."""

from __future__ import annotations

import pytest

from assistant.understand.scope import names_shop_world, out_of_scope, outside_topics


@pytest.mark.parametrize(
    "text",
    ["What is the gold price in London?", "Wer wird Fußball-Weltmeister?", "¿Qué tiempo hará mañana en Madrid?",
     "Réserve-moi un vol pour Lyon", "Qual é a capital da Austrália?", "比特币明天会涨吗？",
     "Me dá uma receita de bolo de chocolate"],
)  # fmt: skip
def test_outside_topics_without_shop_data_are_out_of_scope(text: str) -> None:
    assert outside_topics(text)


@pytest.mark.parametrize(
    "text",
    ["How many champions do we have?", "Forecast our sales for next quarter", "Write an email about our gold earrings",
     "Kunden, die Fußball-Artikel gekauft haben", "What do reviewers say about the match of the colours?", "Hello!",
     "receita por mês em 2011"],  # 'receita' is a recipe, and revenue when it is measured
)  # fmt: skip
def test_requests_about_the_shop_stay_in_scope(text: str) -> None:
    assert outside_topics(text) == []


# ---------------------------------------------------------------- the positive test: nothing of the shop's world


@pytest.mark.parametrize(
    "text",
    ["How long does it take to boil an egg?", "Who composed the Moonlight Sonata?", "What is the square root of 289?",
     "Which beach is nicest for a honeymoon?", "¿Quién escribió Don Quijote?", "Wie weit ist der Mond entfernt?",
     "Combien de pattes a une araignée ?", "Qual é o maior rio do mundo?", "珠穆朗玛峰有多高？",
     "Will it snow in Oslo this weekend?"],
)  # fmt: skip
def test_requests_naming_nothing_of_the_shop_are_out_of_scope(text: str) -> None:
    assert out_of_scope(text, names_data_value=False)


@pytest.mark.parametrize(
    "text",
    ["Who is likely to stop buying soon?", "Which month brought in the most money for us?",
     "Give me three subject lines for a spring launch", "Which lines performed best in the autumn?",
     "¿Qué se vendió mejor el último trimestre?", "Welche Stammkundinnen haben lange nicht bestellt?",
     "Quels articles recommander pour la fête des mères ?", "Quais são os itens mais vendidos?",
     "哪些商品卖得最好？", "How are we doing?", "What can you do?", "Hello there!"],
)  # fmt: skip
def test_requests_about_the_shop_or_to_the_assistant_stay_in_scope(text: str) -> None:
    assert not out_of_scope(text, names_data_value=False)


def test_a_named_data_value_keeps_a_request_in_scope_but_an_outside_topic_does_not() -> None:
    assert not out_of_scope("Compare Portugal with Greece", names_data_value=True)
    assert out_of_scope("What's the weather like in Portugal?", names_data_value=True)  # outside_topics still wins


@pytest.mark.parametrize("text", ["and the cheaper ones?", "only those from last week", "what about 2010?",
                                  "und die schlechten?", "只看五星的"])  # fmt: skip
def test_short_turns_after_a_subject_are_follow_ups_not_declines(text: str) -> None:
    assert not out_of_scope(text, names_data_value=False, has_subject=True)


def test_short_or_pointing_back_requests_are_left_to_the_model() -> None:
    assert not out_of_scope("Paris?", names_data_value=False)  # too little to decline
    assert not out_of_scope("Make that one shorter", names_data_value=False)  # leans on the conversation
    assert out_of_scope("Who was the first person on the moon?", names_data_value=False, has_subject=True)


def test_a_hotel_is_not_a_shop() -> None:
    assert outside_topics("推荐一家上海的酒店")  # 店 alone no longer counts as the shop


def test_shop_world_terms_match_inflections_and_german_compounds() -> None:
    assert names_shop_world("Jahresumsatz nach Warengruppen")
    assert names_shop_world("re-engaging dormant shoppers")
    assert not names_shop_world("the tallest mountain in Europe")
    assert names_shop_world("Stornoquote?")  # a term of the shop's glossary ('cancellation rate')
    assert not out_of_scope("Wie hoch ist die Stornoquote dieses Jahr?", names_data_value=False)


@pytest.mark.parametrize(
    "text", ["What did I just ask about?", "¿Qué te pregunté antes?", "Was habe ich gefragt?", "我刚才问了什么？"]
)
def test_questions_about_the_conversation_itself_are_in_scope(text: str) -> None:
    assert not out_of_scope(text, names_data_value=False)

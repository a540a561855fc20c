"""detect_language on short marketer questions, and the clarifying questions asked in that language."""

from __future__ import annotations

import pytest

from assistant.understand.clarify import MAX_LISTED, unknown_value_question
from assistant.understand.language import LANGUAGES, detect_language, language_name


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("¿Cuántos clientes tenemos en Alemania?", "es"),
        ("Wie viele Kunden haben wir in Frankreich?", "de"),
        ("Combien de clients avons-nous en Espagne ?", "fr"),
        ("Quantos clientes temos na Itália?", "pt"),
        ("我们在德国有多少客户？", "zh"),
        ("Wer sind unsere besten Kunden?", "de"),
        ("and how many of those are in France?", "en"),
        ("¿Quiénes son nuestros mejores clientes?", "es"),
        ("Quels sont nos meilleurs clients ?", "fr"),
        ("Quais são nossos melhores clientes?", "pt"),
        ("Welche Kunden sind gefährdet?", "de"),
        ("Clientes en riesgo en España", "es"),
        ("Clientes em risco no Brasil", "pt"),
        ("Vendas por país", "pt"),
        ("Ventas por país", "es"),
        ("e os da França?", "pt"),
        ("et en Belgique ?", "fr"),
        ("und in Österreich?", "de"),
        ("¿y en Italia?", "es"),
        ("VIP客户有多少", "zh"),
        ("日本の顧客は何人ですか", "zh"),
        ("What are customers saying about dresses?", "en"),
        ("Show sales of 连衣裙 in Germany", "en"),  # a Chinese product word in an English question
        ("Que pensent les acheteuses de nos robes ?", "fr"),  # que/les/de/nos are shared by three languages
        ("clientes con no más de 3 pedidos", "es"),
        ("Como está a nossa base de clientes?", "pt"),
        ("clientes captados en marzo de 2011", "es"),  # month names
        ("Abwanderungsprognose für Kunden in Spanien", "de"),  # German word endings
        ("Escreva uma promoção para as saias", "pt"),
        ("customers who bought in August", "en"),
        ("Alemania", "en"),  # one name is not a language
        ("ok", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_language_names() -> None:
    assert [language_name(code) for code in LANGUAGES] == [
        "English", "Chinese", "Spanish", "German", "French", "Portuguese"
    ]  # fmt: skip
    with pytest.raises(ValueError, match="unsupported language"):
        language_name("xx")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "I couldn't find a country called “Narnia” in your data. Which of these did you mean? "
               "Known countries: France, Germany."),
        ("zh", "在你的数据中没有找到名为“Narnia”的国家。你指的是下面哪一个？已知的国家：France、Germany。"),
        ("es", "No encuentro «Narnia» como país en tus datos. ¿Te refieres a alguno de estos? "
               "Países: France, Germany."),
        ("de", "„Narnia“ finde ich in Ihren Daten nicht als Land. Meinten Sie einen dieser Werte? "
               "Bekannte Länder: France, Germany."),
        ("fr", "Je ne trouve pas « Narnia » parmi les pays de vos données. Vouliez-vous dire l'une de ces valeurs ? "
               "France, Germany."),
        ("pt", "Não encontrei «Narnia» como país nos seus dados. Você quis dizer algum destes? "
               "Países: France, Germany."),
    ],
)  # fmt: skip
def test_unknown_value_question_in_each_language(language: str, expected: str) -> None:
    assert unknown_value_question("country", "Narnia", language, ["France", "Germany"]) == expected


def test_a_long_list_is_cut_with_a_count() -> None:
    known = [f"C{i}" for i in range(MAX_LISTED + 5)]
    question = unknown_value_question("category", "zapatos", "es", known)
    assert f"C{MAX_LISTED - 1} … (y 5 más)." in question and f"C{MAX_LISTED}," not in question
    assert unknown_value_question("category", "鞋", "zh", known).endswith("C11…（另有 5 个）。")


def test_no_known_values_and_fallbacks() -> None:
    assert "keine Segmente zur Auswahl" in unknown_value_question("segment", "Wale", "de", [])
    assert unknown_value_question("country", "Narnia", "xx", ["France"]).startswith("I couldn't find a country")
    assert "called “Mars” in your data" in unknown_value_question("planet", "Mars", "en", ["Earth"])


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("Write an email in Spanish about bags", "en", "es"),
        ("Schreib eine E-Mail auf Englisch", "de", "en"),
        ("用英文写一条推送", "zh", "en"),
        ("Rédige un e-mail en anglais", "fr", "en"),
        ("Escreva em português, por favor", "en", "pt"),
        ("Write an email for our Spanish customers", "en", "en"),  # a demonym is not the text's language
        ("email para clientes en España", "es", "es"),  # a country is not a language
        ("写一条推送", "zh", "zh"),
    ],
)
def test_the_language_a_text_is_to_be_written_in(text: str, default: str, expected: str) -> None:
    from assistant.understand.language import target_language

    assert target_language(text, default) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wiederkaufrate je Segment", "de"),  # no function word: the shop term says German
        ("taxa de recompra por segmento", "pt"),  # the longest term is Portuguese ('recompra' alone is Spanish too)
        ("receita por dia da semana", "pt"),
        ("feedback Dresses?", "en"),  # an English loanword in the German glossary says nothing
        ("repeat rate by segment", "en"),
        ("¿Cuántos clientes tenemos en Francia?", "es"),  # the words decide before any term
    ],
)
def test_a_bare_phrase_is_in_the_language_of_its_shop_terms(text: str, expected: str) -> None:
    from assistant.understand.language import request_language

    assert request_language(text) == expected
    assert detect_language(text) in (expected, "en")  # detect_language alone does not know the terms


def test_a_follow_up_whose_words_decide_nothing_keeps_the_conversation_language() -> None:
    from assistant.understand.language import request_language

    earlier = ["¿Cuántos clientes tenemos en Alemania?"]
    assert request_language("Y en Francia?") == "en"  # alone: undecided
    assert request_language("Y en Francia?", earlier) == "es"
    assert request_language("And in France?", earlier) == "en"  # English words decide: the marketer switched
    assert request_language("Y en Francia?", ["ok", *earlier, "Francia"]) == "es"  # the latest that decides

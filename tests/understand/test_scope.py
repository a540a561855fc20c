"""Out-of-scope topics, decided by code (assistant/understand/scope.py)."""

from __future__ import annotations

import pytest

from assistant.understand.scope import outside_topics


@pytest.mark.parametrize(
    "text",
    ["What is the gold price in London?", "Wer wird Fußball-Weltmeister?", "¿Qué tiempo hará mañana en Madrid?",
     "Réserve-moi un vol pour Lyon", "Qual é a capital da Austrália?", "比特币明天会涨吗？"],
)  # fmt: skip
def test_outside_topics_without_shop_data_are_out_of_scope(text: str) -> None:
    assert outside_topics(text)


@pytest.mark.parametrize(
    "text",
    ["How many champions do we have?", "Forecast our sales for next quarter", "Write an email about our gold earrings",
     "Kunden, die Fußball-Artikel gekauft haben", "What do reviewers say about the match of the colours?", "Hello!"],
)  # fmt: skip
def test_requests_about_the_shop_stay_in_scope(text: str) -> None:
    assert outside_topics(text) == []

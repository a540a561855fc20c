"""The line code writes when the narration is gone states what the question asked about; no model, no data."""

from __future__ import annotations

import pytest

from assistant.agent.narration import code_summary, relevant_facts
from tools.facts import Fact

FACTS = [
    Fact(id="f1", label="customers (France)", head="customers", value=87),
    Fact(id="f2", label="orders (France)", head="orders", value=379, unit="orders"),
    Fact(id="f3", label="revenue (France)", head="revenue", value=183801.94, unit="money"),
    Fact(id="f4", label="repeat customers (2+ orders) (France)", head="repeat customers (2+ orders)", value=58),
    Fact(id="f5", label="repeat rate (2+ orders) (France)", head="repeat rate (2+ orders)", value=0.6667,
         unit="percent"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "code"),
    [("repeat purchase rate in France", "en"), ("芬兰复购率多少", "zh"), ("taux de réachat en France", "fr")],
)
def test_the_fact_the_question_asks_about_comes_first(question: str, code: str) -> None:
    assert relevant_facts(FACTS, question, code)[0].id == "f5"
    assert "66.7 %" in code_summary(FACTS, code, question)


def test_without_a_match_the_result_s_own_order_stays() -> None:
    assert [f.id for f in relevant_facts(FACTS, "how are we doing?", "en")] == ["f1", "f2", "f3", "f4", "f5"]
    assert "87" in code_summary(FACTS, "en", "how are we doing?")

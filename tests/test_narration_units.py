"""Narration pieces code owns: the summary line states what the question asked about; row labels are no figures."""

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


def test_a_row_label_with_digits_is_no_figure_but_a_bare_number_still_is() -> None:
    from assistant.agent.narration import without_row_labels

    bands = [Fact(id="f1", label="average rating (25-34)", head="average rating", key="25-34", value=4.2),
             Fact(id="f2", label="orders (3)", head="orders", key="3", value=7),
             Fact(id="f3", label="average rating (65+)", head="average rating", key="65+", value=4.3)]  # fmt: skip
    text = "Reviewers aged 25-34 rate us best, 3 bands lower; 125-345 is no band."
    assert without_row_labels(text, bands) == "Reviewers aged (label) rate us best, 3 bands lower; 125-345 is no band."
    assert (
        without_row_labels("Those aged 65+ rate 4.3; 165+ is none.", bands)
        == "Those aged (label) rate 4.3; 165+ is none."
    )

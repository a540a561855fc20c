"""Claim-level grounding: tools' named facts, their rendering, and a narration that can only cite them.

The three misattributions a small model makes are impossible by construction: a cited share renders with its
own row's label, a number copied from another row is removed, and a forecast always reads as a forecast.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from pydantic import BaseModel

import prompts
from assistant.agent.events import Final, Token
from assistant.agent.facts import RefStream, facts_prompt, narration_data, render_fact_refs, step_facts, turn_facts
from assistant.agent.state import StepRecord
from assistant.core.workspace import Workspace
from tests.helpers.agent import make_agent
from tools.base import Table, Tool
from tools.facts import MAX_FACTS, Fact, fact_phrase, facts_from_result
from tools.predict.forecast import ForecastPeriod, ForecastSalesResult
from tools.segments.overview import CustomerOverviewResult
from tools.segments.results import BreakdownRow, SegmentResult
from tools.segments.spec import GroupBy
from tools.segments.sqlrun import ExecutedQuery
from tools.sentiment.terms import TermCount
from tools.sentiment.tool import AnalyzeSentimentResult, AspectSummary, MonthPoint, ProductSentiment, SentimentSplit

# ------------------------------------------------------------------------------------------------ results


def row(key: str, customers: int, share: float, revenue: float, revenue_share: float, orders: int) -> BreakdownRow:
    return BreakdownRow(key=key, customers=customers, share_of_segment=share, revenue=revenue,
                        revenue_share=revenue_share, orders=orders, avg_recency_days=12.5)  # fmt: skip


def segment_result(group_by: GroupBy = GroupBy.country, rows: list[BreakdownRow] | None = None) -> SegmentResult:
    rows = rows or [
        row("Germany", 95, 0.235, 12345.5, 0.30, 300),
        row("France", 87, 0.215, 10000.0, 0.25, 95),
        row("Spain", 40, 0.1, 4000.0, 0.1, 90),
    ]
    return SegmentResult(
        definition="customers with at least one completed order up to 2011-12-09, in RFM segment champions",
        as_of=date(2011, 12, 9), customers=404, total_customers=4334, share_of_customers=0.0932, revenue=41000.0,
        total_revenue=8737227.64, revenue_share=0.0047, orders=1200, avg_recency_days=11.0, avg_frequency=3.0,
        avg_monetary=101.5, avg_order_value=34.2, group_by=group_by, breakdown=rows,
        queries=[ExecutedQuery(purpose="summary", sql="SELECT …"),
                 ExecutedQuery(purpose=f"breakdown by {group_by.value}", sql="SELECT …")],
    )  # fmt: skip


def forecast_result() -> ForecastSalesResult:
    return ForecastSalesResult(
        metric="revenue", granularity="month", category=None, last_day=date(2011, 12, 9),
        periods=[
            ForecastPeriod(period="2011-12", start=date(2011, 12, 1), end=date(2011, 12, 31), forecast=52000.0,
                           low=48000.0, high=56000.0, actual_to_date=15000.0),
            ForecastPeriod(period="2012-01", start=date(2012, 1, 1), end=date(2012, 1, 31), forecast=41000.0,
                           low=35000.0, high=47000.0),
        ],
        history=[("2011-10", 61000.0), ("2011-11", 73000.0), ("2011-12", 15000.0)],
        backtest={},
    )  # fmt: skip


def sentiment_result() -> AnalyzeSentimentResult:
    quotes: list[Any] = []
    return AnalyzeSentimentResult(
        scope="category 'Dresses'", review_count=1500,
        split=SentimentSplit(positive=1000, neutral=200, negative=300, unscored=0),
        average_rating=4.12, recommend_rate=0.82,
        aspects=[
            AspectSummary(aspect="fit", mentions=400, reviews=350, positive=200, negative=150, positive_share=0.571,
                          negative_share=0.429, quotes=quotes),
            AspectSummary(aspect="fabric", mentions=300, reviews=280, positive=250, negative=30, positive_share=0.893,
                          negative_share=0.107, quotes=quotes),
        ],
        positive_terms=[TermCount(term="flattering", reviews=120, share=0.12)],
        negative_terms=[TermCount(term="itchy", reviews=45, share=0.15)],
        trend=[MonthPoint(month="2011-10", reviews=100, positive_share=0.6, negative_share=0.2, average_rating=3.9),
               MonthPoint(month="2011-11", reviews=140, positive_share=0.7, negative_share=0.1, average_rating=4.2)],
        most_praised=[ProductSentiment(product_id="D101", name="Linen Summer Dress", reviews=39, positive_share=0.9,
                                       negative_share=0.05, average_rating=4.6)],
        most_criticised=[], notes=[],
    )  # fmt: skip


def by_label(facts: list[Fact], start: str) -> Fact:
    found = [f for f in facts if f.label == start] or [f for f in facts if f.label.startswith(start)]
    assert len(found) == 1, (start, [f.label for f in facts])
    return found[0]


# ------------------------------------------------------------------------------------------------ extractor


def test_segment_facts_name_their_row_and_put_totals_first() -> None:
    facts = facts_from_result("segment_query", segment_result())
    assert [f.id for f in facts] == [f"f{i}" for i in range(1, len(facts) + 1)] and len(facts) <= MAX_FACTS
    assert facts[0].label == "customers (RFM segment champions)" and facts[0].value == 404  # totals first
    germany = by_label(facts, "customers in Germany")
    assert germany.value == 95 and germany.unit == "count" and germany.kind == "actual"
    assert fact_phrase(germany) == "95 customers in Germany (RFM segment champions)"
    france_share = by_label(facts, "of the selected customers in France")
    assert france_share.unit == "percent" and fact_phrase(france_share).startswith("21.5 % of the selected")
    assert by_label(facts, "revenue in Spain").unit == "money"
    assert "breakdown by country" in germany.source and "summary" in facts[0].source
    # The whole base is not the segment: its total carries no segment scope.
    assert fact_phrase(by_label(facts, "customers in the whole customer base")) == (
        "4,334 customers in the whole customer base"
    )
    # Each row's main figures come before any secondary figure (averages, orders of a row).
    ids = [f.label for f in facts]
    assert ids.index("customers in Spain (RFM segment champions)") < ids.index(
        "since the last order on average (RFM segment champions)"
    )


def test_segment_grouped_by_segment_labels_rows_by_segment() -> None:
    rows = [row("champions", 80, 0.105, 65861.85, 0.288, 353), row("at_risk", 82, 0.108, 27350.92, 0.12, 150)]
    result = segment_result(GroupBy.segment, rows).model_copy(
        update={"definition": "customers with at least one completed order up to 2011-12-09"}
    )
    facts = facts_from_result("segment_query", result)
    assert fact_phrase(by_label(facts, "of the selected customers in segment at_risk")) == (
        "10.8 % of the selected customers in segment at_risk"
    )
    assert by_label(facts, "customers in segment champions").value == 80


def test_many_rows_are_capped_with_the_first_rows_kept() -> None:
    rows = [row(f"Country {i}", 100 - i, 0.01, 1000.0 - i, 0.01, 20) for i in range(40)]
    facts = facts_from_result("segment_query", segment_result(rows=rows))
    assert len(facts) == MAX_FACTS
    labels = " | ".join(f.label for f in facts)
    assert "customers in Country 0 " in labels and "Country 39" not in labels


def test_forecast_facts_are_forecasts_and_say_so() -> None:
    facts = facts_from_result("forecast_sales", forecast_result())
    january = by_label(facts, "forecast revenue for 2012-01")
    assert january.kind == "forecast" and january.unit == "money"
    assert fact_phrase(january) == "41,000 forecast revenue for 2012-01 (forecast)"
    assert all(f.kind == "forecast" and "forecast" in fact_phrase(f) for f in facts if f.value in (41000.0, 52000.0))
    booked = by_label(facts, "revenue already booked in 2011-12")
    assert booked.kind == "actual" and "actual so far" in booked.label
    past = by_label(facts, "actual revenue in 2011-11")
    assert past.kind == "actual" and past.value == 73000.0
    # The month being forecast is not also reported as a full past month.
    assert not [f for f in facts if f.label == "actual revenue in 2011-12"]
    assert "FORECAST" in facts_prompt([january]) and "FORECAST" not in facts_prompt([past])


def test_sentiment_facts_label_aspects_terms_months_and_products() -> None:
    facts = facts_from_result("analyze_sentiment", sentiment_result())
    assert fact_phrase(by_label(facts, "reviews (category")) == "1,500 reviews (category 'Dresses')"
    assert fact_phrase(by_label(facts, "of scored reviews positive")).startswith("66.7 % of scored reviews positive")
    assert fact_phrase(by_label(facts, "average rating (")) == "4.12/5 average rating (category 'Dresses')"
    assert by_label(facts, "of mentions negative about fit").value == 0.429
    assert by_label(facts, "of negative reviews with the word 'itchy'").value == 0.15
    assert by_label(facts, "of reviews positive for Linen Summer Dress (D101)").value == 0.9
    labels = [f.label for f in facts]
    newest = next(i for i, label in enumerate(labels) if "in 2011-11" in label)
    oldest = next(i for i, label in enumerate(labels) if "in 2011-10" in label)
    assert newest < oldest  # a time series: the latest month first


def test_overview_tables_are_walked_by_their_key_columns() -> None:
    def table(columns: list[str], rows: list[list[Any]]) -> Table:
        return Table(columns=columns, rows=rows)

    result = CustomerOverviewResult(
        as_of=date(2011, 12, 9), countries=[], customers=4334, orders=18000, revenue=8.7e6, repeat_customers=2800,
        repeat_rate=0.646, orders_per_customer=4.15, avg_order_value=480.0, revenue_per_customer=2000.0,
        cancelled_orders=3600, cancellation_rate=0.167, guest_orders=1400,
        monthly=table(["month", "active customers", "new customers", "orders", "revenue"],
                      [["2011-10", 1300, 300, 1900, 1.0e6], ["2011-11", 1700, 320, 2600, 1.2e6]]),
        top_countries=table(["country", "customers", "revenue", "revenue share"],
                            [["United Kingdom", 3900, 7.3e6, "83.9%"], ["Germany", 95, 2.3e5, "2.6%"]]),
        top_products=table(["product id", "name", "category", "buyers", "units", "revenue"],
                           [["22423", "REGENCY CAKESTAND", "Kitchen", 880, 12000, 1.6e5]]),
        top_categories=table(["category", "buyers", "units", "revenue"], [["Kitchen", 2000, 50000, 9.0e5]]),
        segments=table(["segment", "customers", "share", "revenue"], [["champions", 891, "20.6%", 5.7e6]]),
    )  # fmt: skip
    facts = facts_from_result("customer_overview", result)
    assert fact_phrase(by_label(facts, "of all revenue in Germany")) == "2.6 % of all revenue in Germany"
    assert fact_phrase(by_label(facts, "of all customers in segment champions")) == (
        "20.6 % of all customers in segment champions"
    )
    assert by_label(facts, "buyers for REGENCY CAKESTAND (22423)").value == 880
    assert by_label(facts, "active customers in 2011-11").value == 1700


def test_copy_states_no_facts() -> None:
    """A copy draft is the answer itself (not narrated): nothing in it is a fact to cite."""
    from tools.copywriter import TOOLS

    copy_tool = next(t for t in TOOLS if t.name == "write_copy")
    assert not copy_tool.narrate and step_facts(copy_tool, segment_result(), []) == []


def test_a_result_may_label_its_own_facts() -> None:
    class Own(BaseModel):
        total: int = 7

        def facts(self) -> list[Fact]:
            return [Fact(label="things counted by hand", value=self.total)]

    assert facts_from_result("own_tool", Own()) == [
        Fact(id="f1", label="things counted by hand", value=7, source="own_tool")
    ]


# ------------------------------------------------------------------------------------------------ rendering


def facts_of(*results: tuple[str, BaseModel]) -> tuple[list[StepRecord], list[Fact]]:
    steps: list[StepRecord] = []
    for tool, result in results:
        steps.append(StepRecord(tool=tool, args={}, ok=True, error=None, ms=1.0, result=result.model_dump(mode="json"),
                                markdown=result.to_markdown(), charts=[],  # type: ignore[attr-defined]
                                facts=step_facts(fixed_tool(tool, result), result, steps)))  # fmt: skip
    return steps, turn_facts(steps)


def test_ids_are_unique_across_the_turn_in_step_order() -> None:
    steps, facts = facts_of(("segment_query", segment_result()), ("forecast_sales", forecast_result()))
    assert [f.id for f in facts] == [f"f{i}" for i in range(1, len(facts) + 1)]
    assert steps[1]["facts"][0]["id"] == f"f{len(steps[0]['facts']) + 1}"  # stored with turn ids already
    assert facts[len(steps[0]["facts"])].kind == "forecast"


def test_refs_render_as_value_and_label_in_every_tolerated_form() -> None:
    facts = [Fact(id="f3", label="customers in Germany (champions)", value=95)]
    for form in ("{f3}", "[f3]", "{{f3}}", "(f3)", "{ f3 }", "{F3}", "f3"):
        text, unknown = render_fact_refs(f"We have {form}.", facts)
        assert text == "We have 95 customers in Germany (champions).", form
        assert unknown == []
    text, unknown = render_fact_refs("We have {f9} and {f3}.", facts)
    assert unknown == ["{f9}"] and "{f9}" not in text and "95 customers" in text
    assert render_fact_refs("Tip: f9 is not a fact.", facts) == ("Tip: f9 is not a fact.", [])


def test_words_repeating_the_label_are_not_doubled() -> None:
    facts = [Fact(id="f1", label="customers in Germany (champions)", value=95),
             Fact(id="f2", label="of all revenue (champions)", value=0.3, unit="percent")]  # fmt: skip
    assert render_fact_refs("Germany has {f1} customers who matter.", facts)[0] == (
        "Germany has 95 customers in Germany (champions) who matter."
    )
    assert render_fact_refs("They bring {f2} of them.", facts)[0] == (
        "They bring 30 % of all revenue (champions) of them."  # a lone "of" is not the label repeated
    )
    for unit in ("%", " %", " percent"):
        assert render_fact_refs(f"They bring {{f2}}{unit} of all revenue.", facts)[0] == (
            "They bring 30 % of all revenue (champions)."
        )


def test_streaming_never_shows_an_id_and_ends_as_the_final_render() -> None:
    _, facts = facts_of(("segment_query", segment_result()))
    raw = "Germany has {f6} customers, with {{f7}} percent. France adds [f9], and (f99) is unknown {f1"
    final, _ = render_fact_refs(raw, facts)
    for cut in range(1, len(raw)):
        for second in (cut + 1, cut + 3):
            stream = RefStream(facts)
            pieces = [stream.feed(raw[:cut]), stream.feed(raw[cut:second]), stream.feed(raw[second:]), stream.flush()]
            assert "".join(pieces) == final, (cut, second)
            shown = "".join(pieces[:2])
            assert not re.search(r"[{\[(]\s*f\d", shown), (cut, shown)
    stream = RefStream(facts)
    assert [stream.feed(p) for p in ("We have ", "{", "f", "6", "}", " today.")][:5] == ["We have ", "", "", "", ""]


def test_the_narrating_model_reads_facts_and_ids_not_digits() -> None:
    steps, _ = facts_of(("segment_query", segment_result()))
    data = narration_data(steps)
    assert "[f6] customers in Germany (RFM segment champions) = 95" in data
    assert "**{f1} customers** ({f2} of {f15})" in data  # headline numbers replaced by their ids
    assert "| Germany | … | … |" in data  # a table cell could equal another column's fact: no figure at all
    assert "12,345.50" in data and "| Germany | 95 |" not in data  # the value is in the facts list only


def test_every_share_of_the_sentiment_headline_is_a_fact_the_brief_cites() -> None:
    steps, facts = facts_of(("analyze_sentiment", sentiment_result()))
    neutral = by_label(facts, "of scored reviews neutral")
    assert neutral.value == 0.1333 and facts.index(neutral) < 6  # a headline figure, not cut behind the rows
    headline = narration_data(steps).split("Shown to the marketer:\n")[1].splitlines()[0]
    assert re.search(r"\{f\d+\} positive, \{f\d+\} neutral, \{f\d+\} negative", headline), headline


def test_a_share_no_fact_holds_is_masked_in_the_brief_and_names_keep_their_numbers() -> None:
    scope = "category 'Dresses' (PACK OF 72 range), 37.5% of the catalogue, 2.25 per review"
    steps, _ = facts_of(("analyze_sentiment", sentiment_result().model_copy(update={"scope": scope})))
    brief = narration_data(steps).split("Shown to the marketer:\n")[1]
    assert "PACK OF 72 range), … of the catalogue, … per review" in brief


def test_templates_ask_for_the_marketers_language() -> None:
    for name in ("respond_user.j2", "answer_user.j2"):
        spanish = prompts.render(name, history="", results="x", question="q", language="Spanish")
        english = prompts.render(name, history="", results="x", question="q", language="English")
        assert "Write in Spanish." in spanish and "Write in" not in english, name
    system = prompts.render("respond_system.j2")
    assert "{f1}" in system and "Never write a number yourself" in system


# ------------------------------------------------------------------------------------------------ narration


class NoArgs(BaseModel):
    """A fixed result (for tests)."""


def fixed_tool(name: str, result: BaseModel) -> Tool[Any]:
    return Tool(name, NoArgs, lambda args, ctx: result, f"Fixed {name} result")


def cite(label_start: str, template: str) -> Any:
    """A scripted narration that reads the facts list as a model would: the id of the fact labelled so."""

    def write(messages: list[BaseMessage]) -> str:
        facts = dict(re.findall(r"^\[(f\d+)\] (.+?) = ", str(messages[-1].content), re.M))
        fid = next(i for i, label in facts.items() if label.startswith(label_start))
        return template.replace("ID", "{" + fid + "}")

    return write


def narration(answer: str, result: BaseModel) -> str:
    shown = result.to_markdown()  # type: ignore[attr-defined]
    assert answer.startswith(shown)
    return answer[len(shown) :].strip()


@pytest.fixture
def segments() -> dict[str, Tool[Any]]:
    return {"champions_by_country": fixed_tool("champions_by_country", segment_result())}


def test_a_cited_share_renders_with_its_own_segment_label(demo_workspace: Workspace, segments: Any) -> None:
    """(1) A share is written by the renderer with its row's label: it cannot be attached to another row."""
    agent, model = make_agent(
        demo_workspace, {"tool": "champions_by_country", "args": {}},
        cite("of the selected customers in France", "Champions are strong in France with ID. Target them first."),
        tools=segments,
    )  # fmt: skip
    events = list(agent.stream("Where are our champions?"))
    assert isinstance(events[-1], Final)
    result = events[-1].result
    text = narration(result.answer, segment_result())
    assert text == (
        "Champions are strong in France with 21.5 % of the selected customers in France. Target them first."
    )
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert streamed.strip() == text and "{f" not in streamed  # the marketer never sees an id
    assert result.flags == []
    model.assert_complete()


def test_a_number_copied_from_another_row_is_removed(demo_workspace: Workspace, segments: Any) -> None:
    """(2) France's share (21.5%) or France's 95 orders stated for Germany: free numbers, so removed."""
    agent, _ = make_agent(
        demo_workspace, {"tool": "champions_by_country", "args": {}},
        "Germany holds 21.5% of the champions. Germany placed 95 orders.",
        {"tool": "champions_by_country", "args": {}},
        cite("customers in Germany", "Germany has ID, with 87 more in France. Plan a German loyalty email."),
        tools=segments,
    )  # fmt: skip
    result = agent.ask("Where are our champions?")
    text = narration(result.answer, segment_result())
    # Nothing of the model's prose is left, so code writes its own line from the facts, with the note.
    assert text.startswith("The results are above: ") and "Germany" not in text and "21.5" not in text
    assert text.endswith("_(Removed 2 statements that did not match the data.)_")
    assert any("grounding" in f and "21.5%" in f and "95" in f for f in result.flags)
    # A sentence citing a fact goes too when it also carries a free number.
    text = narration(agent.ask("And by country?").answer, segment_result())
    assert text.startswith("Plan a German loyalty email.") and "87" not in text and "Removed 1 statement" in text


def test_counting_words_and_the_marketers_numbers_may_stay(demo_workspace: Workspace, segments: Any) -> None:
    agent, _ = make_agent(
        demo_workspace, {"tool": "champions_by_country", "args": {}},
        "Pick the top 3 countries. Give the 404 champions a 15% welcome-back code.",
        tools=segments,
    )  # fmt: skip
    result = agent.ask("Champions: I plan a 15% code")
    text = narration(result.answer, segment_result())
    assert text.startswith("Pick the top 3 countries.")  # a counting word
    # A true figure written as digits, with one reading only, is cited for the model: rendered with its label.
    assert "404 " in text and "{f" not in text


def test_a_forecast_cannot_be_stated_as_a_past_actual(demo_workspace: Workspace) -> None:
    """(3) A forecast renders with "forecast" in its phrase; its number written as last month's sales is removed."""
    tools = {"revenue_forecast": fixed_tool("revenue_forecast", forecast_result())}
    agent, model = make_agent(
        demo_workspace, {"tool": "revenue_forecast", "args": {}},
        cite("forecast revenue for 2012-01", "January should bring ID. Last month we sold 41,000 in revenue."),
        tools=tools,
    )  # fmt: skip
    result = agent.ask("What revenue do we expect next month?")
    text = narration(result.answer, forecast_result())
    assert text.startswith("January should bring 41,000 forecast revenue for 2012-01 (forecast).")
    assert "we sold" not in text and "Removed 1 statement" in text
    respond_prompt = str(model.calls[1]["messages"][-1].content)
    assert "forecast revenue for 2012-01 = 41,000 (FORECAST)" in respond_prompt


def test_an_id_that_names_no_fact_is_removed(demo_workspace: Workspace, segments: Any) -> None:
    agent, _ = make_agent(
        demo_workspace, {"tool": "champions_by_country", "args": {}}, "Champions are loyal. They grew by {f77}.",
        tools=segments,
    )  # fmt: skip
    result = agent.ask("Where are our champions?")
    text = narration(result.answer, segment_result())
    assert text.startswith("Champions are loyal.") and "grew" not in text
    assert any("{f77}" in f for f in result.flags)


# ------------------------------------------------------------------------------------------------ phrasing


def test_facts_carry_what_they_measure_their_row_and_scope() -> None:
    germany = by_label(facts_from_result("segment_query", segment_result()), "customers in Germany")
    assert (germany.head, germany.key, germany.scope) == ("customers", "Germany", "RFM segment champions")


def test_a_narration_in_another_language_cites_in_that_language_with_its_row() -> None:
    facts = facts_from_result("segment_query", segment_result())
    germany, share = by_label(facts, "customers in Germany"), by_label(facts, "of the selected customers in France")
    text = f"Hay {{{germany.id}}} clientes y {{{share.id}}} en Francia."
    rendered, unknown = render_fact_refs(text, facts, "es")
    assert not unknown
    # The repeated noun is not doubled, no English label enters the sentence, and each figure keeps its row.
    assert rendered == "Hay 95 clientes (Germany) y 21.5 % de los clientes seleccionados (France) en Francia."
    german, _ = render_fact_refs(f"Es sind {{{germany.id}}}.", facts, "de")
    assert german == "Es sind 95 Kunden (Germany)."


def test_a_forecast_reads_as_a_forecast_in_every_language() -> None:
    facts = facts_from_result("forecast_sales", forecast_result())
    january = by_label(facts, "forecast revenue for 2012-01")
    for language, word in (("es", "previsión"), ("fr", "prévision"), ("zh", "预测")):
        rendered, _ = render_fact_refs(f"{{{january.id}}}", facts, language)
        assert rendered.startswith("41,000") and "2012-01" in rendered and word in rendered, rendered


def test_the_scope_is_shown_only_when_another_fact_measures_the_same_for_another_scope() -> None:
    one = Fact(id="f1", label="customers (Germany)", head="customers", scope="Germany", value=95)
    two = Fact(id="f2", label="customers (France)", head="customers", scope="France", value=87)
    assert render_fact_refs("{f1} so far.", [one])[0] == "95 customers so far."
    assert render_fact_refs("{f1} and {f2}.", [one, two])[0] == "95 customers (Germany) and 87 customers (France)."
    assert render_fact_refs("{f1} y {f2}.", [one, two], "es")[0] == "95 clientes (Germany) y 87 clientes (France)."


def test_a_head_without_words_in_the_language_renders_as_its_value_and_row() -> None:
    odd = Fact(id="f1", label="widgets per crate in Berlin", head="widgets per crate", key="Berlin", value=12)
    assert render_fact_refs("Son {f1}.", [odd], "es")[0] == "Son 12 (Berlin)."


def test_narration_restating_the_results_as_markdown_becomes_plain_sentences() -> None:
    from assistant.agent.narration import plain_prose

    shown = "**Segment:** customers with at least one completed order up to 2011-12-09, in France\n\n- **69 customers**"
    raw = ("**Segment:** customers with at least one completed order up to 2011-12-09, in France\n"
           "- **{f1}** clientes en Francia.\n- Enviar una oferta.")  # fmt: skip
    assert plain_prose(raw, shown) == "{f1} clientes en Francia. Enviar una oferta."


def test_a_sentence_with_an_unfilled_template_slot_is_left_out_and_references_stay() -> None:
    from assistant.agent.narration import without_placeholders

    text = "Les robes ont {f1} avis. Commentaire : {data}. La note moyenne est {{f2}}."
    assert without_placeholders(text) == "Les robes ont {f1} avis. La note moyenne est {{f2}}."
    assert without_placeholders("{0} avis positifs.") == ""
    assert without_placeholders("连衣裙有{f1}条评论。{0}条是差评。") == "连衣裙有{f1}条评论。"

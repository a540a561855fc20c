"""The agent's code-side decisions around the model (assistant/agent/understanding.py), with the scripted model:
data-aware schemas, alias resolution, strict comparisons, provenance dropping, follow-ups, out of scope."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from assistant.agent.decision import decision_schema
from assistant.agent.events import AgentResult
from assistant.agent.understanding import Understander, message
from assistant.core.workspace import Workspace
from assistant.understand.aliases import EntityResolver
from assistant.understand.vocabulary import Vocabulary
from tests.helpers.agent import make_agent
from tools.families import load_tools


def route(tool: str, **args: Any) -> str:
    return json.dumps({"tool": tool, "args": args})


def count_where(workspace: Workspace, where: str, params: list[Any] | None = None) -> int:
    con = workspace.connect()
    try:
        row = con.execute(
            f"SELECT count(*) FROM customer_rfm r JOIN customers c USING (customer_id) WHERE {where}", params or []
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def segment_tools() -> dict[str, Any]:
    return load_tools()


def test_the_routing_schema_only_admits_the_datas_values(demo_workspace: Workspace) -> None:
    con = demo_workspace.connect()
    try:
        understander = Understander.from_vocabulary(Vocabulary.from_connection(con))
        countries = sorted(r[0] for r in con.execute("SELECT DISTINCT country FROM customers").fetchall())
    finally:
        con.close()
    schema = decision_schema(load_tools(), understander.enums())
    branch = next(b for b in schema["anyOf"] if b["properties"]["tool"].get("const") == "segment_query")
    args = branch["properties"]["args"]["properties"]
    assert sorted(args["countries"]["items"]["enum"]) == countries
    assert "strict_bounds" not in args  # filled by code, never by the model


def test_a_country_written_in_another_language_reaches_the_tool_in_the_datas_spelling(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, _ = make_agent(
        demo_workspace, route("segment_query", countries=["Deutschland"]), "Hier sind die Kunden.", tools=segment_tools
    )
    result = agent.ask("Wie viele Kunden haben wir in Deutschland?")
    assert result.steps[0].args["countries"] == ["Germany"]
    assert result.steps[0].result["customers"] == count_where(demo_workspace, "c.country = 'Germany'")
    assert "Kunden" in result.answer or result.answer  # the narration itself is the model's


def test_more_than_is_strict_and_at_least_is_inclusive(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, _ = make_agent(
        demo_workspace,
        route("segment_query", frequency_min=3),
        "Done.",
        route("segment_query", frequency_min=3),
        "Done.",
        route("segment_query", monetary_min=500),
        "Done.",
        tools=segment_tools,
    )
    strict = agent.ask("How many customers have more than 3 orders?")
    assert strict.steps[0].args["frequency_min"] == 4
    assert strict.steps[0].result["customers"] == count_where(demo_workspace, "r.frequency > 3")
    inclusive = agent.ask("How many customers have at least 3 orders?")
    assert inclusive.steps[0].args["frequency_min"] == 3
    assert inclusive.steps[0].result["customers"] == count_where(demo_workspace, "r.frequency >= 3")
    spend = agent.ask("Customers who spent over 500 in total")
    assert spend.steps[0].args["strict_bounds"] == ["monetary_min"]
    assert spend.steps[0].result["customers"] == count_where(demo_workspace, "r.monetary > 500")


def test_invented_data_values_are_dropped_at_once_and_named(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    invented = route("segment_query", countries=["France"], segments=["champions"], export=True)
    agent, model = make_agent(demo_workspace, invented, "Here they are.", tools=segment_tools)
    result = agent.ask("How many customers do we have in France?")
    assert [s.tool for s in result.steps] == ["segment_query"]
    args = result.steps[0].args
    assert args["countries"] == ["France"] and "segments" not in args and "export" not in args
    assert result.steps[0].result["customers"] == count_where(demo_workspace, "c.country = 'France'")
    assert len(model.calls) == 2  # one routing call: a schema-filling guess is not asked about again
    assert "Not applied" in result.answer and "champions" in result.answer
    assert any("dropped untraceable" in f for f in result.flags)
    model.assert_complete()


def test_a_dropped_value_gives_way_to_the_one_the_request_names(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, model = make_agent(
        demo_workspace, route("segment_query", countries=["Germany"]), "Here they are.", tools=segment_tools
    )
    result = agent.ask("How many customers do we have in France?")
    assert result.steps[0].args == {"countries": ["France"]}
    assert result.steps[0].result["customers"] == count_where(demo_workspace, "c.country = 'France'")
    assert any("dropped untraceable: countries='Germany'" in f for f in result.flags)
    assert any("countries = ['France']: the request names it" in f for f in result.flags)
    model.assert_complete()


def test_a_number_nobody_stated_is_asked_about_once_then_dropped(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    invented = route("segment_query", countries=["France"], frequency_min=7)
    agent, model = make_agent(demo_workspace, invented, invented, "Here they are.", tools=segment_tools)
    result = agent.ask("How many customers do we have in France?")
    assert result.steps[0].args == {"countries": ["France"]}
    second_prompt = str(model.calls[1]["messages"][-1].content)
    assert "frequency_min=7" in second_prompt and "leave them out" in second_prompt  # asked once, with the reason
    assert any("dropped untraceable: frequency_min=7" in f for f in result.flags)
    model.assert_complete()


def test_a_follow_up_keeps_the_previous_subject(demo_workspace: Workspace, segment_tools: dict[str, Any]) -> None:
    agent, model = make_agent(
        demo_workspace,
        route("segment_query", countries=["Germany"]),
        "There are some.",
        route("segment_query", segments=["champions"], countries=["Germany"]),
        "Fewer.",
        route("segment_query", countries=["France"]),
        "Others.",
        tools=segment_tools,
    )
    first = agent.ask("How many customers do we have in Germany?", thread_id="t")
    assert first.steps[0].args == {"countries": ["Germany"]}
    # "which" is no word code reads: the model routes, code carries the subject.
    follow = agent.ask("and which of those are champions, by the way?", thread_id="t")
    assert follow.steps[0].args["countries"] == ["Germany"]
    assert follow.steps[0].args["segments"] == ["champions"]
    fresh = agent.ask("How many customers are in France?", thread_id="t")
    assert fresh.steps[0].args == {"countries": ["France"]}  # a new request does not inherit the filters
    model.assert_complete()


def test_a_short_follow_up_that_changes_one_value_is_the_previous_call_again(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, model = make_agent(
        demo_workspace, route("segment_query", countries=["Germany"], frequency_min=3), "Some.", "Fewer.", "More.",
        tools=segment_tools,
    )  # fmt: skip
    agent.ask("Which customers have we got in Germany with 3 or more orders, and what do they buy?", thread_id="t")
    follow = agent.ask("and only the champions?", thread_id="t")  # code's call: no routing model
    assert follow.steps[0].args == {"countries": ["Germany"], "frequency_min": 3, "segments": ["champions"]}
    where = "c.country = 'Germany' AND r.frequency >= 3 AND r.segment = 'champions'"
    assert follow.steps[0].result["customers"] == count_where(demo_workspace, where)
    switched = agent.ask("Y en Francia?", thread_id="t")  # the country replaced, the rest kept
    assert switched.steps[0].args == {"countries": ["France"], "frequency_min": 3, "segments": ["champions"]}
    assert routing_calls(model) == 1
    model.assert_complete()


def test_out_of_scope_gets_an_honest_reply_in_the_requests_language(demo_workspace: Workspace) -> None:
    # Naming nothing of the shop's world, these are declined by code, without the model.
    agent, model = make_agent(demo_workspace)
    english = agent.ask("What's a good name for my new puppy?")
    assert not english.steps and english.answer == message("decline", "en")
    spanish = agent.ask("¿Cómo se llama el perro de mi vecino?")
    assert not spanish.steps and spanish.answer == message("decline", "es")
    assert not model.calls
    # The model's own decline (what code does not catch) gives the same reply.
    agent, model = make_agent(demo_workspace, json.dumps({"tool": "decline"}), understand=False)
    assert agent.ask("What's a good name for my new puppy?").answer == message("decline", "en")
    model.assert_complete()  # one routing call, no narration


def test_goods_the_catalogue_does_not_hold_get_a_question_listing_its_categories(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace)  # nothing scripted: code asks, the model is never called
    result = agent.ask("How are our lawnmower sales doing this year?")
    assert not result.steps and not model.calls
    assert "lawnmower" in result.answer and "?" in result.answer
    assert "Dresses" in result.answer or "Home decor" in result.answer
    german = agent.ask("Umsatz mit Autoreifen im letzten Monat?")
    assert "Autoreifen" in german.answer and not model.calls


def test_an_unknown_place_gets_a_question_listing_the_known_countries(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace)  # no scripted output: code asks, the model is never called
    result = agent.ask("How many customers do we have in Atlantis?")
    assert not result.steps and not model.calls
    assert "Atlantis" in result.answer and "Germany" in result.answer and "?" in result.answer
    spanish = agent.ask("¿Cuántos clientes tenemos en Atlántida?")
    assert "Atlántida" in spanish.answer and "Germany" in spanish.answer and not model.calls
    sales = agent.ask("sales in Narnia last quarter?")  # a period after the name is not part of it
    assert "Narnia" in sales.answer and "Germany" in sales.answer and not model.calls


def test_sales_from_a_name_may_be_a_channel_not_a_place() -> None:
    from assistant.agent.understanding import _PLACE

    assert not list(_PLACE.finditer("revenue from Instagram last month"))
    assert [m.group(2) for m in _PLACE.finditer("Umsatz in Mordor im letzten Quartal")] == ["Mordor"]
    assert [m.group(2) for m in _PLACE.finditer("Verkaufszahlen in Lilliput")] == ["Lilliput"]
    assert [m.group(4) for m in _PLACE.finditer("理想国的订单")] == ["理想国"]  # a name ending in 国: a country's
    assert not list(_PLACE.finditer("高价值的客户"))  # 'high-value customers': no place


def test_a_month_of_the_requests_period_is_no_unknown_place() -> None:
    understander = Understander.from_vocabulary(Vocabulary(countries=("France",), last_order_date=None))
    assert understander.unknown_places("How many customers placed their first order in Nov 2011?") == []
    assert understander.unknown_places("How many customers do we have in Narnia?") == ["Narnia"]


def test_a_clearly_outside_topic_is_declined_by_code_without_the_model(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace)  # nothing scripted: a model call would fail the test
    for question, language in (("Who won the cricket test match yesterday?", "en"), ("明天上海天气怎么样？", "zh")):
        result = agent.ask(question)
        assert not result.steps and result.answer == message("decline", language)
    assert not model.calls
    agent, _ = make_agent(demo_workspace, route("country_stats", country="Germany"), "Done.")
    kept = agent.ask("How many customers in Germany watch football?")  # names the shop's customers: in scope
    assert [s.tool for s in kept.steps] == ["country_stats"]


def test_copy_nobody_asked_for_is_not_planned_and_empty_values_are_no_values(demo_workspace: Workspace) -> None:
    decision = {"tool": "country_stats", "args": {"country": "Germany"}, "next": ["write_copy"]}
    agent, model = make_agent(demo_workspace, decision, "Done.")
    result = agent.ask("How many customers do we have in Germany?")
    assert [s.tool for s in result.steps] == ["country_stats"]
    assert any("planned write_copy" in f for f in result.flags)
    model.assert_complete()
    copy = {"variants": [{"body": "New in: our Linen Summer Dress, made for warm evenings."}]}
    empty = route("write_copy", channel="sms", products=["linen summer dress"], n_variants=1, offer="", tone=" ")
    agent, _ = make_agent(demo_workspace, empty, copy)
    result = agent.ask("Write an SMS about the linen summer dress")
    assert result.steps[0].args.get("offer") is None and "Not applied" not in result.answer


def test_an_english_narration_of_a_spanish_request_is_translated_keeping_its_fact_ids(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    english = "These customers buy often, {f1} in total, so send them an early offer this week."
    agent, model = make_agent(
        demo_workspace,
        route("segment_query", countries=["Spain"]),
        english,
        "Estos clientes compran a menudo, {f1} en total, así que envíales una oferta anticipada esta semana.",
        tools=segment_tools,
    )
    result = agent.ask("¿Cuántos clientes tenemos en España?")
    spain = count_where(demo_workspace, "c.country = 'Spain'")
    assert f"Estos clientes compran a menudo, {spain} clientes en total" in result.answer
    assert "These customers" not in result.answer
    assert "narration translated into Spanish" in result.flags
    assert "{f1}" in str(model.calls[-1]["messages"][-1].content)  # the translator saw the ids, not values
    model.assert_complete()


def test_a_translation_may_leave_a_fact_out_but_never_cite_a_new_one(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    english = "Spain has {f1} customers and {f2} orders, so send them an early offer this week."
    for translated, used in (
        ("España tiene {f1} clientes, así que envíales una oferta anticipada esta semana.", True),
        ("España tiene {f1} clientes y {f3} pedidos, así que envíales una oferta anticipada esta semana.", False),
    ):
        agent, model = make_agent(
            demo_workspace, route("segment_query", countries=["Spain"]), english, translated, tools=segment_tools
        )
        result = agent.ask("¿Cuántos clientes tenemos en España?")
        assert ("narration translated into Spanish" in result.flags) is used
        assert ("envíales" in result.answer) is used
        model.assert_complete()


def test_a_translation_that_loses_a_fact_id_is_not_used_and_code_writes_the_line_in_spanish(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, model = make_agent(
        demo_workspace,
        route("segment_query", countries=["Spain"]),
        "These customers buy often, {f1} in total, so send them an early offer this week.",
        "Estos clientes compran a menudo, así que envíales una oferta anticipada esta semana.",
        tools=segment_tools,
    )
    result = agent.ask("¿Cuántos clientes tenemos en España?")
    spain = count_where(demo_workspace, "c.country = 'Spain'")
    assert "These customers buy often" not in result.answer  # never English prose for a Spanish request
    assert "envíales" not in result.answer  # nor the translation that lost its figure
    assert "narration not in Spanish; translation failed" in result.flags
    assert result.answer.rstrip().endswith(".") and "Los resultados están arriba: " in result.answer
    assert f"{spain} clientes" in result.answer.split("Los resultados están arriba: ")[1]
    model.assert_complete()


def test_a_narration_the_grounding_check_empties_is_replaced_by_codes_line(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, _ = make_agent(
        demo_workspace, route("segment_query", countries=["Spain"]), "Exactly 123456 of them.", tools=segment_tools
    )
    result = agent.ask("How many customers do we have in Spain?")
    assert "123456" not in result.answer
    assert "The results are above: " in result.answer


def test_what_the_request_states_fills_what_the_model_left_out(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, model = make_agent(
        demo_workspace, route("segment_query"), "Done.", tools=segment_tools
    )  # the model chose the tool and left every input empty
    # "ohne Gastbestellungen": words code does not read, so the model routes and code completes its call.
    result = agent.ask("Kunden in Frankreich mit mehr als 2 Bestellungen, ohne Gastbestellungen")
    args = result.steps[0].args
    assert args["countries"] == ["France"] and args["frequency_min"] == 3
    where = "c.country = 'France' AND r.frequency > 2"
    assert result.steps[0].result["customers"] == count_where(demo_workspace, where)
    assert any(f.startswith("code set:") for f in result.flags)
    assert routing_calls(model) == 1
    model.assert_complete()


def routing_calls(model: Any) -> int:
    """How many calls asked the model for a routing decision."""
    return sum("You route a marketer's request" in str(c["messages"][0].content) for c in model.calls)


def test_a_request_code_reads_whole_is_routed_without_the_model(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    # Every value and number of the request is an input code fills: no routing call, only the narration.
    agent, model = make_agent(demo_workspace, "Done.", tools=segment_tools)
    result = agent.ask("Kunden in Frankreich mit mehr als 2 Bestellungen")
    args = result.steps[0].args
    assert (result.steps[0].tool, args["countries"], args["frequency_min"]) == ("segment_query", ["France"], 3)
    where = "c.country = 'France' AND r.frequency > 2"
    assert result.steps[0].result["customers"] == count_where(demo_workspace, where)
    assert routing_calls(model) == 0 and any(f.startswith("code routed:") for f in result.flags)
    model.assert_complete()


@pytest.mark.parametrize(
    "question",
    [
        "Kunden in Frankreich mit mehr als 2 Bestellungen, nicht aus Paris",  # a negation: which values are out
        "Customers in France with more than 2 orders in cluster 1",  # a number no input took
        "Customers in France with more than 2 orders who bought enamel mugs",  # goods named by product words
    ],
)
def test_a_request_with_words_code_does_not_read_goes_to_the_model(
    demo_workspace: Workspace, segment_tools: dict[str, Any], question: str
) -> None:
    agent, model = make_agent(demo_workspace, route("segment_query"), "Done.", tools=segment_tools)
    result = agent.ask(question)
    assert routing_calls(model) == 1 and result.steps[0].tool == "segment_query"
    assert not any(f.startswith("code routed:") for f in result.flags)


def test_classifying_with_no_given_text_becomes_the_review_analysis(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, model = make_agent(
        demo_workspace, route("classify_sentiment", text="dresses"), "Done.", tools=segment_tools
    )  # the model took the question's word for a text to classify
    result = agent.ask("How do shoppers feel about our dresses?")
    assert [s.tool for s in result.steps] == ["analyze_sentiment"]
    assert result.steps[0].args.get("category") == "Dresses"
    assert result.steps[0].result["review_count"] > 0
    model.assert_complete()


def test_a_segment_written_into_the_customer_id_goes_to_the_segment(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, model = make_agent(
        demo_workspace, route("recommend_products", customer_id="our loyal customers", k=3), "Done.",
        tools=segment_tools,
    )  # fmt: skip
    result = agent.ask("What should we offer our loyal customers?")
    assert result.steps[0].ok and result.steps[0].args.get("segment") == "loyal"
    assert "customer_id" not in result.steps[0].args
    model.assert_complete()


@pytest.mark.parametrize(
    ("offer", "products"),
    [("summer dresses", ["summer dresses"]), ("sin descuento", None)],
)
def test_an_offer_that_states_no_offer_is_featured_goods_or_none(
    demo_workspace: Workspace, segment_tools: dict[str, Any], offer: str, products: list[str] | None
) -> None:
    agent, _ = make_agent(
        demo_workspace, route("write_copy", channel="sms", offer=offer, n_variants=1),
        {"variants": [{"body": "Light up the season with our candles and lights. Shop now."}]},
        tools=segment_tools,
    )  # fmt: skip
    result = agent.ask(f"Write an SMS about {offer}")
    args = result.steps[0].args
    assert "offer" not in args and args.get("products") == products
    assert any(f.startswith("code set: offer") for f in result.flags)


def test_a_copy_audience_that_repeats_the_featured_goods_is_left_out(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, _ = make_agent(
        demo_workspace,
        route("write_copy", channel="email", audience="Deko-Artikel", products=["Deko-Artikel"], n_variants=1),
        {"variants": [{"subject": "Deko für dein Zuhause", "preheader": "Neue Ideen für jeden Raum",
                       "body": "Entdecke unsere Deko-Artikel für ein gemütliches Zuhause.", "cta": "Jetzt ansehen"}]},
        tools=segment_tools,
    )  # fmt: skip
    result = agent.ask("Entwirf eine E-Mail – Thema: Deko-Artikel")
    args = result.steps[0].args
    assert "audience" not in args and args.get("products") == ["Deko-Artikel"]
    assert any("audience 'Deko-Artikel' left out" in f for f in result.flags)


@pytest.fixture
def demo_resolver(demo_workspace: Workspace) -> EntityResolver:
    con = demo_workspace.connect()
    try:
        return Understander.from_vocabulary(Vocabulary.from_connection(con)).resolver
    finally:
        con.close()


def test_a_copy_audience_that_is_a_category_name_is_left_out(demo_resolver: EntityResolver) -> None:
    from assistant.agent.understanding import audience_not_goods

    resolver = demo_resolver
    args = {"channel": "social", "audience": "Dresses", "products": ["robes"]}
    assert audience_not_goods("write_copy", args, resolver)[0] == {"channel": "social", "products": ["robes"]}
    people = {"channel": "social", "audience": "loyal customers in France", "products": ["robes"]}
    assert audience_not_goods("write_copy", people, resolver) == (people, None)


def test_goods_named_in_a_copied_sentence_are_featured_by_their_category(demo_resolver: EntityResolver) -> None:
    from assistant.agent.understanding import offer_or_goods

    resolver = demo_resolver
    sentence = {"channel": "email", "offer": "rédige un courriel pour mettre en avant nos robes", "products": ["all"]}
    assert offer_or_goods("write_copy", sentence, resolver)[0] == {"channel": "email", "products": ["Dresses"]}
    phrase = {"channel": "email", "offer": "robes d'été"}
    assert offer_or_goods("write_copy", phrase, resolver)[0] == {"channel": "email", "products": ["robes d'été"]}
    named = {"channel": "email", "offer": "robes d'été", "products": ["linen summer dress"]}
    assert offer_or_goods("write_copy", named, resolver)[0]["products"] == ["linen summer dress"]


def test_the_channel_the_request_names_is_the_copys_channel(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, _ = make_agent(
        demo_workspace, route("write_copy", channel="email", n_variants=1),
        {"variants": [{"headline": "Invierno en casa", "body": "Ideas cálidas para tu hogar este invierno."}]},
        tools=segment_tools,
    )  # fmt: skip
    result = agent.ask("Prepara un anuncio breve para las rebajas de invierno")
    assert result.steps[0].args["channel"] == "ad"
    assert "code set: channel 'ad' instead of 'email': the request names it" in result.flags


def test_only_the_negative_ones_after_a_review_answer_is_code_routed_to_those_reviews(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, model = make_agent(
        demo_workspace,
        route("analyze_sentiment", category="Dresses"),
        "Mostly positive.",
        "Here they are.",  # the follow-up's narration: no routing output is scripted for it
        tools=segment_tools,
    )
    agent.ask("How do reviewers feel about our dresses?", thread_id="r")
    follow = agent.ask("just show me the complaints", thread_id="r")
    assert [s.tool for s in follow.steps] == ["search_reviews"]
    assert follow.steps[0].args["sentiment"] == "negative"
    assert follow.steps[0].args["category"] == "Dresses"
    hits = follow.steps[0].result["hits"]
    assert hits and all(h["sentiment"] == "negative" and h["category"] == "Dresses" for h in hits)
    model.assert_complete()


def test_a_topic_made_of_words_for_reviews_is_left_out(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, _ = make_agent(
        demo_workspace,
        route("analyze_sentiment", category="Dresses", topic="quejas"),
        "Resumen.",
        tools=segment_tools,
    )
    result = agent.ask("¿Cuáles son las quejas sobre nuestros vestidos?")
    assert result.steps[0].args.get("topic") is None  # 'quejas' is no word to find inside the reviews
    assert result.steps[0].result["review_count"] > 0
    assert any("names the reviews themselves" in f for f in result.flags)


def test_a_review_search_for_complaints_keeps_the_negative_reviews(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, _ = make_agent(demo_workspace, route("search_reviews", query="fit"), "Here.", tools=segment_tools)
    result = agent.ask("Show me the complaints about the fit")
    assert result.steps[0].args["sentiment"] == "negative"
    assert all(h["sentiment"] == "negative" for h in result.steps[0].result["hits"])


def test_a_required_search_input_is_never_dropped_as_untraced(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, model = make_agent(
        demo_workspace,
        route("search_reviews", query="quality of the stitching"),  # not the request's words, and not retried
        "Hier sind sie.",
        tools=segment_tools,
    )
    result = agent.ask("Was schreiben die Leute über die Nähte?")
    assert [s.tool for s in result.steps] == ["search_reviews"] and result.steps[0].ok
    assert result.steps[0].args["query"] == "quality of the stitching"
    model.assert_complete()


@pytest.mark.parametrize(
    ("question", "given", "expected"),
    [
        ("Escribe un SMS sobre nuestras velas", None, "Spanish"),  # the model left it out: the request's language
        ("Écris un SMS sur nos bougies", "English", "French"),  # the model's guess is replaced
        ("Escribe un SMS sobre nuestras velas en inglés", "Spanish", None),  # the named language wins (English)
        ("Write an SMS about our candles", "German", None),  # nobody asked for German
    ],
)
def test_the_copy_language_is_the_named_one_or_the_requests(
    demo_workspace: Workspace, segment_tools: dict[str, Any], question: str, given: str | None, expected: str | None
) -> None:
    args: dict[str, Any] = {"channel": "sms", "n_variants": 1} | ({"language": given} if given else {})
    agent, _ = make_agent(
        demo_workspace, route("write_copy", **args),
        {"variants": [{"body": "Candles and lights for the season. Shop now."}]},
        tools=segment_tools,
    )  # fmt: skip
    result = agent.ask(question)
    assert result.steps[0].args.get("language") == expected


def test_a_gloss_of_the_request_is_never_an_offer() -> None:
    from assistant.agent.understanding import Understander, evidence_for
    from assistant.understand.provenance import untraceable
    from assistant.understand.vocabulary import Vocabulary

    understander = Understander.from_vocabulary(Vocabulary(categories=("Dresses",)))
    question = "Redacta un email sobre el vestido de lino"
    seen = understander.read(question, [])
    assert ("redacta", "write copy") in seen.terms  # the router is told 'redacta' means 'write copy'
    evidence = evidence_for(seen, question, [], [], understander.resolver, understander.today)
    assert [u.field for u in untraceable("write_copy", {"offer": "write copy"}, evidence)] == ["offer"]
    assert untraceable("write_copy", {"channel": "email"}, evidence) == []


def _ask_code_routed(workspace: Workspace, tools: dict[str, Any], question: str) -> AgentResult:
    """The answer to a request code routes whole: the scripted model only narrates."""
    agent, model = make_agent(workspace, "See above.", tools=tools)
    result = agent.ask(question)
    assert routing_calls(model) == 0 and any(f.startswith("code routed:") for f in result.flags), result.flags
    model.assert_complete()
    return result


def _ask_routed(
    workspace: Workspace, tools: dict[str, Any], decision: str, question: str
) -> tuple[AgentResult, str | None]:
    """(the answer, the tool the first routing call was told to fill: its schema then admits only that tool)."""
    agent, model = make_agent(workspace, decision, "See above.", tools=tools)
    result = agent.ask(question)
    found = re.search(r"Now fill the arguments for the next tool: (\w+)", str(model.calls[0]["messages"][-1].content))
    return result, found.group(1) if found else None


def test_a_metric_only_the_metrics_layer_computes_is_routed_there_by_code(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    # The model picked the count; the request asks for the rate: code decides both the tool and the metric.
    decision = route("query_metrics", metric="cancelled_orders")
    question = "What share of orders were cancelled in Germany, apart from guest orders?"  # words code cannot read
    result, constrained = _ask_routed(demo_workspace, segment_tools, decision, question)
    assert constrained == "query_metrics" and [s.tool for s in result.steps] == ["query_metrics"]
    assert result.steps[0].args["metric"] == "cancellation_rate"
    # Read whole, the same request is code's call alone.
    result = _ask_code_routed(demo_workspace, segment_tools, "What share of orders were cancelled in Germany?")
    args = result.steps[0].args
    assert args["metric"] == "cancellation_rate" and args["countries"] == ["Germany"]
    con = demo_workspace.connect()
    try:
        row = con.execute(
            "SELECT count(*) FILTER (WHERE status = 'cancelled') / count(*) FROM orders WHERE country = 'Germany'"
        ).fetchone()
    finally:
        con.close()
    assert row is not None and result.steps[0].result["total"] == pytest.approx(row[0], abs=1e-4)


def test_a_time_breakdown_is_the_metrics_layers_and_a_forecast_is_not(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    decision = route("query_metrics", metric="orders")
    question = "Bestellungen pro Monat in Deutschland, ohne Gäste"  # words code cannot read: the model fills
    result, constrained = _ask_routed(demo_workspace, segment_tools, decision, question)
    assert constrained == "query_metrics"
    assert result.steps[0].args["group_by"] == "month"  # the model left the breakdown out; the request names it
    args = _ask_code_routed(demo_workspace, segment_tools, "Bestellungen pro Monat in Deutschland").steps[0].args
    assert args == {"metric": "orders", "group_by": "month", "countries": ["Germany"]}
    decision = route("forecast_sales", horizon=3)
    forecast = "Forecast monthly revenue for the next three months"
    assert _ask_routed(demo_workspace, segment_tools, decision, forecast)[1] is None


def test_a_review_metric_by_a_group_is_the_metrics_layers_with_the_group_named(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    # analyze_sentiment states a scope's average rating but breaks it down by no group: code routes the breakdown
    # to query_metrics and sets the metric and the group the request names over the model's.
    decision = route("query_metrics", metric="recommend_rate", group_by="category")
    question = "Durchschnittsbewertung nach Altersgruppe, aber keine Ausreißer"  # not read whole by code
    result, constrained = _ask_routed(demo_workspace, segment_tools, decision, question)
    assert constrained == "query_metrics"
    args = result.steps[0].args
    assert (args["metric"], args["group_by"]) == ("average_rating", "age_band")
    result = _ask_code_routed(demo_workspace, segment_tools, "Durchschnittsbewertung nach Altersgruppe")
    args = result.steps[0].args
    assert (args["metric"], args["group_by"]) == ("average_rating", "age_band")
    con = demo_workspace.connect()
    try:
        young = con.execute("SELECT avg(rating) FROM reviews WHERE reviewer_age BETWEEN 25 AND 34").fetchone()
    finally:
        con.close()
    rows = {row[0]: row[-1] for row in result.steps[0].result["table"]["rows"]}
    assert young is not None and rows["25-34"] == pytest.approx(young[0], abs=1e-2)


def test_a_bound_only_one_tool_can_hold_routes_there(demo_workspace: Workspace, segment_tools: dict[str, Any]) -> None:
    # Only segment_query filters customers by their number of orders; the request asks no other tool's question.
    decision = route("segment_query")
    result, constrained = _ask_routed(
        demo_workspace, segment_tools, decision, "Quantos clientes fizeram entre 2 e 3 pedidos, sem contar devoluções?"
    )
    assert constrained == "segment_query"
    assert (result.steps[0].args["frequency_min"], result.steps[0].args["frequency_max"]) == (2, 3)
    result = _ask_code_routed(demo_workspace, segment_tools, "Quantos clientes fizeram entre 2 e 3 pedidos?")
    args = result.steps[0].args
    assert (args["frequency_min"], args["frequency_max"]) == (2, 3)
    forecast = route("predict_churn")
    question = "Which customers with more than 2 orders will churn next month?"  # another tool's question
    assert _ask_routed(demo_workspace, segment_tools, forecast, question)[1] is None


def test_a_server_that_ignores_the_schema_is_held_to_the_tool_code_chose(
    demo_workspace: Workspace, segment_tools: dict[str, Any]
) -> None:
    agent, model = make_agent(
        demo_workspace, route("segment_query", countries=["Germany"]), route("query_metrics", metric="repeat_rate"),
        "See above.", tools=segment_tools,
    )  # fmt: skip
    result = agent.ask("What is the repeat purchase rate per segment in Germany, not counting guest orders?")
    assert [s.tool for s in result.steps] == ["query_metrics"]
    assert "this step is query_metrics" in str(model.calls[1]["messages"][-1].content)


def test_a_sentiment_topic_that_is_a_category_becomes_the_category(demo_resolver: EntityResolver) -> None:
    from assistant.understand.review_terms import settle_review_arguments

    question = "Comment nos robes sont-elles perçues ?"
    args, notes = settle_review_arguments("analyze_sentiment", {"topic": "robes"}, demo_resolver, question)
    assert args == {"category": "Dresses"} and notes
    kept = {"topic": "zipper", "category": "Dresses"}
    assert settle_review_arguments("analyze_sentiment", dict(kept), demo_resolver, "zipper on dresses")[0] == kept
    question = "Wie kommen unsere Pullover an?"  # the request copied as the topic searches for nothing
    copied = {"category": "Dresses", "topic": "wie kommen unsere pullover an?"}
    assert settle_review_arguments("analyze_sentiment", copied, demo_resolver, question)[0] == {"category": "Dresses"}

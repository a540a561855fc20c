"""fill_from_request: stated bounds, named values and ids completed by code; no-op arguments dropped; no model."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from assistant.understand.aliases import EntityResolver
from assistant.understand.fill import fill_from_request
from assistant.understand.slots import extract_slots
from assistant.understand.vocabulary import Vocabulary
from tools.families import load_tools

LAST = date(2011, 12, 9)  # the data's last order date
VOCABULARY = Vocabulary(
    countries=["United Kingdom", "Germany", "France", "Spain", "Portugal", "EIRE"],
    categories=["Garden & outdoor", "Christmas", "Dresses", "Tops", "Kitchen & dining", "Candles & lighting"],
    last_order_date=LAST,
)
TOOLS = load_tools()


@pytest.fixture(scope="module")
def resolver() -> EntityResolver:
    return EntityResolver.for_vocabulary(VOCABULARY)


@pytest.fixture
def fill(resolver: EntityResolver) -> Any:
    def run(tool: str, text: str, args: dict[str, Any] | None = None, language: str = "en") -> tuple[dict, list]:
        slots = extract_slots(text, LAST, language)
        return fill_from_request(
            tool, TOOLS[tool].input_model, dict(args or {}), slots, resolver.find_mentions(text), LAST, text
        )

    return run


# ---------------------------------------------------------------- (a) a stated bound the model left out


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("How many shoppers have spent more than 5,000 in total?", "en",
         {"monetary_min": 5000, "strict_bounds": ["monetary_min"]}),
        ("clientes con menos de 3 pedidos", "es", {"frequency_max": 2}),
        ("Kunden mit mindestens 4 Bestellungen", "de", {"frequency_min": 4}),
        ("Kunden, die mehr als 5.000 € ausgegeben haben", "de",
         {"monetary_min": 5000, "strict_bounds": ["monetary_min"]}),
        ("clients ayant dépensé plus de 800 €", "fr", {"monetary_min": 800, "strict_bounds": ["monetary_min"]}),
        ("clientes que gastaram até 300 libras", "pt", {"monetary_max": 300}),
        ("下单超过8次的客户", "zh", {"frequency_min": 9}),
        ("customers whose churn risk is above 65%", "en",
         {"churn_probability_min": 0.65, "strict_bounds": ["churn_probability_min"]}),
        ("people with between 4 and 9 orders", "en", {"frequency_min": 4, "frequency_max": 9}),
        ("shoppers with exactly 2 orders", "en", {"frequency_min": 2, "frequency_max": 2}),
    ],
)  # fmt: skip
def test_a_stated_bound_fills_its_input(fill: Any, text: str, language: str, expected: dict) -> None:
    args, notes = fill("segment_query", text, language=language)
    assert args == expected
    assert notes


def test_bounds_go_to_the_tool_that_has_the_input(fill: Any) -> None:
    assert fill("search_reviews", "reviews with at most 2 stars", {"query": "zip"})[0] == {
        "query": "zip",
        "max_rating": 2,
    }
    assert fill("predict_churn", "who has at least 80% churn probability?")[0] == {"min_probability": 0.8}


def test_a_bound_the_input_cannot_express_is_left_to_the_model(fill: Any) -> None:
    # predict_churn's min_probability is inclusive: "above 80 %" has no exact form there.
    assert fill("predict_churn", "who has a churn probability above 80%?") == ({}, [])
    # 6 stars is outside 1-5: the tool's own validation, not code, should answer that.
    assert fill("search_reviews", "reviews with more than 5 stars", {"query": "fit"})[0] == {"query": "fit"}


# ---------------------------------------------------------------- (b) a number on the wrong side


@pytest.mark.parametrize(
    ("text", "language", "given", "expected"),
    [
        ("shoppers who spent under 200 pounds in total", "en", {"monetary_min": 200},
         {"monetary_max": 200, "strict_bounds": ["monetary_max"]}),
        ("Kunden mit weniger als 3 Bestellungen", "de", {"frequency_min": 3}, {"frequency_max": 2}),
        ("clientes que gastaron más de 1.500 libras", "es", {"monetary_max": 1500.0},
         {"monetary_min": 1500, "strict_bounds": ["monetary_min"]}),
        ("哪些客户累计消费不超过300英镑？", "zh", {"monetary_min": 300}, {"monetary_max": 300}),
    ],
)  # fmt: skip
def test_a_number_on_the_wrong_side_moves(fill: Any, text: str, language: str, given: dict, expected: dict) -> None:
    args, notes = fill("segment_query", text, given, language)
    assert args == expected
    assert "moved" in notes[0]


def test_the_stated_number_in_the_right_input_is_made_exact(fill: Any) -> None:
    assert fill("segment_query", "more than 10 orders", {"frequency_min": 10})[0] == {"frequency_min": 11}
    assert fill("segment_query", "spent over 900", {"monetary_min": 900})[0] == {
        "monetary_min": 900,
        "strict_bounds": ["monetary_min"],
    }
    # already exact: nothing to note
    assert fill("segment_query", "more than 10 orders", {"frequency_min": 11}) == ({"frequency_min": 11}, [])


# ---------------------------------------------------------------- (c) no-op arguments


def test_as_of_equal_to_the_last_date_is_dropped(fill: Any) -> None:
    args, notes = fill("segment_query", "clientes en Alemania", {"as_of": "2011-12-09"}, "es")
    assert args == {"countries": ["Germany"]}
    assert any("as_of" in n for n in notes)
    assert fill("customer_overview", "overview please", {"as_of": "2011-12-09"}) == (
        {},
        ["as_of 2011-12-09 dropped: the data's last date is the default"],
    )


def test_as_of_is_kept_when_it_differs_or_the_tool_reads_none_another_way(fill: Any) -> None:
    assert fill("segment_query", "as of June", {"as_of": "2011-06-30"})[0] == {"as_of": "2011-06-30"}
    # the prediction tools default to the last completed order of a known customer, not provably the same day
    assert fill("predict_churn", "who may leave?", {"as_of": "2011-12-09"})[0] == {"as_of": "2011-12-09"}


def test_declared_defaults_are_dropped_quietly(fill: Any) -> None:
    given = {"group_by": "none", "limit": 20, "sort": "monetary", "export": False, "segments": [], "cluster": None}
    assert fill("segment_query", "show me our customers", given) == ({}, [])
    assert fill("segment_query", "show me our customers", {"limit": 5, "sort": "recency"})[0] == {
        "limit": 5,
        "sort": "recency",
    }
    assert fill("forecast_sales", "sales outlook", {"horizon": 3, "metric": "revenue"}) == ({}, [])


# ---------------------------------------------------------------- (d) a named value the model left out


@pytest.mark.parametrize(
    ("tool", "text", "language", "given", "expected"),
    [
        ("forecast_sales", "Forecast revenue for Christmas items next quarter", "en", {},
         {"category": "Christmas"}),
        ("segment_query", "customers who bought garden stuff, by country", "en", {"group_by": "country"},
         {"group_by": "country", "bought_category": "Garden & outdoor"}),
        ("customer_overview", "resumen de los clientes en Alemania", "es", {}, {"countries": ["Germany"]}),
        ("segment_query", "Combien de clients fidèles en France ?", "fr", {},
         {"segments": ["loyal"], "countries": ["France"]}),
        ("predict_clv", "valor previsto dos clientes em risco em Portugal", "pt", {},
         {"segment": "at_risk", "country": "Portugal"}),
        ("predict_churn", "德国的客户流失风险", "zh", {}, {"country": "Germany"}),  # churn risk is the question
        ("analyze_sentiment", "Wie finden die Kundinnen unsere Kleider?", "de", {}, {"category": "Dresses"}),
    ],
)  # fmt: skip
def test_a_named_value_fills_the_one_input_of_its_kind(
    fill: Any, tool: str, text: str, language: str, given: dict, expected: dict
) -> None:
    assert fill(tool, text, given, language)[0] == expected


def test_ids_fill_the_one_input_that_takes_them(fill: Any) -> None:
    assert fill("recommend_products", "recommend something for customer 12347")[0] == {"customer_id": "12347"}
    assert fill("analyze_sentiment", "sentimiento de los productos 22086 y 84879", language="es")[0] == {
        "product_ids": ["22086", "84879"]
    }
    # two customers for a single-customer input: which one?
    assert fill("recommend_products", "ideas for customers 12347 and 12348")[0] == {}
    assert fill("predict_churn", "risk for customer 12347", {"customer_id": "12350"})[0] == {"customer_id": "12350"}


# ---------------------------------------------------------------- what is left alone


def test_what_the_request_groups_or_compares_by_is_not_a_filter(fill: Any) -> None:
    assert fill("segment_query", "compare Germany and France", {"group_by": "country"})[0] == {"group_by": "country"}
    assert fill("segment_query", "Germany versus France")[0] == {}  # several values: the model's call
    assert fill("predict_clv", "Kundenwert in Deutschland nach Land", {"group_by": "country"}, "de")[0] == {
        "group_by": "country"
    }


@pytest.mark.parametrize(
    ("text", "language", "tool", "filter_"),
    [
        ("How many customers are in Spain?", "en", "segment_query", {"countries": ["Spain"]}),
        ("¿Cuántos clientes hay en Alemania?", "es", "segment_query", {"countries": ["Germany"]}),
        ("Wie viele Kunden haben wir in Deutschland?", "de", "segment_query", {"countries": ["Germany"]}),
        ("Combien de clients aux Pays-Bas ?", "fr", "segment_query", None),  # not in this vocabulary
        ("Valor de vida dos clientes em Portugal", "pt", "predict_clv", {"country": "Portugal"}),
    ],
)
def test_one_named_value_grouped_by_its_kind_becomes_the_filter(
    fill: Any, text: str, language: str, tool: str, filter_: dict | None
) -> None:
    out, notes = fill(tool, text, {"group_by": "country"}, language)
    if filter_ is None:
        assert out == {"group_by": "country"}
    else:
        assert out == filter_ and "group_by" not in out and notes


def test_a_breakdown_asked_for_in_words_stays_beside_its_one_named_value(fill: Any) -> None:
    for text, language in [
        ("Spain compared with the other countries", "en"),
        ("España frente a los demás países", "es"),
        ("Frankreich im Vergleich zu anderen Ländern", "de"),
    ]:
        assert fill("segment_query", text, {"group_by": "country"}, language)[0] == {"group_by": "country"}


def test_a_value_fills_only_inputs_of_its_own_kind(fill: Any) -> None:
    assert fill("segment_query", "customers in Spain")[0] == {"countries": ["Spain"]}
    assert fill("segment_query", "who buys Christmas decorations?")[0] == {"bought_category": "Christmas"}
    assert fill("forecast_sales", "sales forecast for Germany")[0] == {}  # no country input
    assert fill("segment_query", "customers in Spain", {"countries": ["France"]})[0] == {"countries": ["France"]}


def test_a_category_word_inside_a_product_name_is_not_a_category(fill: Any) -> None:
    given = {"bought_product": "christmas lantern"}
    assert fill("segment_query", "who bought the Christmas lantern?", given)[0] == given


def test_segment_words_that_describe_a_period_are_not_the_segment(fill: Any) -> None:
    march = {"first_order_from": date(2011, 3, 1), "first_order_to": date(2011, 3, 31)}
    assert fill("segment_query", "new customers in March 2011")[0] == march  # who first ordered then
    assert fill("segment_query", "how many new customers do we have?")[0] == {"segments": ["new"]}


@pytest.mark.parametrize(
    ("text", "language", "given"),
    [
        ("products under 2,000", "en", {}),  # no quantity
        ("customers who spent more than 1.200", "en", {}),  # 1.2 or 1200?
        ("more than 3 orders and at least 5 orders", "en", {}),  # two lower limits
        ("customers who have not ordered in over 6 months", "en", {}),  # months: no input holds them
        ("countries with revenue over 10,000", "en", {"group_by": "country"}),  # may bound the groups
        ("Wie viele Kunden haben über 2.000 € ausgegeben, nach Land?", "de", {"group_by": "country"}),
        ("more than 10 orders", "en", {"frequency_min": 5}),  # the model's own number: not this reading
    ],
)
def test_unclear_bounds_are_left_alone(fill: Any, text: str, language: str, given: dict) -> None:
    assert fill("segment_query", text, given, language) == (given, [])


@pytest.mark.parametrize(
    ("text", "language", "given", "expected"),
    [
        ("¿Cuántos clientes han hecho al menos 5 pedidos, por segmento?", "es",
         {"monetary_min": 5.0, "group_by": "segment"}, {"frequency_min": 5, "group_by": "segment"}),
        ("Combien de clients ont passé 5 commandes ou plus ?", "fr", {"monetary_min": 5.0},
         {"frequency_min": 5}),
        ("customers who spent over 300 with at least 300 orders", "en", {"monetary_min": 300},
         {"monetary_min": 300, "strict_bounds": ["monetary_min"], "frequency_min": 300}),  # 300 is the spend's too
    ],
)  # fmt: skip
def test_a_stated_number_in_another_quantitys_input_moves_to_its_own(
    fill: Any, text: str, language: str, given: dict, expected: dict
) -> None:
    args, notes = fill("segment_query", text, given, language)
    assert args == expected
    assert notes


def test_a_model_field_elsewhere_keeps_its_reading(fill: Any) -> None:
    # "spend" may be past or predicted spend: the model's choice of expected_spend_min is kept, and made strict.
    args, _ = fill("segment_query", "expected to spend more than 500", {"expected_spend_min": 500})
    assert args == {"expected_spend_min": 500, "strict_bounds": ["expected_spend_min"]}


# ---------------------------------------------------------------- recency from a period, as_of after the data


@pytest.mark.parametrize(
    ("text", "language", "model_args", "days"),
    [
        ("shoppers who bought something in the past 45 days", "en", {"recency_days_min": 45}, 45),
        ("clientes que compraron en los últimos 20 días", "es", {}, 20),
        ("Kunden, die in den letzten 2 Wochen bestellt haben", "de", {}, 14),
        ("最近15天下过单的顾客", "zh", {"recency_days_min": 15}, 15),
    ],
)
def test_a_recent_period_is_at_most_that_many_days_since_the_last_order(
    fill: Any, text: str, language: str, model_args: dict[str, Any], days: int
) -> None:
    out, notes = fill("segment_query", text, model_args, language)
    assert out.get("recency_days_max") == days and "recency_days_min" not in out and notes


def test_a_negated_period_is_left_to_the_model(fill: Any) -> None:
    out, _ = fill("segment_query", "customers who have not ordered in the last 60 days", {"recency_days_min": 61})
    assert out == {"recency_days_min": 61}


def test_an_as_of_after_the_data_is_dropped(fill: Any) -> None:
    out, notes = fill("predict_clv", "lifetime value over the next 3 months", {"as_of": "2012-03-09"})
    assert "as_of" not in out and any("after the data" in n for n in notes)


# ---------------------------------------------------------------- the period of a first order


@pytest.mark.parametrize(
    ("text", "language", "model_args", "period"),
    [
        ("Who first bought from us in October 2011?", "en", {"as_of": "2011-10-01", "limit": 1},
         (date(2011, 10, 1), date(2011, 10, 31))),
        ("¿Cuántos clientes hicieron su primer pedido en septiembre de 2011?", "es", {"recency_days_min": 1},
         (date(2011, 9, 1), date(2011, 9, 30))),
        ("Kunden mit erster Bestellung im März 2011", "de", {}, (date(2011, 3, 1), date(2011, 3, 31))),
        ("2011年5月首次下单的客户有多少？", "zh", {}, (date(2011, 5, 1), date(2011, 5, 31))),
        ("Neukunden aus dem November 2011", "de", {"segments": ["new"], "as_of": "2011-11-01"},
         (date(2011, 11, 1), date(2011, 11, 30))),
    ],
)  # fmt: skip
def test_a_first_order_period_bounds_the_first_order_date(
    fill: Any, text: str, language: str, model_args: dict[str, Any], period: tuple[date, date]
) -> None:
    out, notes = fill("segment_query", text, model_args, language)
    assert (out["first_order_from"], out["first_order_to"]) == period
    assert "as_of" not in out and "recency_days_min" not in out and "recency_days_max" not in out
    assert "segments" not in out and any("first_order_from" in n for n in notes)


@pytest.mark.parametrize(
    ("text", "model_args"),
    [
        ("How many customers ordered in the first quarter of 2011?", {}),  # 'first' names the quarter
        ("customers who first ordered in May 2011", {"first_order_from": "2011-05-01"}),  # the model's own bound
        ("customers who ordered in October 2011", {}),  # no first order
    ],
)
def test_a_first_order_period_needs_first_order_words_and_free_bounds(
    fill: Any, text: str, model_args: dict[str, Any]
) -> None:
    out, _ = fill("segment_query", text, model_args)
    assert out.get("first_order_to") is None


def test_a_stated_id_is_the_one_target_of_a_recommendation(fill: Any) -> None:
    out, notes = fill("recommend_products", "Empfehlungen für Kunde 17609", {"customer_id": "17609", "interest": "x"})
    assert out == {"customer_id": "17609"} and any("interest dropped" in n for n in notes)
    out, _ = fill("recommend_products", "商品22138的搭配推荐", {"product_ids": ["22138"], "interest": "搭配"}, "zh")
    assert out == {"product_ids": ["22138"]}
    both = {"customer_id": "17609", "product_ids": ["22138"]}  # two stated ids: the model's to settle
    assert fill("recommend_products", "for customer 17609 with item 22138", both)[0] == both


def test_the_one_tool_that_holds_a_stated_bound() -> None:
    from assistant.understand.fill import bounded_tool

    fields = {name: set(tool.input_model.model_fields) for name, tool in TOOLS.items()}

    def holder(text: str, language: str = "en") -> str | None:
        return bounded_tool(extract_slots(text, LAST, language), fields, text)

    assert holder("Quantos clientes fizeram entre 5 e 10 pedidos?", "pt") == "segment_query"
    assert holder("customers who have not ordered for more than 90 days") == "segment_query"
    assert holder("reviews with at most 2 stars about the fit") == "search_reviews"
    assert holder("who has at least 80% churn probability?") is None  # segment_query and predict_churn hold it
    assert holder("Revenue in the last 90 days") is None  # a period, no bound
    assert holder("¿Cuántos clientes hicieron su primer pedido en septiembre de 2011?", "es") == "segment_query"
    assert holder("customers who did not first order in 2011") is None  # negated: the model's to read
    assert holder("近90天有购买的客户有多少？", "zh") == "segment_query"  # days since their last order
    assert holder("Wie viele Kunden haben in den letzten 30 Tagen bestellt?", "de") == "segment_query"
    assert holder("Combien de clients ont commandé au cours des 45 derniers jours ?", "fr") == "segment_query"
    assert holder("What was revenue from customers in the last 90 days?") is None  # revenue, not customers
    assert holder("customers who have been inactive in the last 90 days") is None  # a lapse: the other side


@pytest.mark.parametrize(
    ("text", "language", "kind", "kept"),
    [
        ("Combien de clients ont commandé au cours des 60 derniers jours ?", "fr", "country", False),
        ("Lista de clientes que hicieron un pedido hace poco", "es", "segment", False),
        ("customers by country", "en", "country", True),
        ("Kunden in Deutschland und Frankreich", "de", "country", True),  # two named: a comparison
        ("new customers per month", "en", "month", True),
        ("Wie entwickeln sich die Neukunden?", "de", "month", True),
        ("How many customers are in each cluster?", "en", "cluster", True),
    ],
)  # fmt: skip
def test_a_breakdown_the_request_does_not_ask_for_goes(
    fill: Any, text: str, language: str, kind: str, kept: bool
) -> None:
    args, notes = fill("segment_query", text, {"group_by": kind}, language)
    assert (args.get("group_by") == kind) == kept
    assert any("asks for no breakdown" in n for n in notes) != kept


def test_has_not_ordered_since_needs_the_request_to_say_so(fill: Any) -> None:
    text = "¿Cuántos clientes hicieron su primer pedido en septiembre de 2011?"
    args, notes = fill("segment_query", text, {"not_ordered_since": "2011-09-01"}, "es")
    assert "not_ordered_since" not in args and args["first_order_from"] == date(2011, 9, 1)
    assert any("nobody stopped ordering" in n for n in notes)
    kept = {"not_ordered_since": "2011-09-01"}
    assert fill("segment_query", "customers who have not ordered since September 2011", dict(kept))[0] == kept
    inactive = fill("segment_query", "Kunden, die seit September 2011 inaktiv sind", dict(kept), "de")[0]
    assert inactive == kept  # and no recency_days_max: inactive since then is not active since then


# ---------------------------------------------------------------- a stated period


def test_the_one_past_period_fills_the_tools_period_inputs(fill: Any) -> None:
    args, notes = fill("query_metrics", "revenue by week in 2010", {"metric": "revenue", "group_by": "week"})
    assert (args["date_from"], args["date_to"]) == (date(2010, 1, 1), date(2010, 12, 31))
    assert any("the request's period" in n for n in notes)
    args, _ = fill("analyze_sentiment", "reviews of our dresses written in 2010", {"category": "Dresses"})
    assert (args["since"], args["until"]) == (date(2010, 1, 1), date(2010, 12, 31))


def test_a_period_the_model_set_or_the_words_do_not_settle_is_left_alone(fill: Any) -> None:
    given = {"metric": "revenue", "date_from": "2010-06-01"}
    assert fill("query_metrics", "revenue in 2010", given)[0] == given  # one bound set: the model's reading
    assert "date_from" not in fill("query_metrics", "revenue next quarter", {"metric": "revenue"})[0]  # a forecast
    assert "date_from" not in fill("query_metrics", "orders not in 2010", {"metric": "orders"})[0]  # negated
    assert "date_from" not in fill("query_metrics", "revenue in 2010 and 2011", {"metric": "revenue"})[0]  # two
    assert "date_from" not in fill("segment_query", "customers in 2010", {})[0]  # no period inputs

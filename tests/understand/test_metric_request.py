"""Requests only query_metrics answers, read by code (assistant/understand/metric_request.py)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.understand.language import detect_language
from assistant.understand.metric_request import MetricRequest, read_metric_request, settle_metric_arguments
from assistant.understand.slots import extract_slots

KNOWN = ["revenue", "orders", "customers", "units", "repeat_rate", "cancellation_rate", "cancelled_orders"]


def read(question: str) -> MetricRequest:
    slots = extract_slots(question, date(2011, 12, 9), detect_language(question))
    return read_metric_request(question, future=any(p.future for p in slots.periods))


@pytest.mark.parametrize(
    ("question", "metrics", "breakdowns"),
    [
        ("What is our repurchase rate for each RFM segment?", ("repeat_rate",), ()),
        ("Wie hoch ist die Wiederkaufrate je Kategorie?", ("repeat_rate",), ()),
        ("taxa de recompra por país", ("repeat_rate",), ()),  # read in any language: short text is often misread
        ("What percentage of orders got cancelled in Belgium?", ("cancellation_rate",), ()),
        ("How many orders were cancelled in Belgium?", ("cancelled_orders",), ()),
        ("Que fração dos pedidos é cancelada?", ("cancellation_rate",), ()),
        ("¿Cuál es la tasa de cancelación en Bélgica?", ("cancellation_rate",), ()),
        ("比利时的订单取消率是多少？", ("cancellation_rate",), ()),
        ("Units sold of the lunch bags in 2011", ("units",), ()),
        ("Combien d'unités par mois ?", ("units",), ("month",)),  # the word after an elision is still read
        ("Show me monthly revenue for Norway", (), ("month",)),
        ("Umsatz pro Quartal in Norwegen", (), ("quarter",)),
        ("Commandes par jour de la semaine", (), ("weekday",)),
        ("挪威每周的订单数", (), ("week",)),
        ("Umsatz pro Jahr in Norwegen", (), ("year",)),
        ("每年的订单数", (), ("year",)),
    ],
)
def test_metrics_and_time_breakdowns_no_other_tool_serves(
    question: str, metrics: tuple[str, ...], breakdowns: tuple[str, ...]
) -> None:
    seen = read(question)
    assert (seen.metrics, seen.breakdowns) == (metrics, breakdowns)
    assert seen.only_metrics_tool


@pytest.mark.parametrize(
    "question",
    [
        "Forecast monthly revenue for the next quarter",  # a forecast: forecast_sales
        "Which customers will likely buy again next month?",  # a prediction
        "Why do champions have such a high repeat rate?",  # an explanation
        "Write a monthly newsletter for our champions",  # copy
        "Prévision des ventes par mois",  # a forecast, in French (glossed 'sales forecast')
        "Umsatz wöchentlich für die nächsten 6 Wochen",  # a future period, whatever the verb
        "What is the repeat rate in Norway?",  # customer_overview states it for a filter: the model's choice
        "Of each month's first-time buyers, how many are still ordering later? A cohort view",  # cohort_retention
        "Kundenbindung je Monat der ersten Bestellung",  # the same in German (glossed 'cohort retention')
        "留存率按月份",  # and in Chinese
        "Split next month's budget across segments per week",  # allocate_budget
        "How many recipients per variant does an A/B test need each week?",  # plan_experiment
    ],
)
def test_another_tools_question_is_left_to_the_model(question: str) -> None:
    assert not read(question).only_metrics_tool


def test_several_metrics_of_one_filter_go_to_the_one_tool_that_states_them_all() -> None:
    assert read("Key figures for Denmark: repeat rate, average order value, best sellers").tool == "customer_overview"
    assert read("What is the average order value of our champions?").tool is None  # overview or segment_query
    assert read("Umsatz pro Kunde und Warenkorbwert in Spanien").tool is None


def test_the_repeat_rate_of_a_filter_is_the_overviews_and_by_group_the_metrics_layers() -> None:
    assert read("What is the repeat rate in Norway?").tool == "customer_overview"
    assert read("taux de réachat en Suède").tool == "customer_overview"
    assert read("repeat rate by country").tool == "query_metrics"
    assert read("Why is the repeat rate in Norway so low?").tool is None  # an explanation: the model's choice
    assert read("Cancellation rate in Norway").tool == "query_metrics"


@pytest.mark.parametrize(
    "question",
    ["How many customers do we have in Germany?", "Revenue last quarter in France", "Top customers by spend"],
)
def test_a_plain_question_names_no_metric_only_query_metrics_has(question: str) -> None:
    seen = read(question)
    assert not seen.metrics and not seen.breakdowns and not seen.only_metrics_tool


def test_code_sets_the_named_metric_and_time_breakdown() -> None:
    seen = MetricRequest(metrics=("cancellation_rate",), breakdowns=("month",))
    args, notes = settle_metric_arguments(
        "query_metrics", {"metric": "cancelled_orders", "countries": ["Spain"]}, seen, KNOWN
    )
    assert args == {"metric": "cancellation_rate", "group_by": "month", "countries": ["Spain"]}
    assert len(notes) == 2
    # Another unit of time is replaced; a breakdown that is not time stays first, time comes second.
    args, _ = settle_metric_arguments("query_metrics", {"metric": "orders", "group_by": "week"}, seen, KNOWN)
    assert args["group_by"] == "month"
    args, _ = settle_metric_arguments("query_metrics", {"metric": "orders", "group_by": "country"}, seen, KNOWN)
    assert (args["group_by"], args["then_by"]) == ("country", "month")


def test_a_count_word_makes_the_models_share_a_count() -> None:
    for question in ("Count the negative reviews in each department", "Combien d'avis négatifs par rayon ?"):
        seen = read(question)
        args, _ = settle_metric_arguments(
            "query_metrics", {"metric": "negative_share", "group_by": "department"}, seen, LAYER_METRICS
        )
        assert args["metric"] == "negative_reviews"


def test_a_rate_the_model_chose_is_not_made_a_count_for_want_of_a_rate_word() -> None:
    counted = read("Of all orders from Belgium, how many end up cancelled, as a share?")
    assert counted.metrics == ("cancellation_rate",)
    unsure = MetricRequest(metrics=("cancelled_orders",))  # no rate word read
    rate = {"metric": "cancellation_rate", "countries": ["Belgium"]}
    assert settle_metric_arguments("query_metrics", rate, unsure, KNOWN) == (rate, [])
    args, _ = settle_metric_arguments("query_metrics", {"metric": "orders"}, unsure, KNOWN)
    assert args["metric"] == "cancelled_orders"


def test_code_leaves_what_it_cannot_decide() -> None:
    two = MetricRequest(metrics=("repeat_rate", "units"))
    args = {"metric": "units", "group_by": "segment"}
    assert settle_metric_arguments("query_metrics", args, two, KNOWN) == (args, [])  # two named: the model's pick
    unknown = MetricRequest(metrics=("repeat_rate",))
    assert settle_metric_arguments("query_metrics", {"metric": "orders"}, unknown, ["orders"])[0] == {
        "metric": "orders"
    }
    assert settle_metric_arguments("segment_query", {"segments": ["new"]}, unknown, KNOWN)[1] == []


def test_the_one_group_named_is_the_breakdown() -> None:
    by_segment = read("Wiederkaufrate je Segment")
    assert by_segment.only_metrics_tool and by_segment.groups == ("segment",)
    args, _ = settle_metric_arguments("query_metrics", {"metric": "repeat_rate"}, by_segment, KNOWN)
    assert args == {"metric": "repeat_rate", "group_by": "segment"}
    other = {"metric": "repeat_rate", "group_by": "country", "then_by": "month"}  # a breakdown nobody asked for
    args, notes = settle_metric_arguments("query_metrics", other, by_segment, KNOWN)
    assert args == {"metric": "repeat_rate", "group_by": "segment"}
    assert notes == [
        "group_by 'segment' instead of 'country': the request names it",
        "then_by 'month' left out: the request names one breakdown",
    ]
    args, _ = settle_metric_arguments("query_metrics", {"metric": "repeat_rate", "group_by": "segment",
                                                        "then_by": "cluster"}, by_segment, KNOWN)  # fmt: skip
    assert args == {"metric": "repeat_rate", "group_by": "segment"}
    second = {"metric": "repeat_rate", "group_by": "country", "then_by": "segment"}  # named, second: it stays
    assert settle_metric_arguments("query_metrics", second, by_segment, KNOWN)[0] == second
    two = read("repeat rate by segment and by country")  # two groups: the model orders them
    assert settle_metric_arguments("query_metrics", other, two, KNOWN)[0] == other


SCOPE_METRICS = ["average_order_value", "revenue_per_customer", "average_rating", "recommend_rate", "negative_share",
                 "positive_share", "review_count", "negative_reviews"]  # fmt: skip
LAYER_METRICS = [*KNOWN, *SCOPE_METRICS]


@pytest.mark.parametrize(
    ("question", "metric", "group"),
    [
        ("mean star rating by reviewer age band", "average_rating", "age_band"),
        ("Note moyenne par tranche d'âge", "average_rating", "age_band"),
        ("按年龄段统计平均评分", "average_rating", "age_band"),
        ("Which department has the best average rating?", "average_rating", "department"),
        ("What share of reviews are negative in each category?", "negative_share", "category"),
        ("Anteil positiver Bewertungen je Abteilung", "positive_share", "department"),
        ("tasa de recomendación por departamento", "recommend_rate", "department"),  # 'recomendación' is no request
        ("What percentage of reviewers would recommend, by age group?", "recommend_rate", "age_band"),
        ("número de avaliações por classe", "review_count", "class"),
        ("Stornoquote je Land", "cancellation_rate", "country"),  # a rate word inside a German compound
        ("Which market has the highest average order value?", "average_order_value", "country"),
        ("panier moyen par pays", "average_order_value", "country"),
        ("Umsatz pro Kunde je Segment", "revenue_per_customer", "segment"),
        ("The department with the lowest average rating", "average_rating", "department"),  # a ranking
        ("Departamento con la peor valoración media", "average_rating", "department"),
        ("评分最高的部门是哪个？", "average_rating", "department"),
        ("Quel rayon est le mieux noté ?", "average_rating", "department"),
        ("Which class gets the most reviews?", "review_count", "class"),
        ("Welche Abteilung hat die meisten negativen Bewertungen?", "negative_reviews", "department"),  # a count
        ("Negative reviews per department", "negative_reviews", "department"),
        ("Which department gets the most complaints?", "negative_reviews", "department"),
        ("Wie zufrieden sind die Kundinnen je Altersgruppe?", "average_rating", "age_band"),  # satisfaction: stars
        ("average rating by division", "average_rating", "division"),
        ("average rating across all departments", "average_rating", "department"),  # a filler between
        ("Durchschnittsbewertung nach allen Abteilungen", "average_rating", "department"),
        ("Compare the recommend rates of the different age groups", "recommend_rate", "age_band"),
        ("哪个产品大类的差评最多？", "negative_reviews", "division"),  # 产品 inside 产品大类 names no product group
        # The verb names the recommend rate beside a rate word; alone it is the recommender's ("recommend …").
        ("Share of reviewers who recommend the product, per class", "recommend_rate", "class"),
        ("Welcher Anteil der Kundinnen empfiehlt den Artikel, je Altersgruppe?", "recommend_rate", "age_band"),
        # A number before the group's noun ranks that many of its members.
        ("The 5 countries with the highest average basket", "average_order_value", "country"),
        ("客单价前5个国家", "average_order_value", "country"),
        ("Les 4 segments avec le panier moyen le plus bas", "average_order_value", "segment"),
    ],
)
def test_a_scope_metric_broken_down_by_a_group_is_the_metrics_layers(question: str, metric: str, group: str) -> None:
    # analyze_sentiment, customer_overview and segment_query state these for one scope, but break them down by
    # no group (segment_query's breakdown has revenue and orders, no order value).
    seen = read(question)
    assert (seen.tool, seen.metrics, seen.groups) == ("query_metrics", (metric,), (group,))
    args, _ = settle_metric_arguments("query_metrics", {"metric": "average_rating"}, seen, LAYER_METRICS)
    assert (args["metric"], args["group_by"]) == (metric, group)


@pytest.mark.parametrize(
    "question",
    [
        "What is the average rating of our Dresses?",  # analyze_sentiment states it for a scope: the model's choice
        "What share of the jeans reviews are negative?",
        "How many negative reviews mention the fit?",  # what reviews say: search_reviews
        "How many negative reviews do the jackets have?",  # a count of one scope: analyze_sentiment states it
        "Which products would you recommend to champions, by segment?",  # recommendations, not a recommend rate
        "What is the average order value of our champions?",  # segment_query states it for the segment
        "What is the average rating of all products?",  # all of them: one figure
        "Recommend 3 products for customers in our top 5 countries",  # no rate word: the recommender's question
    ],
)
def test_a_scope_metric_of_one_scope_or_another_tools_question_is_the_models_choice(question: str) -> None:
    assert read(question).tool is None


def test_a_metric_every_tool_states_is_the_metric_of_a_breakdown_code_routed() -> None:
    for question, metric in (
        ("How many orders came in each month from Spain?", "orders"),
        ("chiffre d'affaires par jour de la semaine", "revenue"),
        ("每个月有多少客户下单？", "customers"),
    ):
        seen = read(question)
        assert seen.tool == "query_metrics"
        assert settle_metric_arguments("query_metrics", {}, seen, KNOWN)[0]["metric"] == metric
    two = read("revenue and orders per month")
    assert "metric" not in settle_metric_arguments("query_metrics", {}, two, KNOWN)[0]  # two named: the model's
    named = read("cancellation rate per month of our orders")  # a metric of its own: the measures say nothing
    assert settle_metric_arguments("query_metrics", {}, named, KNOWN)[0]["metric"] == "cancellation_rate"


def test_a_ranking_sets_how_many_rows_and_from_which_end() -> None:
    top = read("The 4 countries with the highest average basket")
    args, _ = settle_metric_arguments("query_metrics", {"metric": "average_order_value"}, top, LAYER_METRICS)
    assert (args["top_n"], args.get("sort")) == (4, None)
    bottom = read("Welche 2 Abteilungen haben die niedrigste Durchschnittsbewertung?")
    args, _ = settle_metric_arguments("query_metrics", {"metric": "average_rating"}, bottom, LAYER_METRICS)
    assert (args["group_by"], args["top_n"], args["sort"]) == ("department", 2, "value_asc")
    at_least = read("Which departments have at least 100 reviews?")  # a comparator, not a ranking
    assert not at_least.lowest

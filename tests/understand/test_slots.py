"""Slot extraction: bounds, top N, money, percentages, periods, dates and ids, in six languages; no model."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.understand.slots import Bound, Slots, extract_slots, numbers_in

TODAY = date(2011, 12, 9)  # the real data's last order date


def slots(text: str) -> Slots:
    return extract_slots(text, TODAY)


def bounds(text: str) -> list[tuple[str | None, str, float]]:
    return [(b.quantity, b.op, b.value) for b in slots(text).bounds]


def periods(text: str) -> list[tuple[date, date]]:
    return [(p.start, p.end) for p in slots(text).periods]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("customers with more than 10 orders", [("orders", "gt", 10)]),
        ("customers with at least 10 orders", [("orders", "ge", 10)]),
        ("between 5 and 10 orders", [("orders", "ge", 5), ("orders", "le", 10)]),
        ("customers who spent over £5,000", [("spend", "gt", 5000)]),
        ("products under 2,000", [(None, "lt", 2000)]),
        ("churn risk above 70%", [("probability", "gt", 70)]),
        ("no more than 5 orders", [("orders", "le", 5)]),
        ("10 orders or more", [("orders", "ge", 10)]),
        ("exactly 3 orders", [("orders", "eq", 3)]),
        ("reviews with at most 2 stars", [("rating", "le", 2)]),
        ("not ordered for more than 90 days", [("days", "gt", 90)]),
        ("spent more than 500 in the last 90 days", [("spend", "gt", 500)]),
        ("clientes con más de 10 pedidos", [("orders", "gt", 10)]),
        ("Kunden mit mindestens 5 Bestellungen", [("orders", "ge", 5)]),
        ("clients ayant dépensé plus de 1000 €", [("spend", "gt", 1000)]),
        ("clientes com pelo menos 3 encomendas", [("orders", "ge", 3)]),
        ("riesgo de abandono superior al 80 %", [("probability", "gt", 80)]),
        ("超过10个订单的客户", [("orders", "gt", 10)]),
        ("消费1000元以上", [("spend", "ge", 1000)]),
        ("订单在5到10之间", [("orders", "ge", 5), ("orders", "le", 10)]),
        ("至少买过3单的顾客", [("orders", "ge", 3)]),  # the verb stands between the comparator and the number
        ("花了超过200英镑的客户", [("spend", "gt", 200)]),  # the currency, not the customers after it
    ],
)
def test_bounds(text: str, expected: list[tuple[str | None, str, float]]) -> None:
    assert bounds(text) == expected


def test_bound_keeps_its_surface() -> None:
    assert slots("customers who spent over £5,000").bounds == [
        Bound(quantity="spend", op="gt", value=5000, surface="over £5,000")
    ]


@pytest.mark.parametrize(
    ("text", "top_n"),
    [
        ("top 5 products", 5),
        ("the 5 best customers", 5),
        ("top ten customers", 10),
        ("los 10 mejores clientes", 10),
        ("die 3 besten Produkte", 3),
        ("前5名产品", 5),
        ("top customers in France", None),
        ("top 5 and top 10", None),  # two readings: not guessed
    ],
)
def test_top_n(text: str, top_n: int | None) -> None:
    assert slots(text).top_n == top_n


def test_money_and_percentages() -> None:
    found = slots("an offer of 20% off for customers who spent €1.200,50 or 5k")
    assert [(m.amount, m.currency) for m in found.money] == [(1200.5, "EUR")]
    assert found.percentages == [20.0]
    assert found.numbers == [20.0, 1200.5, 5000.0]
    assert slots("churn above 70 percent").percentages == [70.0]


def test_a_number_word_of_one_language_is_a_common_word_of_another() -> None:
    assert extract_slots("Que fração dos pedidos é cancelada?", TODAY, "pt").numbers == []  # "of the"
    assert extract_slots("clientes con dos pedidos", TODAY, "es").numbers == [2.0]
    assert extract_slots("哪一天的订单最多？", TODAY, "zh").numbers == []  # 哪一: "which"


def test_an_ambiguous_number_fills_no_slot() -> None:
    found = slots("customers who spent more than 1.200")
    assert found.bounds == [] and found.money == [] and found.numbers == []
    assert found.ambiguous == ["1.200"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sales in the last 90 days", (date(2011, 9, 11), TODAY)),  # 90 days counting today
        ("the past 6 months", (date(2011, 6, 10), TODAY)),
        ("last month", (date(2011, 11, 1), date(2011, 11, 30))),
        ("this year", (date(2011, 1, 1), TODAY)),
        ("last year", (date(2010, 1, 1), date(2010, 12, 31))),
        ("November 2011", (date(2011, 11, 1), date(2011, 11, 30))),
        ("Nov 2011", (date(2011, 11, 1), date(2011, 11, 30))),
        ("2011-11", (date(2011, 11, 1), date(2011, 11, 30))),
        ("sales in 2011", (date(2011, 1, 1), date(2011, 12, 31))),
        ("Q3 2011", (date(2011, 7, 1), date(2011, 9, 30))),
        ("since 2011-09-30", (date(2011, 9, 30), TODAY)),
        ("from September to November 2011", (date(2011, 9, 1), date(2011, 11, 30))),
        ("ventas de noviembre de 2011", (date(2011, 11, 1), date(2011, 11, 30))),
        ("los últimos 3 meses", (date(2011, 9, 10), TODAY)),
        ("Umsatz letzten Monat", (date(2011, 11, 1), date(2011, 11, 30))),
        ("les 90 derniers jours", (date(2011, 9, 11), TODAY)),
        ("les ventes du dernier trimestre", (date(2011, 7, 1), date(2011, 9, 30))),  # adjective before the unit
        ("novembro de 2011", (date(2011, 11, 1), date(2011, 11, 30))),
        ("2011年11月的销售", (date(2011, 11, 1), date(2011, 11, 30))),
        ("上个月", (date(2011, 11, 1), date(2011, 11, 30))),
        ("最近90天", (date(2011, 9, 11), TODAY)),
    ],
)
def test_periods(text: str, expected: tuple[date, date]) -> None:
    found = slots(text).periods
    assert [(p.start, p.end) for p in found] == [expected]
    assert not found[0].future and not found[0].year_assumed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("forecast next quarter", (date(2012, 1, 1), date(2012, 3, 31))),
        ("revenue in the next 3 months", (date(2011, 12, 10), date(2012, 3, 9))),
        ("nächstes Quartal", (date(2012, 1, 1), date(2012, 3, 31))),
        ("未来3个月", (date(2011, 12, 10), date(2012, 3, 9))),
    ],
)
def test_future_periods_are_flagged(text: str, expected: tuple[date, date]) -> None:
    (period,) = slots(text).periods
    assert (period.start, period.end) == expected and period.future


def test_a_month_without_a_year_is_assumed_and_reported() -> None:
    found = slots("sales in November")
    assert periods("sales in November") == [(date(2011, 11, 1), date(2011, 11, 30))]
    assert found.periods[0].year_assumed and found.ambiguous == ["November"]
    assert slots("may I see the sales").periods == []  # "may" is a month only as "in May" or "May 2011"


def test_a_period_counted_from_a_named_year_is_not_guessed() -> None:
    found = slots("the last 3 months of 2011")  # back from 2011-12-31, or from the data's last day?
    assert "last 3 months" in found.ambiguous and found.numbers == [3]
    assert periods("the last 3 months of 2011") == [(date(2011, 1, 1), date(2011, 12, 31))]


def test_dates() -> None:
    assert slots("as of 2011-06-30").dates == [date(2011, 6, 30)]
    assert slots("on 30 November 2011").dates == [date(2011, 11, 30)]
    assert slots("2011年11月30日").dates == [date(2011, 11, 30)]
    assert slots("30/11/2011").dates == [date(2011, 11, 30)]
    found = slots("on 03/04/2011")  # 3 April or 4 March?
    assert found.dates == [] and found.ambiguous == ["03/04/2011"]
    assert slots("between 2011-09-01 and 2011-10-31").periods[0].end == date(2011, 10, 31)


def test_ids() -> None:
    found = slots("compare customer 13047 and client #12347")
    assert found.customer_ids == ["13047", "12347"]
    assert found.numbers == []  # ids are not quantities
    assert slots("customers 12347, 12348 and 12349").customer_ids == ["12347", "12348", "12349"]
    assert slots("Kunde 12583").customer_ids == ["12583"]
    assert slots("客户13047的订单").customer_ids == ["13047"]
    assert slots("what sells with 85123A and product 22423?").product_ids == ["22423", "85123A"]
    assert slots("who bought 22423").product_ids == ["22423"]
    found = slots("what did 12347 do")  # a customer or a stock code?
    assert found.customer_ids == [] and found.product_ids == [] and found.ambiguous == ["12347"]


def test_numbers_in_every_form() -> None:
    assert numbers_in("five customers, twenty-five orders, 1,500 and 2.5k") == [5, 25, 1500, 2500]
    assert numbers_in("三个客户，十五个订单，两万") == [3, 15, 20000]
    assert numbers_in("between 2011-09-01 and 2011-10-31") == []  # dates are not quantities
    assert slots("los últimos 3 meses").numbers == [3]  # the N of a period is


def test_file_requests() -> None:
    assert slots("download a CSV of them").wants_file
    assert slots("exporta la lista").wants_file
    assert slots("导出客户名单").wants_file
    assert not slots("which customers are at risk?").wants_file


def test_the_language_settles_how_grouped_digits_read() -> None:
    today = date(2011, 12, 9)
    assert extract_slots("clientes que han gastado más de 5.000 libras", today, "es").bounds[0].value == 5000
    assert extract_slots("spent more than 1.200", today, "en").ambiguous == ["1.200"]
    german = extract_slots("mehr als 5,000 ausgegeben", today, "de")
    assert not german.bounds and "5,000" in german.ambiguous


@pytest.mark.parametrize("text", ["los próximos tres meses", "in den nächsten drei Monaten", "nos próximos nove meses"])
def test_number_words_of_every_language_read_as_floats(text: str) -> None:
    # The es/de/fr/pt number words were ints, and a period or top N built from them crashed (int.is_integer).
    assert slots(text).periods


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("revenue in the next half year", date(2011, 12, 10), date(2012, 6, 9)),
        ("Umsatz im kommenden Halbjahr", date(2011, 12, 10), date(2012, 6, 9)),
        ("ventas del último semestre", date(2011, 6, 10), date(2011, 12, 9)),
        ("未来半年的订单", date(2011, 12, 10), date(2012, 6, 9)),
    ],
)
def test_a_half_year_is_six_months_from_today(text: str, start: date, end: date) -> None:
    slots = extract_slots(text, TODAY)
    assert [(p.start, p.end) for p in slots.periods] == [(start, end)]
    assert [(d.value, d.unit) for d in slots.durations] == [(6, "month")]


def test_a_half_year_without_next_or_last_is_no_period() -> None:
    assert not extract_slots("our half-year results", TODAY).periods

"""Slots: the numbers, bounds, periods and ids a question states, read by code so the model need not guess them.

Conventions (relative to `today`, the data's last order date; every period is inclusive at both ends):

- "last/past N days|weeks|months|years" ends today and counts today: last 90 days = today-89 .. today,
  last 6 months = (today - 6 months) + 1 day .. today.
- "last/previous week|month|quarter|year" is the previous calendar unit (weeks run Monday to Sunday);
  "this week|month|quarter|year" runs from the unit's first day to today; "past month" is the rolling one.
- "next week|month|quarter|year" is the next calendar unit; "next N months" = today+1 .. today + N months;
  both are `future`.
- "since X" = X's first day .. today; "after X" = the day after X .. today; "from X to Y" = X's first day ..
  Y's last day. A named year, quarter or month keeps its calendar end even past today.
- A month, quarter or day named without a year is the latest one begun by today: `year_assumed`, and its words
  are listed in `ambiguous`.
- "between A and B" is inclusive (ge A, le B). "5,000" is five thousand, "1,5" one and a half; "1.200,50" and
  "1,200.50" are read by their last separator; a lone "1.200" (1.2 or 1200?) is ambiguous and fills no slot.
- Numbers inside dates and ids are not listed in `numbers`; the N of "last N days" is.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from typing import Literal

from babel.dates import get_month_names
from pydantic import BaseModel, Field

Quantity = Literal["orders", "spend", "days", "months", "probability", "rating", "customers", "products"]
Op = Literal["gt", "ge", "lt", "le", "eq"]
Unit = Literal["day", "week", "month", "quarter", "year"]


class Bound(BaseModel):
    """A stated limit: "more than 10 orders" -> quantity=orders, op=gt, value=10."""

    quantity: Quantity | None
    op: Op
    value: float
    surface: str


class Money(BaseModel):
    amount: float
    currency: str | None = None  # ISO code when the text gives a symbol, code or currency word
    surface: str


class Period(BaseModel):
    start: date
    end: date  # inclusive
    surface: str
    future: bool = False  # starts after today: a forecast horizon, not a filter on the data
    year_assumed: bool = False  # the text named no year: the latest such month/quarter/day up to today


class Duration(BaseModel):
    """A stated length of time ("6 months", "90-day"): lets a check trace 180 days back to 6 months."""

    value: float
    unit: Unit
    surface: str


class Slots(BaseModel):
    today: date
    bounds: list[Bound] = Field(default_factory=list)
    top_n: int | None = None
    percentages: list[float] = Field(default_factory=list)
    money: list[Money] = Field(default_factory=list)
    periods: list[Period] = Field(default_factory=list)
    dates: list[date] = Field(default_factory=list)
    durations: list[Duration] = Field(default_factory=list)
    customer_ids: list[str] = Field(default_factory=list)
    product_ids: list[str] = Field(default_factory=list)
    numbers: list[float] = Field(default_factory=list)
    ambiguous: list[str] = Field(default_factory=list)
    wants_file: bool = False  # the words ask for a file (export, download, CSV, 导出 ...)


# ---------------------------------------------------------------- lexicon


def _ws(words: str) -> list[str]:
    """A word list written as one string: the multilingual lexicons below stay readable."""
    return words.split()


_L = "A-Za-z\u00c0-\u024f"  # Latin letters: only Latin words need boundaries, CJK text has no spaces
_LB = rf"(?<![{_L}])"
_LA = rf"(?![{_L}])"
_PUNCT = ".;:?!,，。；：？！()（）\n"
# Full-width digits and % (common in Chinese input) read as ASCII; one character each, so spans stay put.
_FULLWIDTH = {ord("０") + i: ord("0") + i for i in range(10)} | {ord("％"): ord("%"), ord("．"): ord(".")}

_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
    " seventeen eighteen nineteen"
)
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
_WORD_NUMBERS: dict[str, float] = {
    **{w: float(i) for i, w in enumerate(_ws(_EN_ONES))},
    **{w: float(20 + 10 * i) for i, w in enumerate(_ws(_EN_TENS))},
    "hundred": 100, "thousand": 1000, "dozen": 12,
    # Spanish, German, French, Portuguese: cardinals that are not also articles or common words
    # (un/uno/ein, once = 11 or "once", sept = 7 or September, neuf = 9 or new are left out).
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "doce": 12, "quince": 15, "veinte": 20, "treinta": 30, "cien": 100,
    "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "zwölf": 12, "zwanzig": 20, "dreißig": 30, "hundert": 100, "tausend": 1000,
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "huit": 8, "dix": 10, "douze": 12, "quinze": 15,
    "vingt": 20, "trente": 30, "mille": 1000,
    "dois": 2, "duas": 2, "três": 3, "quatro": 4, "sete": 7, "oito": 8, "nove": 9, "dez": 10, "doze": 12,
    "vinte": 20, "trinta": 30, "cem": 100, "mil": 1000,
}  # fmt: skip
_WORD_NUMBERS = {w: float(v) for w, v in _WORD_NUMBERS.items()}  # "tres": 3 -> 3.0, as the float type promises
# One language's number word that is a common word of another: Portuguese "dos" is "of the", not Spanish two.
_NOT_NUMBERS: dict[str, frozenset[str]] = {"pt": frozenset({"dos"})}
_EN_SCALES = {"hundred": 100.0, "thousand": 1000.0, "million": 1e6}
_ZH_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_NUM = "[零〇一二两三四五六七八九十百千万]+"

_N = "(?P<n>" + r"\d+(?:[.,]\d+)?|" + _LB + "(?:" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
_N += ")" + _LA + "|" + _ZH_NUM + ")"

_UNIT_WORDS: dict[str, Unit] = {
    **dict.fromkeys(_ws("days day días dias día dia tagen tage tag jours jour 天"), "day"),
    **dict.fromkeys(_ws("weeks week semanas semana wochen woche semaines semaine 周 星期 个星期"), "week"),
    **dict.fromkeys(_ws("months month meses mes mês monaten monate monat mois 个月"), "month"),
    **dict.fromkeys(_ws("quarters quarter trimestres trimestre quartalen quartale quartal 个季度"), "quarter"),
    **dict.fromkeys(_ws("years year años año anos ano jahren jahre jahr ans années année 年"), "year"),
}
_U = "(?P<u>" + "|".join(re.escape(w) for w in sorted(_UNIT_WORDS, key=len, reverse=True)) + ")" + _LA

_QUANTITY_WORDS: dict[Quantity, str] = {
    "orders": r"orders?|purchases?|transactions?|invoices?|times|pedidos?|compras?|veces|bestellungen|bestellung"
    r"|käufe|einkäufe|mal|commandes?|achats?|fois|encomendas?|vezes|订单|单|笔|次",
    "spend": r"spent|spend|spending|revenue|turnover|gastad[oa]s?|gastaron|gast[oó]|gasto|gastos|ingresos"
    r"|ausgegeben|umsatz|umsätze|d[ée]pens[ée]e?s?|d[ée]penses|chiffre d'affaires|gastaram|gastou|receita"
    r"|faturamento|消费|花费|花了|销售额|营收|收入|金额",
    "days": r"days?|d[ií]as?|tagen?|tage|jours?|天",
    "months": r"months?|meses|m[eê]s|monaten?|monate|mois|个月",
    "probability": r"risk|probability|chance|likelihood|likely|churn|probabilidad|riesgo|wahrscheinlichkeit|risiko"
    r"|probabilit[ée]|risque|probabilidade|risco|概率|风险|可能性|流失",
    "rating": r"stars?|rating|ratings|rated|estrellas?|sterne?n?|bewertung|[ée]toiles?|estrelas?|星|评分",
    "customers": r"customers?|clients?|clientes?|kunden|kunde|kundinnen|客户|顾客|位",
    "products": r"products?|items?|productos?|art[íi]culos?|produkte?|artikel|produits?|articles?|produtos?|itens"
    r"|产品|商品|件",
}
_SUBJECTS = frozenset({"customers", "products"})
_QUANTITY_RES = {q: re.compile(_LB + "(?:" + p + ")" + _LA, re.IGNORECASE) for q, p in _QUANTITY_WORDS.items()}

# Comparators written before the number, longest first so "no more than" wins over "more than".
_BEFORE: dict[Op, str] = {
    "gt": "more than|over|above|greater than|higher than|exceeding|in excess of|upwards of|más de|más que"
    "|mayor(?:es)? (?:que|al?)|superior(?:es)? al?|por encima del?|mehr als|über|größer als|höher als|plus de|plus que"
    "|supérieure?s? à|au-dessus de|dépassant|mais de|mais que|maior(?:es)? que|acima de|超过|多于|大于|高于|超出|>",
    "ge": "at least|no less than|not less than|no fewer than|a minimum of|minimum of|minimum|greater than or equal to"
    "|al menos|por lo menos|como mínimo|mínimo|mindestens|wenigstens|nicht weniger als|au moins|au minimum"
    "|pelo menos|ao menos|no mínimo|至少|不少于|不低于|最少|>=|≥",
    "lt": "under|below|less than|fewer than|lower than|menos de|menos que|por debajo de|inferior(?:es)? al?"
    "|menor(?:es)? (?:que|al?)|weniger als|unter|unterhalb von|kleiner als|niedriger als|moins de|moins que"
    "|en dessous de|au-dessous de|inférieure?s? à|abaixo de|少于|低于|不到|小于|不足|<",
    "le": "at most|up to|no more than|not more than|a maximum of|maximum of|maximum|less than or equal to"
    "|como máximo|a lo sumo|hasta|no más de|höchstens|maximal|bis zu|nicht mehr als|au plus|au maximum"
    "|jusqu'à|pas plus de|no máximo|até|não mais (?:de|que)|最多|不超过|不多于|不高于|至多|<=|≤",
    "eq": "exactly|precisely|exactamente|genau|exactement|exatamente|正好|恰好|刚好",
}
# Chinese puts the verb between a comparator and its number: "至少下过4单" (placed at least 4 orders).
_ZH_VERB = "下过|下了|买过|买了|购买过|购买了|消费过|消费了|花过|花了|有过|有"
_BEFORE_RES = {
    op: re.compile(_LB + "(?:" + p + ")(?:" + _ZH_VERB + r")?\s*$", re.IGNORECASE) for op, p in _BEFORE.items()
}
_AFTER_RES: dict[Op, re.Pattern[str]] = {
    "ge": re.compile(
        rf"^(?:\+|\s*(?:[{_L}]+\s+){{0,2}}?(?:or more|or above|or higher|or over|and (?:above|over|up|more)"
        rf"|o más|oder mehr|ou plus|ou mais){_LA}|[\u4e00-\u9fff]{{0,4}}?(?:或|及)?以上|[\u4e00-\u9fff]{{0,4}}?或更多)",
        re.IGNORECASE,
    ),
    "le": re.compile(
        rf"^\s*(?:(?:[{_L}]+\s+){{0,2}}?(?:or fewer|or less|or below|or under|and (?:below|under)|o menos"
        rf"|oder weniger|ou moins|ou menos){_LA}|[\u4e00-\u9fff]{{0,4}}?(?:或|及)?以下|[\u4e00-\u9fff]{{0,4}}?或更少)",
        re.IGNORECASE,
    ),
}
_BETWEEN_RE = re.compile(_LB + r"(?:between|entre|zwischen|from|介于|在)\s*$", re.IGNORECASE)
_RANGE_GAP_RE = re.compile(r"^\s*(?:and|y|e|und|et|to|bis|和|与|到|至|-|–|—)\s*$", re.IGNORECASE)
_DASH_GAP_RE = re.compile(r"^\s*(?:to|bis|到|至|-|–|—)\s*$", re.IGNORECASE)

_TOP_BEFORE_RE = re.compile(_LB + r"(?:top|best|bottom|worst)\s*-?\s*$|(?:排名)?前\s*$", re.IGNORECASE)
_TOP_AFTER_RE = re.compile(
    # "the 5 best", "los 5 mejores", and "los 5 productos más vendidos" (the noun before the superlative)
    r"^\s*(?:(?:products|customers|items|productos|clientes|artículos|produtos|produits|clients|produkte|kunden"
    r"|artikel)\s+(?:más|mais|plus|meist|most|best)" + _LA + "|(?:"
    r"best|top|biggest|largest|highest|most|greatest|leading|worst|lowest|mejores|principales|mayores"
    r"|peores|besten|größten|grössten|wichtigsten|stärksten|schlechtesten|meilleure?s|principaux|pires|melhores"
    r"|maiores|principais|piores)" + _LA + ")",
    re.IGNORECASE,
)

_CURRENCIES: dict[str, str] = {
    **dict.fromkeys(_ws("£ gbp pound pounds libra libras pfund livre livres 英镑"), "GBP"),
    **dict.fromkeys(_ws("€ eur euro euros 欧元"), "EUR"),
    **dict.fromkeys(_ws("$ us$ usd dollar dollars dólares dolares 美元"), "USD"),
    **dict.fromkeys(_ws("¥ cny rmb 元 块 人民币"), "CNY"),
    "reais": "BRL",
}
_CUR_PRE = r"US\$|£|€|\$|¥|GBP|EUR|USD|CNY|RMB"
_CUR_POST = r"£|€|\$|¥|GBP|EUR|USD|CNY|RMB|pounds?|euros?|dollars?|libras?|d[óo]lares|pfund|livres?|reais"
_CUR_POST_ZH = "英镑|欧元|美元|人民币|元|块"  # a Chinese word goes on with no space: "500英镑的客户"
_MULTIPLIERS: dict[str, float] = {
    **dict.fromkeys(["k", "thousand", "mil", "tausend", "mille", "千"], 1e3),
    **dict.fromkeys(["m", "mn", "mio", "mio.", "million", "millions", "millionen", "millones", "milhões"], 1e6),
    "milhoes": 1e6, "bn": 1e9, "万": 1e4, "百万": 1e6, "亿": 1e8,
}  # fmt: skip
_MONEY_ONLY_MULTIPLIERS = {"m", "mn", "bn"}  # "5m" is five million only next to a currency (else metres?)
_MULT = r"k|thousand|mil|tausend|mille|millions?|millionen|millones|milh[õo]es|mio\.?|mn|m|bn|百万|千|万|亿"
_PCT = r"%|percent|per\s?cent|por\s?ciento|prozent|pour\s?cent|por\s?cento"
_NUM_RE = re.compile(
    rf"(?<![0-9{_L}_.,])(?:(?P<pre>{_CUR_PRE})\s?)?"
    r"(?P<num>\d{1,3}(?P<sep>[,.'\u00a0\u202f\u2009 ])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)?)"
    rf"(?:\s?(?P<mult>{_MULT})(?![{_L}]))?(?:\s?(?P<post>(?:{_CUR_POST})(?![{_L}])|{_CUR_POST_ZH}))?"
    rf"(?:\s?(?P<pct>{_PCT}))?"
    rf"(?![0-9{_L}])",
    re.IGNORECASE,
)
_ZH_PCT_RE = re.compile(r"百分之(?P<n>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+)")
_ZH_TENTHS_RE = re.compile(r"(?P<n>[一二三四五六七八九十]|\d{1,2})成(?![本功员为交立长熟绩果就分])")
_ZH_RUN_RE = re.compile(_ZH_NUM)
_ZH_CLASSIFIERS = set("个位名天周次单笔件元块成倍星项种家款%月年")
_WORD_RE = re.compile(
    _LB + "(?:" + "|".join(sorted([*_WORD_NUMBERS, "million"], key=len, reverse=True)) + ")" + _LA, re.IGNORECASE
)

_FILE_RE = re.compile(
    _LB + r"(?:export\w*|download\w*|csv|spreadsheets?|excel|xlsx?|files?|descarg\w*|herunterlad\w*|télécharg\w*"
    r"|baixar|baixe|archivos?|fichiers?|dateien?|arquivos?|planilhas?|hojas? de cálculo)" + _LA + "|导出|下载",
    re.IGNORECASE,
)
_BUY_RE = re.compile(
    _LB + r"(?:bought|purchased|buy|buying|compr(?:aron|ó|ado|aram|ou|an)|gekauft|kauften|achet[ée]s?)" + _LA
    + r"|买了|购买|买过",
    re.IGNORECASE,
)  # fmt: skip
_ID_FILL = r"(?:\s*(?:ids?|no\.?|nr\.?|numbers?|n[º°o]\.?|número|numero|nummer|numéro|code|编号|号))?\s*[:#]?\s*#?"
_ID_LIST_SEP = r"\s*(?:,|&|/|、|\band\b|\bor\b|\by\b|\bo\b|\bund\b|\boder\b|\bet\b|\bou\b|\be\b|和|或)\s*#?"
_CUSTOMER_RE = re.compile(
    _LB + r"(?:customers?|clients?|kunden?|kundin(?:nen)?|clientes?|客户|顾客|用户|会员)" + _ID_FILL
    + rf"(?P<ids>\d{{4,7}}(?:{_ID_LIST_SEP}\d{{4,7}})*)(?![0-9{_L}]|\s?[%€£$¥]|[.,]\d)",
    re.IGNORECASE,
)  # fmt: skip
_PRODUCT_RE = re.compile(
    _LB + r"(?:products?|items?|stock\s?codes?|skus?|articles?|art[íi]culos?|productos?|produkte?|artikel"
    r"|produits?|produtos?|itens|产品|商品|货号)" + _ID_FILL
    + rf"(?P<ids>\d{{3,6}}[A-Za-z]{{0,3}}(?:{_ID_LIST_SEP}\d{{3,6}}[A-Za-z]{{0,3}})*)(?![0-9{_L}]|\s?[%€£$¥]|[.,]\d)",
    re.IGNORECASE,
)  # fmt: skip
_STOCK_CODE_RE = re.compile(rf"(?<![0-9{_L}])\d{{5}}[A-Za-z]{{1,3}}(?![0-9{_L}])")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@cache
def _month_names() -> tuple[dict[str, int], frozenset[str]]:
    """Month names of en/es/de/fr/pt from CLDR, with and without accents; and which are only abbreviations."""
    full: dict[str, int] = {}
    short: dict[str, int] = {"sept": 9, "sep": 9, "setiembre": 9}
    for locale in ("en", "es", "de", "fr", "pt"):
        widths: tuple[tuple[Literal["wide", "abbreviated"], dict[str, int]], ...] = (
            ("wide", full),
            ("abbreviated", short),
        )
        for width, names in widths:
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale=locale).items():
                    word = name.lower().rstrip(".")
                    names[word] = names[_fold(word)] = int(number)
    abbreviations = frozenset(w for w in short if w not in full)
    return {**short, **full}, abbreviations


# Names that are also everyday words: read as a month only with a year or a preposition before them.
_RISKY_MONTHS = frozenset({"may", "march", "august", "mar", "set", "out", "ago", "dez", "jan"})
_MONTH_PREP_RE = re.compile(
    _LB + r"(?:in|during|for|since|from|until|till|through|of|last|this|next|en|em|no|im|seit|desde|depuis"
    r"|durante|pendant|hasta|bis|até|de|del|à|a|au|mois de)\s+$",
    re.IGNORECASE,
)
_YEAR_PREP_RE = re.compile(
    _LB + r"(?:in|during|for|throughout|of|since|from|until|en|durante|im|jahr|em|de|del|pendant|year|año"
    r"|ano|année|l'année)\s+$",
    re.IGNORECASE,
)


# ---------------------------------------------------------------- numbers


def _zh_value(text: str) -> float:
    """Chinese numerals: 十 = 10, 二十五 = 25, 三千 = 3000, 两万 = 20000; 二〇一一 (digit by digit) = 2011."""
    if not any(c in _ZH_UNITS or c == "万" for c in text):
        return float("".join(str(_ZH_DIGITS[c]) for c in text))
    total = section = digit = 0
    for c in text:
        if c in _ZH_DIGITS:
            digit = _ZH_DIGITS[c]
        elif c in _ZH_UNITS:
            section += (digit or 1) * _ZH_UNITS[c]
            digit = 0
        else:  # 万
            total += (section + digit or 1) * 10_000
            section = digit = 0
    return float(total + section + digit)


def _word_value(text: str) -> float | None:
    """A number written as digits, a number word (en/es/de/fr/pt) or Chinese numerals."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return float(text)
    if re.fullmatch(r"\d+[.,]\d+", text):
        return _digits_value(text)
    if re.fullmatch(_ZH_NUM, text):
        return _zh_value(text)
    return _WORD_NUMBERS.get(text.lower())


def _valid_groups(text: str, mark: str) -> bool:
    head, *groups = text.split(mark)
    return 1 <= len(head) <= 3 and all(len(g) == 3 for g in groups)


# Languages whose writers group thousands with "." and mark decimals with "," ("5.000 libras" is 5000).
DECIMAL_COMMA = frozenset({"es", "de", "fr", "pt"})


def _digits_value(raw: str, decimal_comma: bool = False) -> float | None:
    """Digits with grouping and decimal marks; None when they read two ways ("1.200": 1.2 or 1200).

    `decimal_comma`: the text is in a language that groups with "." (es, de, fr, pt), so "1.200" is 1200 and
    "5,000" (5.0 or 5000?) is the one that reads two ways."""
    s = re.sub(r"['\u00a0\u202f\u2009 ]", "", raw)
    if "." in s and "," in s:
        decimal = "." if s.rfind(".") > s.rfind(",") else ","
        group = "," if decimal == "." else "."
        head, _, tail = s.rpartition(decimal)
        if decimal in head or not _valid_groups(head, group):
            return None
        return float(head.replace(group, "") + "." + tail)
    for mark in (".", ","):
        if s.count(mark) > 1:
            return float(s.replace(mark, "")) if _valid_groups(s, mark) else None
        if mark in s:
            head, tail = s.split(mark)
            if len(tail) == 3 and not head.startswith("0") and len(head) <= 3:
                # "5,000" is English grouping; "1.200" is 1200 in Europe but 1.2 in English: not guessed
                # unless the language says which.
                grouping = "." if decimal_comma else ","
                return float(head + tail) if mark == grouping else None
            return float(head + "." + tail)
    return float(s)


@dataclass
class _Tok:
    start: int
    end: int
    value: float | None  # None: ambiguous
    surface: str
    currency: str | None = None
    percent: bool = False
    literal: bool = False  # plain digits, no grouping, decimals or multiplier (a year? an id?)
    used: bool = False  # already a bound or a top N


def _number_tokens(masked: str, decimal_comma: bool = False, language: str | None = None) -> list[_Tok]:
    found: list[_Tok] = []
    for m in _NUM_RE.finditer(masked):
        value = _digits_value(m["num"], decimal_comma)
        cur_word = (m["pre"] or m["post"] or "").lower().strip()
        currency = _CURRENCIES.get(cur_word) if cur_word else None
        mult = (m["mult"] or "").lower()
        if mult and value is not None and not (mult in _MONEY_ONLY_MULTIPLIERS and currency is None):
            value *= _MULTIPLIERS[mult]
        literal = not (m["mult"] or re.search(r"\D", m["num"]))
        found.append(_Tok(m.start(), m.end(), value, m[0].strip(), currency, bool(m["pct"]), literal))
    for m in _ZH_PCT_RE.finditer(masked):
        found.append(_Tok(m.start(), m.end(), _word_value(m["n"]), m[0], percent=True))
    for m in _ZH_TENTHS_RE.finditer(masked):
        value = _word_value(m["n"])
        found.append(_Tok(m.start(), m.end(), None if value is None else value * 10, m[0], percent=True))
    for m in _ZH_RUN_RE.finditer(masked):
        after = masked[m.end() : m.end() + 1]
        before = masked[max(0, m.start() - 1) : m.start()]
        # A lone 一 or 十 is mostly part of a word (一些, 十分): count it only before a classifier or after 前/近.
        if len(m[0]) == 1 and after not in _ZH_CLASSIFIERS and before not in set("前近去过于少多到至"):
            continue
        if m[0] == "一" and before in set("哪每同"):
            continue  # 哪一天 "which day", 每一周 "every week", 同一 "the same": no count
        cur = _CURRENCIES.get(after) if after in ("元", "块") else None
        found.append(_Tok(m.start(), m.end(), _zh_value(m[0]), m[0], currency=cur))
    not_numbers = _NOT_NUMBERS.get(language or "", frozenset())
    for m in _WORD_RE.finditer(masked):
        if m[0].lower() not in not_numbers:
            found.append(_Tok(m.start(), m.end(), _WORD_NUMBERS.get(m[0].lower(), 1.0), m[0]))
    found = _merge_english_compounds(masked, found)
    # Overlaps (百分之七十 also holds 七十): keep the longest, then the first found.
    found.sort(key=lambda t: (t.start, -(t.end - t.start)))
    kept: list[_Tok] = []
    for tok in found:
        if not kept or tok.start >= kept[-1].end:
            kept.append(tok)
    return kept


def _merge_english_compounds(masked: str, toks: list[_Tok]) -> list[_Tok]:
    """ "twenty five" -> 25, "two hundred" -> 200, "5 thousand" is handled by the digit pattern."""
    words = sorted((t for t in toks if re.fullmatch(r"[a-z]+", t.surface.lower())), key=lambda t: t.start)
    word_ids = {id(t) for t in words}
    others = [t for t in toks if id(t) not in word_ids]
    merged: list[_Tok] = []
    for tok in words:
        prev = merged[-1] if merged else None
        word = tok.surface.lower()
        if prev is not None and prev.value is not None and re.fullmatch(r"[\s-]+", masked[prev.end : tok.start]):
            if word in _EN_SCALES and prev.value < 1000:
                merged[-1] = _Tok(prev.start, tok.end, prev.value * _EN_SCALES[word], masked[prev.start : tok.end])
                continue
            if prev.surface.lower() in _ws(_EN_TENS) and tok.value is not None and tok.value < 10:
                merged[-1] = _Tok(prev.start, tok.end, prev.value + tok.value, masked[prev.start : tok.end])
                continue
        if word == "million":
            continue  # a bare "million" is not a number of its own
        merged.append(tok)
    return others + merged


# ---------------------------------------------------------------- dates and periods


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(y, m + 1, min(day.day, monthrange(y, m + 1)[1]))


def _shift(day: date, unit: Unit, n: int) -> date:
    if unit == "day":
        return day + timedelta(days=n)
    if unit == "week":
        return day + timedelta(weeks=n)
    return _add_months(day, n * {"month": 1, "quarter": 3, "year": 12}[unit])


def _month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def _calendar(today: date, unit: Unit, offset: int) -> tuple[date, date]:
    """The calendar week/month/quarter/year holding today, moved by `offset` units."""
    if unit == "week":
        start = today - timedelta(days=today.weekday()) + timedelta(weeks=offset)
        return start, start + timedelta(days=6)
    if unit == "month":
        first = _add_months(today.replace(day=1), offset)
        return _month_span(first.year, first.month)
    if unit == "quarter":
        first = _add_months(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), 3 * offset)
        return first, _month_span(first.year, first.month + 2)[1]
    return date(today.year + offset, 1, 1), date(today.year + offset, 12, 31)


def _latest_month(today: date, month: int) -> int:
    """The year of the latest `month` begun by today."""
    return today.year if month <= today.month else today.year - 1


@dataclass
class _Atom:
    start: int
    end: int
    first: date
    last: date
    surface: str
    is_date: bool = False  # a single stated day (goes to `dates` unless its year was assumed)
    year_assumed: bool = False
    future: bool = False


@dataclass
class _Temporal:
    atoms: list[_Atom] = field(default_factory=list)
    periods: list[Period] = field(default_factory=list)
    dates: list[date] = field(default_factory=list)
    durations: list[Duration] = field(default_factory=list)
    numbers: list[tuple[int, float]] = field(default_factory=list)  # (position, N of "last N days")
    ambiguous: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.spans)

    def add(self, atom: _Atom) -> bool:
        if not self.free(atom.start, atom.end):
            return False
        self.atoms.append(atom)
        self.spans.append((atom.start, atom.end))
        return True


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


# (keywords, pattern with {K} where they go, kind). Patterns that begin with a number scan slowly over long tool
# results, so each runs only where its keywords occur at all.
_PAST_AFTER = "pasad[oa]s|anteriores|derniers|dernières|passés|passées|écoulés|écoulées"
_FUTURE_AFTER = "ahead|from now|siguientes|que vienen|seguintes|à venir|prochains|prochaines|suivants|suivantes"
_RELATIVE: list[tuple[str, str, str]] = [
    ("last|past|previous|prior|recent|trailing", rf"{_LB}(?:{{K}})\s+{_N}[\s-]*{_U}", "past"),
    (
        "[úu]ltim[oa]s|pasad[oa]s|letzten|vergangenen|zurückliegenden|letzte|vergangene|vorigen",
        rf"{_LB}(?:{{K}})\s+{_N}\s*{_U}",
        "past",
    ),
    (_PAST_AFTER, rf"{_N}\s*{_U}\s+(?:{{K}}){_LA}", "past"),
    ("derniers|dernières", rf"{_N}\s+(?:{{K}})\s+{_U}", "past"),
    ("derniers|dernières", rf"{_LB}(?:{{K}})\s+{_N}\s*{_U}", "past"),
    ("最近|过去|近", rf"(?:{{K}})\s*{_N}\s*{_U}", "past"),
    (
        "next|coming|following|upcoming|pr[óo]xim[oa]s|siguientes|seguintes|nächsten|kommenden|folgenden|prochaine?s",
        rf"{_LB}(?:{{K}})\s+{_N}[\s-]*{_U}",
        "future",
    ),
    (_FUTURE_AFTER, rf"{_N}\s*{_U}\s+(?:{{K}}){_LA}", "future"),
    ("prochains|prochaines", rf"{_N}\s+(?:{{K}})\s+{_U}", "future"),
    ("未来|接下来|今后|之后|下", rf"(?:{{K}})\s*{_N}\s*{_U}", "future"),
    ("ago", rf"{_N}\s*{_U}\s+(?:{{K}}){_LA}", "ago"),
    ("hace|vor|il y a|há", rf"{_LB}(?:{{K}})\s+{_N}\s*{_U}", "ago"),
    ("前", rf"{_N}\s*{_U}(?:{{K}})", "ago"),
]
_RELATIVE_RES = [
    (re.compile(keywords, re.IGNORECASE), re.compile(pattern.replace("{K}", keywords), re.IGNORECASE), kind)
    for keywords, pattern, kind in _RELATIVE
]

_CAL_UNIT: dict[str, Unit] = {
    **dict.fromkeys(_ws("week semana woche semaine vorwoche"), "week"),
    **dict.fromkeys(_ws("month mes mês monat mois vormonat mtd"), "month"),
    **dict.fromkeys(_ws("quarter trimestre quartal vorquartal qtd"), "quarter"),
    **dict.fromkeys(_ws("year año ano jahr année an vorjahr ytd"), "year"),
}
_CU = r"(?P<u>week|month|quarter|year|semana|mes|mês|trimestre|año|ano|woche|monat|quartal|jahr|semaine|mois|année|an)"
_CALENDAR_RES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), kind)
    for p, kind in (
        (rf"{_LB}(?:last|previous|prior)\s+{_CU}{_LA}", "prev"),
        (rf"{_LB}(?:the\s+)?past\s+{_CU}{_LA}", "rolling"),
        (rf"{_LB}(?:this|current|the current)\s+{_CU}{_LA}", "this"),
        (rf"{_LB}{_CU}\s+to\s+date{_LA}|{_LB}(?P<u2>ytd|mtd|qtd){_LA}", "this"),
        (rf"{_LB}(?:next|coming|following|upcoming)\s+{_CU}{_LA}", "next"),
        (rf"{_LB}{_CU}\s+(?:pasad[oa]|passad[oa]|anterior|dernière|dernier|passée|passé|précédente?){_LA}", "prev"),
        (rf"{_LB}(?:[úu]ltim[oa]|letzte[nrms]?|vorige[nrms]?|vergangene[nrms]?|derni[eè]re?)\s+{_CU}{_LA}", "prev"),
        (rf"{_LB}(?P<u2>vorwoche|vormonat|vorquartal|vorjahr){_LA}", "prev"),
        (rf"{_LB}(?:este|esta|neste|nesta|diese[nrms]?|laufende[nrms]?|ce|cette|cet)\s+{_CU}(?:-ci)?{_LA}", "this"),
        (rf"{_LB}en lo que va (?:de|del)\s+{_CU}{_LA}|{_LB}seit (?P<u2>jahr)esbeginn", "this"),
        (rf"{_LB}(?:pr[óo]xim[oa]|nächste[nrms]?|kommende[nrms]?|prochaine?)\s+{_CU}{_LA}", "next"),
        (rf"{_LB}{_CU}\s+(?:que viene|que vem|siguiente|prochaine?){_LA}", "next"),
    )
]
_ZH_CALENDAR: dict[str, tuple[str, Unit]] = {
    **{w: ("prev", "week") for w in ("上周", "上个星期", "上星期")},
    **{w: ("this", "week") for w in ("本周", "这周", "这个星期")},
    **{w: ("next", "week") for w in ("下周", "下个星期")},
    **{w: ("prev", "month") for w in ("上个月", "上月")},
    **{w: ("this", "month") for w in ("本月", "这个月", "当月")},
    **{w: ("next", "month") for w in ("下个月", "下月")},
    **{w: ("prev", "quarter") for w in ("上季度", "上个季度", "上一季度")},
    **{w: ("this", "quarter") for w in ("本季度", "这个季度", "这季度")},
    **{w: ("next", "quarter") for w in ("下季度", "下个季度", "下一季度")},
    **{w: ("prev", "year") for w in ("去年", "上一年")},
    **{w: ("this", "year") for w in ("今年以来", "年初至今", "今年", "本年")},
    **{w: ("next", "year") for w in ("明年", "下一年")},
}
_ZH_CALENDAR_RE = re.compile("|".join(sorted(_ZH_CALENDAR, key=len, reverse=True)))
_DAY_WORDS: dict[str, int] = {"today": 0, "hoy": 0, "heute": 0, "aujourd'hui": 0, "hoje": 0, "今天": 0,
                              "yesterday": -1, "ayer": -1, "gestern": -1, "ontem": -1, "昨天": -1}  # fmt: skip
_DAY_WORDS_RE = re.compile(
    rf"{_LB}(?:today|hoy|heute|aujourd'hui|hoje|yesterday|ayer|gestern|ontem){_LA}|今天|昨天", re.IGNORECASE
)

_QUARTER_ORDINALS = {
    **dict.fromkeys(_ws("first 1st primer primero premier ersten erste primeiro 一"), 1),
    **dict.fromkeys(_ws("second 2nd segundo deuxième zweiten zweite 二"), 2),
    **dict.fromkeys(_ws("third 3rd tercer tercero troisième dritten dritte terceiro 三"), 3),
    **dict.fromkeys(_ws("fourth 4th cuarto quatrième vierten vierte quarto 四"), 4),
}
_Y = r"(?P<y>(?:19|20)\d{2})(?!\d)"
_QUARTER_RES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"{_LB}Q(?P<q>[1-4])\s*[/-]?\s*{_Y}",
        rf"(?<!\d){_Y}\s*[/-]?\s*Q(?P<q>[1-4]){_LA}",
        rf"{_LB}(?P<o>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\s+(?:of\s+)?{_Y}",
        rf"{_LB}(?P<o>primer|segundo|tercer|cuarto|premier|deuxième|troisième|quatrième|primeiro|terceiro|quarto"
        rf"|ersten|zweiten|dritten|vierten|erste|zweite|dritte|vierte)\s+(?:trimestre|quartal)\s+(?:de\s+|del\s+)?{_Y}",
        rf"(?<!\d)(?P<q>[1-4])(?:\.|er|e|ème|º|°|o)?\s*(?:trimestre|quartal)\s+(?:de\s+|del\s+)?{_Y}",
        rf"(?<!\d){_Y}\s*年\s*(?:第\s*)?(?:(?P<q2>[1-4])|(?P<o2>[一二三四]))\s*季度",
        rf"{_LB}Q(?P<qa>[1-4]){_LA}",  # no year: the latest such quarter
    )
]


_ANCHORED_RE = re.compile(r"\s+(?:of|in|de|del|von|im|en|em|du|do|da)\s+(?:\d{4}|[^\W\d]+\s+\d{4})", re.IGNORECASE)
_FIRST_N_RE = re.compile(rf"{_LB}(?:first|primer[oa]?s?|ersten|premi[eè]re?s|primeir[oa]s)\s+{_N}\s*{_U}", re.I)


def _span(today: date, unit: Unit, k: int, kind: str) -> tuple[date, date]:
    """The days of "the last k units" (ending today, counting today), "the next k units" (from tomorrow) or the one
    day "k units ago"."""
    if kind == "past":
        return _shift(today, unit, -k) + timedelta(days=1), today
    if kind == "future":
        return today + timedelta(days=1), _shift(today, unit, k)
    day = _shift(today, unit, -k)
    return day, day


def _relative(text: str, today: date, out: _Temporal) -> None:
    """ "last 90 days", "next 3 months", "2 weeks ago" and their translations."""
    for anchor, regex, kind in _RELATIVE_RES:
        if not anchor.search(text):
            continue
        for m in regex.finditer(text):
            if not out.free(m.start(), m.end()):
                continue
            n, unit = _word_value(m["n"]), _UNIT_WORDS.get(m["u"].lower())
            if n is None or unit is None or (unit == "year" and m["u"] == "年" and n >= 100):
                continue
            out.durations.append(Duration(value=n, unit=unit, surface=m[0]))
            out.numbers.append((m.start("n"), n))
            # "the last 3 months of 2011" counts back from the end of 2011, not from today: not guessed.
            anchored = _ANCHORED_RE.match(text, m.end())
            if anchored or not n.is_integer() or not 0 < n <= 3660:
                out.ambiguous.append(m[0])
                out.spans.append((m.start(), m.end()))
                continue
            first, last = _span(today, unit, int(n), kind)
            out.add(_Atom(m.start(), m.end(), first, last, m[0], is_date=kind == "ago", future=kind == "future"))
    for m in _FIRST_N_RE.finditer(text):  # "the first 3 months": of which year?
        if out.free(m.start(), m.end()):
            out.ambiguous.append(m[0])


_HALF_YEAR = r"(?:half[\s-]?(?:a[\s-])?year|semestre|halbjahr(?:es)?|半年)"
_HALF_YEAR_RES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"{_LB}(?:the\s+)?(?:{k})\s*{_HALF_YEAR}{_LA}", re.IGNORECASE), kind)
    for k, kind in (
        (
            r"next|coming|following|upcoming|pr[óo]xim[oa]|siguiente|seguinte|nächsten?|kommenden?|prochain|未来|接下来|下",
            "future",
        ),
        (r"last|past|previous|prior|[úu]ltimo|pasado|letzten?|vergangenen?|dernier|过去|最近|上", "past"),
    )
]


def _half_years(text: str, today: date, out: _Temporal) -> None:
    """ "the next half year", "próximo semestre", "未来半年": six months, counted like "the next 6 months"."""
    for regex, kind in _HALF_YEAR_RES:
        for m in regex.finditer(text):
            if not out.free(m.start(), m.end()):
                continue
            out.durations.append(Duration(value=6, unit="month", surface=m[0]))
            first, last = _span(today, "month", 6, kind)
            out.add(_Atom(m.start(), m.end(), first, last, m[0], future=kind == "future"))


def _calendar_words(text: str, today: date, out: _Temporal) -> None:
    """ "last month", "this year", "next quarter", "上个月", "today" ..."""
    for regex, kind in _CALENDAR_RES:
        for m in regex.finditer(text):
            word = (m.groupdict().get("u") or m.groupdict().get("u2") or "").lower()
            unit = _CAL_UNIT.get(word)
            if unit is not None:
                _add_calendar(out, m.start(), m.end(), m[0], today, kind, unit)
    for m in _ZH_CALENDAR_RE.finditer(text):
        kind, unit = _ZH_CALENDAR[m[0]]
        _add_calendar(out, m.start(), m.end(), m[0], today, kind, unit)
    for m in _DAY_WORDS_RE.finditer(text):
        day = today + timedelta(days=_DAY_WORDS[m[0].lower()])
        out.add(_Atom(m.start(), m.end(), day, day, m[0]))


def _add_calendar(out: _Temporal, start: int, end: int, surface: str, today: date, kind: str, unit: Unit) -> None:
    if kind == "rolling":
        first, last = _shift(today, unit, -1) + timedelta(days=1), today
    else:
        first, last = _calendar(today, unit, {"prev": -1, "this": 0, "next": 1}[kind])
        last = today if kind == "this" else last
    out.add(_Atom(start, end, first, last, surface, future=kind == "next"))


def _numeric_dates(text: str, today: date, out: _Temporal) -> None:
    """ISO and numeric dates, year-months, Chinese 2011年11月30日."""
    for m in re.finditer(r"(?<![\d/.-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/.-])", text):
        day = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        if day:
            out.add(_Atom(m.start(), m.end(), day, day, m[0], is_date=True))
    for m in re.finditer(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\d/.-])", text):
        a, b, y = int(m[1]), int(m[3]), int(m[4])
        if m[2] == "." or a > 12:  # dotted dates are day-first; a first part above 12 can only be a day
            day = _safe_date(y, b, a)
        elif b > 12 or a == b:
            day = _safe_date(y, a, b)
        else:  # 03/04/2011: 3 April or 4 March?
            out.ambiguous.append(m[0])
            out.spans.append((m.start(), m.end()))
            continue
        if day:
            out.add(_Atom(m.start(), m.end(), day, day, m[0], is_date=True))
    zh_year = r"(?P<y>\d{4}|[〇零一二三四五六七八九]{4})\s*年"
    zh_day = r"\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
    zh_md = rf"\s*(?P<m>\d{{1,2}}|十[一二]?|[一二三四五六七八九])\s*月(?:份)?(?:\s*(?P<d>{zh_day})\s*[日号])?"
    for m in re.finditer(rf"(?:{zh_year})?{zh_md}", text):
        if m.start() > 0 and text[m.start() - 1] == "个":
            continue
        month = int(_word_value(m["m"]) or 0)
        year = int(_word_value(m["y"]) or 0) if m["y"] else _latest_month(today, month) if 1 <= month <= 12 else 0
        _add_month_or_day(out, m, today, year, month, _word_value(m["d"]) if m["d"] else None, not m["y"])
    for m in re.finditer(rf"(?<!\d){zh_year}(?!\s*(?:\d|[一二三四五六七八九十]+\s*月))", text):
        y = int(_word_value(m["y"]) or 0)
        if 1900 <= y <= 2100:
            out.add(_Atom(m.start(), m.end(), date(y, 1, 1), date(y, 12, 31), m[0]))
    for m in re.finditer(r"(?<![\d-])(\d{4})-(\d{2})(?![-\d])|(?<![\d/])(\d{1,2})/(\d{4})(?![\d/])", text):
        y, mo = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
        if 1 <= mo <= 12 and 1900 <= y <= 2100:
            first, last = _month_span(y, mo)
            out.add(_Atom(m.start(), m.end(), first, last, m[0]))


def _add_month_or_day(
    out: _Temporal, m: re.Match[str], today: date, year: int, month: int, day: float | None, assumed: bool
) -> None:
    if not (1 <= month <= 12 and 1900 <= year <= 2100):
        return
    if day is None:
        first, last = _month_span(year, month)
        added = out.add(_Atom(m.start(), m.end(), first, last, m[0], year_assumed=assumed))
    else:
        single = _safe_date(year, month, int(day))
        if single and assumed and single > today:
            single = _safe_date(year - 1, month, int(day))
        added = bool(single) and out.add(
            _Atom(m.start(), m.end(), single or today, single or today, m[0], is_date=True, year_assumed=assumed)
        )
    if added and assumed:
        out.ambiguous.append(m[0])


@cache
def _month_patterns() -> tuple[tuple[re.Pattern[str], bool], ...]:
    names, _ = _month_names()
    mn = "(?P<m>" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\.?"
    day = r"(?P<d>\d{1,2})(?:st|nd|rd|th|\.|º|°|er)?"
    patterns = (  # (pattern, states a year)
        (rf"{_LB}{day}\s+(?:de\s+|of\s+)?{mn}{_LA},?\s+(?:de\s+|del\s+)?{_Y}", True),
        (rf"{_LB}{mn}{_LA}\s+{day},?\s+{_Y}", True),
        (rf"{_LB}{mn}{_LA},?\s*(?:de\s+|del\s+|of\s+)?{_Y}", True),
        (rf"(?<!\d){day}\s+(?:de\s+|of\s+)?{mn}{_LA}", False),
        (rf"{_LB}{mn}{_LA}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?![\d{_L}])", False),
        (rf"{_LB}{mn}{_LA}", False),
    )
    return tuple((re.compile(p, re.IGNORECASE), with_year) for p, with_year in patterns)


def _named_months(text: str, today: date, out: _Temporal) -> None:
    """ "30 November 2011", "Nov 2011", "noviembre de 2011", "im November" (Babel's month names)."""
    names, abbreviations = _month_names()
    for regex, with_year in _month_patterns():
        for m in regex.finditer(text):
            word = m["m"].lower()
            # Without a year, an abbreviation ("mar", "set") is too likely a word; a risky name needs "in May".
            if not with_year and (
                word in abbreviations
                or (word in _RISKY_MONTHS and not _MONTH_PREP_RE.search(text[max(0, m.start() - 12) : m.start()]))
            ):
                continue
            month = names[word]
            year = int(m["y"]) if with_year else _latest_month(today, month)
            d = float(m["d"]) if m.groupdict().get("d") else None
            _add_month_or_day(out, m, today, year, month, d, not with_year)


def _quarters(text: str, today: date, out: _Temporal) -> None:
    for regex in _QUARTER_RES:
        for m in regex.finditer(text):
            groups = {k: v for k, v in m.groupdict().items() if v}
            if "qa" in groups:
                q = int(groups["qa"])
                year = today.year if date(today.year, 3 * q - 2, 1) <= today else today.year - 1
            else:
                year = int(groups["y"])
                q = int(
                    groups.get("q") or groups.get("q2") or _QUARTER_ORDINALS[(groups.get("o") or groups["o2"]).lower()]
                )
            first = date(year, 3 * q - 2, 1)
            if out.free(m.start(), m.end()):
                out.add(
                    _Atom(m.start(), m.end(), first, _month_span(year, 3 * q)[1], m[0], year_assumed="qa" in groups)
                )
                if "qa" in groups:
                    out.ambiguous.append(m[0])


def _bare_years(text: str, out: _Temporal) -> None:
    """A 19xx/20xx number is a year unless its neighbours make it a count or an amount ("2000 orders")."""
    for m in re.finditer(rf"(?<![0-9{_L}_.,£€$¥#]){_Y}(?![0-9{_L}%]|[.,]\d|\s?[€£$¥元])", text):
        if not out.free(m.start(), m.end()):
            continue
        before, after = text[max(0, m.start() - 30) : m.start()], text[m.end() : m.end() + 25]
        if not _YEAR_PREP_RE.search(before):
            near_after = re.match(rf"^\s*(?:[{_L}]+\s+)?[{_L}\u4e00-\u9fff]+", after)
            if (
                any(regex.search(before) for regex in (*_BEFORE_RES.values(), _TOP_BEFORE_RE))
                or (near_after and any(r.search(near_after[0]) for r in _QUANTITY_RES.values()))
                or re.search(_LB + r"(?:spent|spend|spending|revenue|gastado|ausgegeben|dépensé)\s*$", before, re.I)
                or re.match(r"^\s*(?:and|to|-|–|y|und|et|e|到|和)\s*(?!(?:19|20)\d\d)\d", after)
                or re.match(rf"^\s*(?:{_MULT}|{_PCT})(?![{_L}])", after, re.I)
            ):
                continue
        y = int(m["y"])
        out.add(_Atom(m.start(), m.end(), date(y, 1, 1), date(y, 12, 31), m[0]))


_SINCE_RE = re.compile(
    _LB + r"(?:since|from|starting(?:\s+(?:on|from|in))?|beginning(?:\s+(?:on|in))?|desde(?:\s+(?:el|la))?"
    r"|a\s+partir\s+(?:del?|de\s+la)|seit(?:\s+(?:dem|der))?|ab(?:\s+(?:dem|der))?|depuis(?:\s+(?:le|la|l'))?"
    r"|à\s+partir\s+(?:du|de\s+la|de))\s*(?:the\s+)?$|(?:从|自从|自)\s*$",
    re.IGNORECASE,
)
_AFTER_WORD_RE = re.compile(_LB + r"(?:after|después\s+del?|nach(?:\s+dem)?|après(?:\s+le)?|após)\s*(?:the\s+)?$", re.I)
_RANGE_PREFIX_RE = re.compile(_LB + r"(?:from|between|desde|entre|del?|von|vom|zwischen|du|从|在|自|介于)\s*$", re.I)
_RANGE_STRONG_RE = re.compile(
    r"^\s*(?:to|until|till|through|thru|-|–|—|hasta(?:\s+el)?|bis(?:\s+zum)?|au|jusqu'au|jusqu'à|até|al|到|至)"
    r"\s*(?:the\s+|el\s+|le\s+|o\s+)?$",
    re.IGNORECASE,
)
_RANGE_WEAK_RE = re.compile(r"^\s*(?:and|y|und|et|e|a|和|与)\s*(?:the\s+|el\s+|le\s+|o\s+)?$", re.IGNORECASE)


def _combine(text: str, today: date, out: _Temporal) -> None:
    """Turn atoms into periods and dates: "from A to B", "since A", "after A", or each atom alone."""
    atoms = sorted(out.atoms, key=lambda a: a.start)
    i = 0
    while i < len(atoms):
        a = atoms[i]
        before = text[max(0, a.start - 25) : a.start]
        nxt = atoms[i + 1] if i + 1 < len(atoms) else None
        if a.is_date and not a.year_assumed:
            out.dates.append(a.first)
        if nxt is not None:
            gap = text[a.end : nxt.start]
            prefix = _RANGE_PREFIX_RE.search(before)
            weak = _RANGE_WEAK_RE.match(gap) and _BETWEEN_RE.search(before) and not re.search("from", before, re.I)
            if _RANGE_STRONG_RE.match(gap) or weak:
                moved = _safe_date(nxt.first.year, a.first.month, a.first.day)
                if a.year_assumed and not nxt.year_assumed and moved and moved <= nxt.first:
                    # "September to November 2011": the range's one year holds both ends.
                    a.first, a.year_assumed = moved, False
                    out.ambiguous = [x for x in out.ambiguous if x != a.surface]
                if nxt.is_date and not nxt.year_assumed:
                    out.dates.append(nxt.first)
                start = prefix.start() + max(0, a.start - 25) if prefix else a.start
                out.periods.append(_period(text[start : nxt.end], a.first, nxt.last, today, a, nxt))
                i += 2
                continue
        after = text[a.end : a.end + 4]
        since, later = _SINCE_RE.search(before), _AFTER_WORD_RE.search(before)
        word = since or later
        surface = text[a.start - len(word[0]) : a.end] if word else a.surface
        if since or re.match(r"^\s*(?:以来|至今|起|开始)", after):
            out.periods.append(_period(surface, a.first, today, today, a))
        elif later or re.match(r"^\s*(?:以后|之后)", after):
            out.periods.append(_period(surface, a.last + timedelta(days=1), today, today, a))
        elif not a.is_date or a.year_assumed:
            out.periods.append(_period(a.surface, a.first, a.last, today, a))
        i += 1


def _period(surface: str, first: date, last: date, today: date, *atoms: _Atom) -> Period:
    return Period(
        start=first,
        end=max(first, last),
        surface=surface.strip(),
        future=first > today,
        year_assumed=any(a.year_assumed for a in atoms),
    )


def _temporal(text: str, today: date) -> _Temporal:
    out = _Temporal()
    _quarters(text, today, out)  # first: "2011年第三季度" is a quarter, not the year 2011
    _numeric_dates(text, today, out)
    _named_months(text, today, out)
    _relative(text, today, out)
    _half_years(text, today, out)
    _calendar_words(text, today, out)
    _bare_years(text, out)
    _combine(text, today, out)
    return out


def _durations(masked: str) -> list[Duration]:
    found: list[Duration] = []
    for m in re.finditer(rf"{_N}[\s-]*{_U}", masked, re.IGNORECASE):
        n, unit = _word_value(m["n"]), _UNIT_WORDS.get(m["u"].lower())
        if n is not None and unit is not None and not (m["u"] == "年" and n >= 100):
            found.append(Duration(value=n, unit=unit, surface=m[0].strip()))
    return found


# ---------------------------------------------------------------- ids, bounds, top N


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _ids(text: str, regex: re.Pattern[str], pattern: str) -> tuple[list[str], list[tuple[int, int]]]:
    ids: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in regex.finditer(text):
        for part in re.finditer(pattern, m["ids"]):
            if re.fullmatch(r"(?:19|20)\d\d", part[0]):
                continue  # "customers 2011" is a year
            ids.append(part[0].upper())
            spans.append((m.start("ids") + part.start(), m.start("ids") + part.end()))
    return ids, spans


# Tokens are sorted and never overlap, so both their starts and their ends are in order.
def _window_after(masked: str, tok: _Tok, toks: list[_Tok]) -> str:
    """The words after a number, up to the next number or punctuation."""
    i = bisect_left(toks, tok.end, key=lambda t: t.start)
    end = min(toks[i].start, tok.end + 28) if i < len(toks) else tok.end + 28
    window = masked[tok.end : end]
    cut = min([window.find(p) for p in _PUNCT if p in window] + [len(window)])
    return window[:cut]


def _window_before(masked: str, start: int, toks: list[_Tok]) -> str:
    """The words before a position, back to the previous number or punctuation."""
    i = bisect_right(toks, start, key=lambda t: t.end)
    begin = max(toks[i - 1].end if i else 0, start - 32, 0)
    window = masked[begin:start]
    cut = max([window.rfind(p) for p in _PUNCT if p in window] + [-1])
    return window[cut + 1 :]


def _quantity(masked: str, tok: _Tok, cmp_start: int, toks: list[_Tok], last: _Tok | None = None) -> Quantity | None:
    """The noun a bound applies to: after the number first, then the currency, then before the comparator."""
    after = _window_after(masked, last or tok, toks)
    before = _window_before(masked, cmp_start, toks)
    if tok.percent:
        probable = any(_QUANTITY_RES["probability"].search(w) for w in (after, before))
        return "probability" if probable else None
    hits = [(m.start(), q) for q, r in _QUANTITY_RES.items() if (m := r.search(after))]
    money = bool(tok.currency or (last and last.currency))
    if hits and not (money and min(hits)[1] in _SUBJECTS):  # "500英镑的客户": customers who spent £500
        return min(hits)[1]
    if money:
        return "spend"
    # Before the comparator, "customers"/"products" are the subject being filtered, not the bounded quantity.
    hits = [(m.end(), q) for q, r in _QUANTITY_RES.items() if q not in _SUBJECTS for m in r.finditer(before)]
    return max(hits)[1] if hits else None


def _bounds(masked: str, text: str, toks: list[_Tok]) -> list[Bound]:
    bounds: list[Bound] = []
    valued = [t for t in toks if t.value is not None]
    for a, b in pairwise(valued):
        gap = masked[a.end : b.start]
        prefix = _BETWEEN_RE.search(_window_before(masked, a.start, toks))
        if a.used or not _RANGE_GAP_RE.match(gap):
            continue
        quantity = _quantity(masked, b, a.start - (len(prefix[0]) if prefix else 0), toks, last=b)
        if not prefix and not (_DASH_GAP_RE.match(gap) and quantity):
            continue  # "5-10" alone may be anything; "5-10 orders" or "between 5 and 10" is a range
        if b.percent and not a.currency:
            a.percent = True  # "between 10 and 20 %"
        start = a.start - len(prefix[0]) if prefix else a.start
        surface = text[start : b.end]
        assert a.value is not None and b.value is not None
        bounds += [
            Bound(quantity=quantity, op="ge", value=a.value, surface=surface),
            Bound(quantity=quantity, op="le", value=b.value, surface=surface),
        ]
        a.used = b.used = True
    for tok in valued:
        if tok.used:
            continue
        before = _window_before(masked, tok.start, toks)
        matches = [(m.start(), op) for op, r in _BEFORE_RES.items() if (m := r.search(before))]
        op: Op | None = None
        cmp_start = tok.start
        if matches:
            first, op = min(matches)  # the earliest start is the longest phrase: "no more than" over "more than"
            cmp_start = tok.start - (len(before) - first)
        surface_end = tok.end
        if not matches:
            after = _window_after(masked, tok, toks)
            hit = next(((o, m) for o, r in _AFTER_RES.items() if (m := r.match(after))), None)
            if hit is None:
                continue
            op, surface_end = hit[0], tok.end + hit[1].end()
        assert tok.value is not None and op is not None
        quantity = _quantity(masked, tok, cmp_start, toks)
        bounds.append(Bound(quantity=quantity, op=op, value=tok.value, surface=text[cmp_start:surface_end].strip()))
        tok.used = True
    return bounds


def _top_n(masked: str, toks: list[_Tok], ambiguous: list[str]) -> int | None:
    found: list[tuple[int, str]] = []
    for tok in toks:
        if tok.used or tok.value is None or tok.percent or tok.currency or not tok.value.is_integer():
            continue
        before = _window_before(masked, tok.start, toks)
        after = masked[tok.end : tok.end + 20]
        if _TOP_BEFORE_RE.search(before) or _TOP_AFTER_RE.match(after):
            if re.match(rf"^\s*{_U}", after, re.IGNORECASE):
                continue  # "the best 3 months" is a period, not a count
            if 1 <= tok.value <= 10_000:
                found.append((int(tok.value), tok.surface))
                tok.used = True
    values = {v for v, _ in found}
    if len(values) > 1:
        ambiguous.append("top " + " / ".join(s for _, s in found))
        return None
    return found[0][0] if found else None


# ---------------------------------------------------------------- entry point


def extract_slots(text: str, today: date, language: str | None = None) -> Slots:
    """Every slot the words state, read conservatively: what reads two ways goes to `ambiguous`.

    `language` (a code from assistant/understand/language.py) settles how "1.200" and "5,000" read."""
    text = text.translate(_FULLWIDTH)
    temporal = _temporal(text, today)
    customer_ids, customer_spans = _ids(text, _CUSTOMER_RE, r"\d{4,7}")
    product_ids, product_spans = _ids(text, _PRODUCT_RE, r"\d{3,6}[A-Za-z]{0,3}")
    for m in _STOCK_CODE_RE.finditer(text):
        if m[0][5:].lower() not in ("k", "m", "st", "nd", "rd", "th") and m[0].upper() not in product_ids:
            product_ids.append(m[0].upper())
            product_spans.append((m.start(), m.end()))
    masked = _mask(text, temporal.spans + customer_spans + product_spans)
    toks = _number_tokens(masked, decimal_comma=language in DECIMAL_COMMA, language=language)
    ambiguous = list(temporal.ambiguous) + [t.surface for t in toks if t.value is None]
    bounds = _bounds(masked, text, toks)
    top_n = _top_n(masked, toks, ambiguous)

    numbers: list[tuple[int, float]] = list(temporal.numbers)
    for tok in toks:
        if tok.value is None:
            continue
        if tok.literal and 10_000 <= tok.value <= 99_999 and not (tok.used or tok.currency or tok.percent):
            after = _window_after(masked, tok, toks)
            if not any(r.search(after) for r in _QUANTITY_RES.values()):
                # A bare five-digit number: a customer id, a stock code, or a count?
                if _BUY_RE.search(_window_before(masked, tok.start, toks)):
                    product_ids.append(tok.surface)
                    continue
                ambiguous.append(tok.surface)
        numbers.append((tok.start, tok.value))

    money = [Money(amount=t.value, currency=t.currency, surface=t.surface) for t in toks if t.currency and t.value]
    money += [
        Money(amount=b.value, surface=b.surface)
        for b in bounds
        if b.quantity == "spend" and not any(m.amount == b.value for m in money)
    ]
    return Slots(
        today=today,
        bounds=bounds,
        top_n=top_n,
        percentages=[t.value for t in toks if t.percent and t.value is not None],
        money=money,
        periods=temporal.periods,
        dates=list(dict.fromkeys(temporal.dates)),
        durations=temporal.durations + _durations(masked),
        customer_ids=list(dict.fromkeys(customer_ids)),
        product_ids=list(dict.fromkeys(product_ids)),
        numbers=list(dict.fromkeys(v for _, v in sorted(numbers))),
        ambiguous=list(dict.fromkeys(ambiguous)),
        wants_file=bool(_FILE_RE.search(text)),
    )


def numbers_in(text: str) -> list[float]:
    """Every number a text states (tool results, an offer), outside dates and ids."""
    return extract_slots(text, date(2000, 1, 1)).numbers

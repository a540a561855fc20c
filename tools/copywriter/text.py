"""Text helpers the offer checks share: fullwidth folding, numbers in digits, words or Chinese, money, scripts."""

from __future__ import annotations

import re

_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xFFE5: 0xA5}

NUM = r"\d+(?:[.,]\d+)*"
CN_NUM = r"[零〇一二两三四五六七八九十百千]+"
CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_COUNT_WORDS = {
    **dict.fromkeys(["one", "a", "an", "uno", "una", "un", "une", "ein", "eins", "eine", "einen", "um", "uma"], 1),
    **dict.fromkeys(["two", "dos", "deux", "zwei", "dois", "duas"], 2),
    **dict.fromkeys(["three", "tres", "três", "trois", "drei"], 3),
    **dict.fromkeys(["four", "cuatro", "quatre", "vier", "quatro"], 4),
    **dict.fromkeys(["five", "cinco", "cinq", "fünf"], 5),
}
COUNT = (
    r"(?:[1-9]|one|two|three|four|five|uno|una|dos|tres|un|une|deux|trois|ein|eins|eine|zwei|drei|um|uma|dois|duas"
    r"|três)"
)
CN_COUNT = r"(?:[1-5]|[一二两三四五])"

CURRENCIES = {
    **dict.fromkeys(["£", "gbp", "pound", "pounds", "libras", "英镑"], "GBP"),
    **dict.fromkeys(["$", "us$", "usd", "dollar", "dollars", "dólares", "美元"], "USD"),
    **dict.fromkeys(["€", "eur", "euro", "euros", "欧元"], "EUR"),
    **dict.fromkeys(["¥", "元", "块", "rmb", "cny"], "CNY"),
    **dict.fromkeys(["r$", "reais"], "BRL"),
}
CUR_PRE = r"(?:R\$|US\$|[£$€¥])"
CUR_POST = r"(?:[€£$¥元块]|英镑|美元|欧元|(?:euros?|eur|gbp|usd|pounds?|dollars?|dólares|reais|rmb)\b)"
MONEY = rf"(?:{CUR_PRE}\s?{NUM}|{NUM}\s?{CUR_POST})"


def fold(text: str) -> str:
    return text.translate(_FOLD)


def to_number(raw: str) -> float | None:
    """'20', '12.50', '12,50', '1,000', '七', '一百', 'two' -> a number."""
    s = raw.strip().lower()
    if s in _COUNT_WORDS:
        return float(_COUNT_WORDS[s])
    if s and all(ch in CN_DIGITS or ch in "十百千" for ch in s):
        total, current = 0, 0
        for ch in s:
            if ch in CN_DIGITS:
                current = CN_DIGITS[ch]
            else:
                total += (current or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
                current = 0
        return float(total + current)
    parts = re.split(r"[.,]", s)
    if not all(p.isdigit() for p in parts):
        return None
    if len(parts) > 1 and len(parts[-1]) <= 2:  # a decimal part: 12.50, 12,50, 1.000,50
        return float("".join(parts[:-1]) + "." + parts[-1])
    return float("".join(parts))  # thousands separators: 1,000 / 1.000


def to_money(raw: str) -> tuple[float | None, str | None]:
    number = re.search(NUM, raw)
    symbol = re.sub(NUM, "", raw).strip().lower()
    return (to_number(number.group(0)) if number else None), CURRENCIES.get(symbol)


def fmt(value: float) -> str:
    return f"{value:g}"


CURRENCY_SIGNS = {"GBP": "£", "USD": "$", "EUR": "€", "CNY": "¥", "BRL": "R$"}


CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
STOPWORDS = {
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "at", "by", "it", "is", "are", "be", "this",
    "that", "you", "your", "our", "we", "from", "as", "all", "so", "its", "more", "just", "off", "any", "every",
}  # fmt: skip

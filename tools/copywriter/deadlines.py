"""Deadlines and dates in any supported language, as canonical marks: 'until Sunday', 'hasta el domingo' and
'周日前' are all {'sun'}; '31 March', '31/03' and '3月31日' are {'date:3-31'}; 'limited time' is {'urgent'}.

Loosely (`strict=False`) any time word counts (what the marketer typed; whether a draft kept it); strictly, only
words that set a deadline (until Sunday, today only, ends midnight, a date) count (what a draft may not invent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tools.copywriter.text import NUM, fmt, fold, to_number

# ---------------------------------------------------------------- deadlines and dates

_TIME_WORDS: dict[str, list[str]] = {
    "mon": ["monday", "lunes", "montag", "lundi", "segunda-feira", "周一", "星期一", "礼拜一"],
    "tue": ["tuesday", "martes", "dienstag", "mardi", "terça-feira", "周二", "星期二", "礼拜二"],
    "wed": ["wednesday", "miércoles", "miercoles", "mittwoch", "mercredi", "quarta-feira", "周三", "星期三", "礼拜三"],
    "thu": ["thursday", "jueves", "donnerstag", "jeudi", "quinta-feira", "周四", "星期四", "礼拜四"],
    "fri": ["friday", "viernes", "freitag", "vendredi", "sexta-feira", "周五", "星期五", "礼拜五"],
    "sat": ["saturday", "sábado", "sabado", "samstag", "samedi", "周六", "星期六", "礼拜六"],
    "sun": ["sunday", "domingo", "sonntag", "dimanche", "周日", "周天", "星期日", "星期天", "礼拜天", "礼拜日"],
    "weekend": ["weekend", "week-end", "fin de semana", "wochenende", "fim de semana", "周末"],
    "today": ["today", "hoy", "heute", "aujourd'hui", "aujourd’hui", "hoje", "今天", "今日", "当天"],
    "tonight": ["tonight", "esta noche", "heute abend", "heute nacht", "ce soir", "esta noite", "今晚"],
    "tomorrow": ["tomorrow", "mañana", "morgen", "demain", "amanhã", "明天", "明日"],
    "midnight": ["midnight", "medianoche", "mitternacht", "minuit", "meia-noite", "午夜", "零点"],
    "week": ["this week", "end of the week", "esta semana", "diese woche", "cette semaine", "本周", "这周"],
    "month": ["this month", "end of the month", "end of month", "month end", "este mes", "fin de mes", "diesen monat",
              "monatsende", "ce mois-ci", "fin du mois", "este mês", "fim do mês", "本月", "月底", "这个月"],
    "xmas": ["christmas", "xmas", "navidad", "weihnachten", "noël", "natal", "圣诞节", "圣诞"],
    "new-year": ["new year", "new year's", "año nuevo", "neujahr", "nouvel an", "ano novo", "元旦", "新年", "春节"],
    "easter": ["easter", "pascua", "ostern", "pâques", "páscoa", "复活节"],
    "black-friday": ["black friday", "黑色星期五", "黑五"],
    "cyber-monday": ["cyber monday"],
}  # fmt: skip
_MONTHS: dict[int, list[str]] = {
    1: ["january", "enero", "januar", "janvier", "janeiro"],
    2: ["february", "febrero", "februar", "février", "fevereiro"],
    3: ["march", "marzo", "märz", "mars", "março"],
    4: ["april", "abril", "avril"],
    5: ["(?-i:May)", "mayo", "mai", "maio"],
    6: ["june", "junio", "juni", "juin", "junho"],
    7: ["july", "julio", "juli", "juillet", "julho"],
    8: ["august", "agosto", "août"],
    9: ["september", "septiembre", "setiembre", "septembre", "setembro"],
    10: ["october", "octubre", "oktober", "octobre", "outubro"],
    11: ["november", "noviembre", "novembre", "novembro"],
    12: ["december", "diciembre", "dezember", "décembre", "dezembro"],
}
_URGENCY = (
    r"limited[- ]time|last\s+chance|ends\s+soon|while\s+stocks?\s+lasts?|限时|最后机会|por\s+tiempo\s+limitado"
    r"|última\s+oportunidad"
    r"|nur\s+für\s+kurze\s+zeit|letzte\s+chance|pour\s+une\s+durée\s+limitée|dernière\s+chance|por\s+tempo\s+limitado"
    r"|última\s+chance|hasta\s+agotar\s+existencias|solange\s+der\s+vorrat\s+reicht|dans\s+la\s+limite\s+des\s+stocks"
)
_WORD_MARK = {w.lower(): mark for mark, words in _TIME_WORDS.items() for w in words}
_MONTH_WORD = r"(?:" + "|".join(w for ws in _MONTHS.values() for w in ws) + r")"


def _alternation(words: Iterable[str]) -> str:
    parts = []
    for w in sorted(words, key=len, reverse=True):
        escaped = re.escape(w).replace(r"\ ", r"\s+").replace("'", "['’]")
        parts.append(escaped if not w[0].isascii() else rf"\b{escaped}\b")
    return "(?:" + "|".join(parts) + ")"


_DET = r"(?:(?:this|next|the|el|la|le|o|a|am|zum|este|esta|ce|cette|diese[nms]?|neste|nesta|本|这个?|下)\s*)?"
_DATE = (
    rf"(?P<d1>\d{{1,2}})(?:st|nd|rd|th|er|º|\.)?\s+(?:de\s+|of\s+)?(?P<mon1>{_MONTH_WORD})\b"
    rf"|\b(?P<mon2>{_MONTH_WORD})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b"
    r"|(?<![\d/.,])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/\d{2,4})?(?![\d/])"
    r"|(?<![\d/.,])(?P<c>\d{1,2})\.(?P<e>\d{1,2})\.(?:\d{2,4})?(?![\d])"
    rf"|(?P<cm>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月\s*(?P<cd>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*[日号]"
)
_DURATION = rf"(?P<n>{NUM})\s?(?P<u>hours?|hrs?|h\b|小时|个小时|horas?|stunden|heures?|days?|天|d[íi]as|tage[n]?|jours)"
_TIME = rf"(?:{_DET}(?P<w>{_alternation(_WORD_MARK)})|(?P<date>{_DATE})|(?P<mon>{_MONTH_WORD})\b|(?P<dur>{_DURATION}))"
_LEAD = (
    r"(?:\b(?:until|till|til|'til|ends?|ending|through|thru|by|before|expires?|valid\s+(?:until|till|through)|last\s+day"
    r"|offer\s+ends|hasta(?:\s+el)?|termina(?:\s+el)?|antes\s+del?|v[áa]lido\s+hasta|solo|sólo|bis(?:\s+zum|\s+am)?"
    r"|endet(?:\s+am)?|nur|g[üu]ltig\s+bis|jusqu['’](?:à|au)|se\s+termine|avant|seulement|valable\s+jusqu['’](?:à|au)"
    r"|até(?:\s+[oa])?|só|v[áa]lido\s+até|only|just|for\s+(?:the\s+next|just|only))\s+"
    r"|(?:截至|截止到?|截止至|到|至|仅限|只限|限)\s*)"
)
_POST = r"\s*(?:only\b|solo\b|seulement\b|left\b|to\s+go\b|remaining\b|前|之前|截止|为止|结束|有效)"
_DEADLINE = re.compile(rf"(?P<lead>{_LEAD})?{_TIME}(?P<post>{_POST})?|(?P<urgent>{_URGENCY})", re.I)


def _month_number(word: str) -> int:
    lowered = word.lower()
    for number, words in _MONTHS.items():
        if lowered in (w.lower().replace("(?-i:", "").rstrip(")") for w in words):
            return number
    return 0


def _marks(m: re.Match[str]) -> set[str]:
    g = {k: v for k, v in m.groupdict().items() if v}
    if g.get("urgent"):
        return {"urgent"}
    if g.get("w"):
        word = re.sub(r"\s+", " ", g["w"].lower()).replace("’", "'")
        return {_WORD_MARK.get(word, word)}
    day, month = g.get("d1") or g.get("d2"), g.get("mon1") or g.get("mon2")
    if day and month:
        return {_date_mark(int(day), _month_number(month))}
    if g.get("a"):
        return {_date_mark(int(g["a"]), int(g["b"]))}
    if g.get("c"):
        return {_date_mark(int(g["c"]), int(g["e"]))}
    if g.get("cm"):
        return {_date_mark(int(to_number(g["cd"]) or 0), int(to_number(g["cm"]) or 0))}
    if g.get("mon"):
        return {f"m{_month_number(g['mon'])}"}
    if g.get("n") and g.get("u"):
        unit = "h" if re.match(r"h|小时|个小时|stunden|heure", g["u"], re.I) else "d"
        return {f"{fmt(to_number(g['n']) or 0)}{unit}"}
    return set()


def _date_mark(a: int, b: int) -> str:
    return f"date:{min(a, b)}-{max(a, b)}"


def deadline_marks(text: str, strict: bool = False) -> set[str]:
    """Canonical deadline marks ('sun', 'weekend', 'date:3-31', '48h', 'urgent') in any language.
    strict: only phrases that set a deadline (until Sunday, today only, 31 March), not a passing 'this weekend'."""
    return {mark for _m, marks in deadline_matches(text, strict) for mark in marks}


def sets_deadline(m: re.Match[str], marks: set[str]) -> bool:
    """A phrase that sets a deadline: until Sunday, today only, ends midnight, a date, limited time."""
    return bool(m.group("lead") or m.group("post") or m.group("date") or m.group("urgent")) or "midnight" in marks


def deadline_matches(text: str, strict: bool) -> list[tuple[re.Match[str], set[str]]]:
    """Each time word or deadline phrase with its marks; strict: only those that set a deadline."""
    return [
        (m, marks)
        for m in _DEADLINE.finditer(fold(text))
        if (marks := _marks(m)) and (not strict or sets_deadline(m, marks))
    ]


_ENGLISH_MARKS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
                  "sat": "Saturday", "sun": "Sunday"}  # fmt: skip


def english_deadline(marks: frozenset[str]) -> str | None:
    if len(marks) != 1:
        return None
    (mark,) = marks
    if mark in _ENGLISH_MARKS:
        return f"until {_ENGLISH_MARKS[mark]}"
    return {"weekend": "this weekend", "today": "today only", "tonight": "tonight only", "midnight": "until midnight",
            "week": "this week", "month": "this month"}.get(mark)  # fmt: skip

"""A short version of a tool's rendered result for the LLM to read.

The marketer already sees the full tables the moment a tool finishes; the model only has to explain them.
Every prompt token costs ~15 ms on 2 cores, and a full result (100 customer ids, 5-row tables, 15 quotes)
is ~800 tokens — most of a narration's wait. The brief keeps headline lines whole, the first rows of each
table, the first items of each list, and cuts long comma-separated id lists, always at line boundaries.
"""

from __future__ import annotations

import re

MAX_ROWS = 3
MAX_LIST_ITEMS = 3
MAX_LINE_CHARS = 240
_LONG_LIST = re.compile(r"^(?P<label>[^:]{1,60}:)\s*(?P<items>(?:[^,]+,\s*){8,}[^,]+)$")


def _shorten_line(line: str) -> str:
    match = _LONG_LIST.match(line.strip())
    if match:  # "Customers (first 100): 14646, 18102, …" -> the first few
        items = [i.strip() for i in match.group("items").split(",")]
        return f"{match.group('label')} {', '.join(items[:5])}, … ({len(items)} listed)"
    if len(line) > MAX_LINE_CHARS:
        return line[: MAX_LINE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return line


def brief(markdown: str, max_chars: int = 900) -> str:
    out: list[str] = []
    rows = items = 0
    for raw in markdown.splitlines():
        line = raw.rstrip()
        stripped = line.lstrip()
        if stripped.startswith("|"):
            rows += 1
            if rows == 2 and set(stripped) <= set("|-: "):  # header separator: drop it (tokens, no meaning)
                continue
            if rows > MAX_ROWS + 2:
                continue
        else:
            rows = 0
        if stripped.startswith(("- ", "* ")):
            items += 1
            if items > MAX_LIST_ITEMS:
                continue
        else:
            items = 0
        out.append(_shorten_line(line))
    kept: list[str] = []
    used = 0
    for line in out:
        if used + len(line) + 1 > max_chars:
            kept.append("…")
            break
        kept.append(line)
        used += len(line) + 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()

"""A report as a list of blocks (headings, paragraphs, tables), rendered as Markdown or as an HTML page.

Every text and cell is escaped for its format here, in one place: a segment or theme name can never become
markup. Slack gets the Markdown through assistant/slack/formatting (its own escaping and PII masking).
"""

from __future__ import annotations

import html
from typing import Literal

from pydantic import BaseModel


class Heading(BaseModel):
    kind: Literal["heading"] = "heading"
    text: str
    level: int = 2


class Paragraph(BaseModel):
    kind: Literal["paragraph"] = "paragraph"
    text: str
    note: bool = False  # shown in italics: how a figure was made, what the data cannot say


class TableBlock(BaseModel):
    kind: Literal["table"] = "table"
    columns: list[str]
    rows: list[list[str]]


Block = Heading | Paragraph | TableBlock

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def _md_escape(text: str) -> str:
    """Text shown literally in Markdown: the characters that would start markup are escaped."""
    return text.translate(_MD_SPECIAL)


def _slack_md(text: str) -> str:
    """For Slack's converter (which escapes `&<>` itself): only a table cell's `|` needs escaping."""
    return text.replace("|", "\\|")


def to_markdown(blocks: list[Block], *, for_slack: bool = False) -> str:
    """Markdown of the blocks; `for_slack` leaves the escaping to assistant/slack/formatting (backslashes would
    show there), except for `|` inside table cells."""
    _md = _slack_md if for_slack else _md_escape
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + _md(block.text))
        elif isinstance(block, Paragraph):
            out.append(f"_{_md(block.text)}_" if block.note else _md(block.text))
        else:
            out.append("| " + " | ".join(_md(c) for c in block.columns) + " |")
            out.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(block.columns))) + "|")
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;color:#222}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border-bottom:1px solid #ddd;padding:.3rem .7rem}"
    "td:not(:first-child),th:not(:first-child){text-align:right}.note{color:#666;font-style:italic}"
)


def to_html(blocks: list[Block], title: str) -> str:
    """A self-contained HTML page (no scripts, no outside resources); every text escaped."""
    e = html.escape
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 6)
            body.append(f"<h{level}>{e(block.text)}</h{level}>")
        elif isinstance(block, Paragraph):
            body.append(f'<p class="note">{e(block.text)}</p>' if block.note else f"<p>{e(block.text)}</p>")
        else:
            head = "".join(f"<th>{e(c)}</th>" for c in block.columns)
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title><style>{_STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def money(value: float) -> str:
    return f"{value:,.2f}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def change(now: float | None, before: float | None) -> str:
    """Relative change as '+4.8 %', or 'new' / '—' when there is nothing to compare with."""
    if now is None or before is None:
        return "—"
    if before == 0:
        return "—" if now == 0 else "new"
    return f"{100 * (now - before) / abs(before):+.1f} %"

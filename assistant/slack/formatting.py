"""The agent's markdown as Slack messages: mrkdwn sections, tables as aligned code blocks, copy drafts as their own
blocks labelled DRAFT. Pure functions of their input, so what Slack shows is deterministic and testable.

Slack limits honoured here: 3,000 characters per section, 50 blocks per message (longer answers continue in
further thread replies), and `&`, `<`, `>` escaped everywhere.

Everything shown comes from data or the model (review text, product names, narration), so nothing in it may
become Slack markup: with `<` escaped no `<!channel>`, `<@U…>`, `<#C…>` or disguised `<url|text>` can be
formed, a markdown link is shown as plain text with its address beside it, and text objects are `verbatim` (no
auto-linking of names or mentions). Links are written only by code, through `link()`, from an allow-listed set
of schemes.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from assistant.core.privacy import mask_pii

SECTION_CHARS = 3000
MAX_BLOCKS = 50
FALLBACK_CHARS = 2900
CELL_CHARS = 40
COPY_TOOL = "write_copy"

Block = dict[str, Any]


class SlackMessage(BaseModel):
    """One chat.postMessage / chat.update payload: blocks to show, text for notifications and old clients."""

    text: str
    blocks: list[Block] = Field(default_factory=list)


class CopyStep(BaseModel):
    """A finished write_copy step: its markdown (as it appears in the answer) and its structured result."""

    markdown: str
    result: dict[str, Any]


# ---------------------------------------------------------------- inline markdown -> mrkdwn

_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BROADCAST = re.compile(r"(?<![\w.])@(here|channel|everyone)\b", re.IGNORECASE)
LINK_SCHEMES = frozenset({"https", "http", "mailto"})
_SERVER_PATH = re.compile(r"(?<![\w:/.~-])~?/(?:[\w.@+-]+/)+([\w.@+-]+)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC_STAR = re.compile(r"(?<![*\w])\*(?=[^*\s])([^*\n]+?)(?<=[^*\s])\*(?![*\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_NUMBER = re.compile(r"^[-+]?[£$€]?\d[\d,]*(\.\d+)?\s?%?$")


def escape(text: str) -> str:
    """Slack's three control characters escaped, and bare broadcast words (`@here`) made inert."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Older clients and `link_names` parsing turn a bare "@channel" into a broadcast; a word joiner stops that.
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), text)


def hide_paths(text: str) -> str:
    """Absolute server paths (an export, a model file named in an error) shortened to their last part: the
    people in a Slack channel have no business with the server's layout."""
    return _SERVER_PATH.sub(lambda m: "…/" + m.group(1), text)


class UnsafeLinkError(ValueError):
    """A link code tried to write with a scheme outside LINK_SCHEMES or characters that would break out of it."""


def link(url: str, label: str) -> str:
    """A Slack link written by code (never from data): an allow-listed scheme, and a label shown as text."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in LINK_SCHEMES or re.search(r"[\s<>|]", url):
        raise UnsafeLinkError(f"link: {url!r} is not an allowed {'/'.join(sorted(LINK_SCHEMES))} address")
    return f"<{url.replace('&', '&amp;')}|{escape(label)}>"


def inline_mrkdwn(line: str) -> str:
    """One line of markdown as Slack mrkdwn: bold, italics, strikethrough, headings, bullets.

    A markdown link becomes plain text, "label (address)": its address comes from data or the model, so it is
    shown for what it is instead of being hidden behind a label.
    """
    line = escape(_MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", line))
    heading = _HEADING.match(line)
    if heading:
        line = "**" + heading.group(1).replace("**", "") + "**"
    line = _BULLET.sub(lambda m: m.group(1) + "• ", line)
    line = _ITALIC_STAR.sub(r"_\1_", line)
    line = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", line)
    return _STRIKE.sub(r"~\1~", line)


# ---------------------------------------------------------------- tables -> code blocks


def _cells(line: str) -> list[str]:
    stripped = line.strip()
    if stripped.startswith("|"):
        stripped = stripped[1:]
    if stripped.endswith("|") and not stripped.endswith("\\|"):
        stripped = stripped[:-1]
    cells = [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(stripped)]
    return [c if len(c) <= CELL_CHARS else c[: CELL_CHARS - 1] + "…" for c in cells]


def table_text(lines: list[str]) -> str:
    """A markdown table as monospaced text: columns padded, numeric columns right-aligned."""
    rows = [_cells(line) for line in lines if not _TABLE_SEPARATOR.match(line)]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(width)]
    numeric = [all(_NUMBER.match(r[i]) or not r[i] for r in rows[1:]) and len(rows) > 1 for i in range(width)]
    out = []
    for row in rows:
        cells = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=True)]
        out.append("  ".join(cells).rstrip())
    if len(out) > 1:
        out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


# ---------------------------------------------------------------- markdown -> blocks


def _code_pieces(body: str) -> list[str]:
    """A code block as one or more fenced pieces, each within a section's limit."""
    limit = SECTION_CHARS - 8
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in escape(body).split("\n"):
        line = line[:limit]
        if current and size + len(line) + 1 > limit:
            pieces.append("```\n" + "\n".join(current) + "\n```")
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        pieces.append("```\n" + "\n".join(current) + "\n```")
    return pieces


def _units(markdown: str) -> list[str]:
    """Split markdown into display units: mrkdwn paragraphs and fenced code pieces (tables become code)."""
    units: list[str] = []
    paragraph: list[str] = []
    lines = markdown.split("\n")
    i = 0

    def flush() -> None:
        text = "\n".join(paragraph).strip("\n")
        if text.strip():
            units.append(text)
        paragraph.clear()

    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("```"):
            flush()
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip().startswith("```")), len(lines))
            units.extend(_code_pieces("\n".join(lines[i + 1 : end])))
            i = end + 1
            continue
        if line.strip().startswith("|") and i + 1 < len(lines) and _TABLE_SEPARATOR.match(lines[i + 1]):
            flush()
            end = i + 2
            while end < len(lines) and lines[end].strip().startswith("|"):
                end += 1
            units.extend(_code_pieces(table_text(lines[i:end])))
            i = end
            continue
        if _RULE.match(line):
            flush()
        elif line.strip():
            paragraph.append(inline_mrkdwn(line))
        else:
            paragraph.append("")
        i += 1
    flush()
    return units


def _split_long(text: str) -> list[str]:
    """A paragraph longer than a section, cut at line ends (or hard, for one enormous line)."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > SECTION_CHARS:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:SECTION_CHARS])
            line = line[SECTION_CHARS:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_CHARS:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def mrkdwn(text: str) -> dict[str, Any]:
    """A text object Slack shows as written: `verbatim` turns off its auto-linking of names, channels, mentions."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def markdown_blocks(markdown: str) -> list[Block]:
    """Markdown as section blocks; short neighbouring units share a section, code stays whole."""
    blocks: list[Block] = []
    current = ""
    for unit in _units(mask_pii(markdown)):
        for piece in _split_long(unit) if not unit.startswith("```") else [unit]:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= SECTION_CHARS:
                current = candidate
            else:
                blocks.append(section(current))
                current = piece
    if current:
        blocks.append(section(current))
    return blocks


# ---------------------------------------------------------------- copy drafts


def copy_blocks(result: dict[str, Any]) -> list[Block] | None:
    """A write_copy result as a DRAFT heading plus one block per variant; None if the result is not copy."""
    from tools.copywriter import CopyResult

    try:
        copy = CopyResult.model_validate(result)
    except ValidationError:
        return None
    who = f" for {copy.audience}" if copy.audience else ""
    head = f":memo: *DRAFT — {escape(copy.channel)} copy{escape(mask_pii(who))}*"
    if copy.products:
        head += "\nProducts: " + ", ".join(escape(f"{p.name} ({p.product_id})") for p in copy.products)
    if copy.offer:
        head += f"\nOffer: {escape(mask_pii(copy.offer))}"
    blocks: list[Block] = [section(head)]
    for number, variant in enumerate(copy.variants, start=1):
        lines = [f"*Variant {number} — DRAFT*"]
        for label in ("subject", "preheader", "headline"):
            value = getattr(variant, label)
            if value:
                lines.append(f"*{label.capitalize()}:* {escape(mask_pii(value))}")
        lines.append("")
        lines.append(escape(mask_pii(variant.body)))
        if variant.cta:
            lines.append(f"\n*Button:* {escape(mask_pii(variant.cta))}")
        blocks.append({"type": "divider"})
        blocks.extend(section(piece) for piece in _split_long("\n".join(lines)))
        note = "Draft — review before sending."
        if variant.qa_issues:
            note += " QA: " + "; ".join(escape(mask_pii(issue)) for issue in variant.qa_issues)
        blocks.append(context(note))
    return blocks


# ---------------------------------------------------------------- whole answers


def answer_messages(
    answer: str, copy_steps: list[CopyStep] | None = None, footer: str | None = None
) -> list[SlackMessage]:
    """The agent's final answer as one or more Slack messages (more only past 50 blocks).

    Copy drafts found in the answer are rendered from their structured result, each variant its own block;
    the rest of the answer (tables, narration) goes through the markdown converter in order.
    """
    answer = hide_paths(mask_pii(answer))
    blocks: list[Block] = []
    remaining = answer
    for step in copy_steps or []:
        head, found, tail = remaining.partition(step.markdown)
        rendered = copy_blocks(step.result) if found and step.markdown else None
        if rendered is None:
            continue
        blocks += markdown_blocks(head)
        blocks += rendered
        remaining = tail
    blocks += markdown_blocks(remaining)
    if not blocks:
        blocks = [section("_(no answer)_")]
    if footer:
        blocks.append(context(escape(footer)))
    text = fallback_text(answer)
    return [SlackMessage(text=text, blocks=blocks[i : i + MAX_BLOCKS]) for i in range(0, len(blocks), MAX_BLOCKS)]


def fallback_text(markdown: str) -> str:
    """Plain mrkdwn for notifications and clients without Block Kit, cut to a safe length."""
    flat = "\n".join(inline_mrkdwn(line) for line in mask_pii(markdown).split("\n")).strip()
    return flat if len(flat) <= FALLBACK_CHARS else flat[: FALLBACK_CHARS - 1].rstrip() + "…"


def notice(text: str) -> SlackMessage:
    """A short message (placeholder, progress, refusal, error) as mrkdwn already written for Slack."""
    text = hide_paths(mask_pii(text))
    return SlackMessage(text=text, blocks=[section(text)])

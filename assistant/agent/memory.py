"""Conversation memory: a LangGraph checkpointer per workspace, and history trimmed by a token budget."""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.messages import AnyMessage


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def history_text(messages: list[AnyMessage], budget: int) -> str:
    """The most recent turns that fit in `budget` tokens, oldest first ("Marketer:" / "Assistant:")."""
    lines: list[str] = []
    used = 0
    for message in reversed(messages):
        if message.type == "human":
            line = f"Marketer: {message.content}"
        else:
            tools_used: list[str] = list(message.additional_kwargs.get("tools_used") or [])
            text = _first_lines(str(message.content))
            line = (f"(tools used: {'; '.join(tools_used)})\n" if tools_used else "") + f"Assistant: {text}"
        cost = count_tokens(line)
        if used + cost > budget:
            if not lines and budget > 50:  # keep at least the tail of the latest message
                lines.append(line[-budget * 3 :])
            break
        lines.append(line)
        used += cost
    return "\n".join(reversed(lines))


def _first_lines(text: str, limit: int = 400) -> str:
    """An earlier answer without its tables: enough to resolve "it", "them", "that segment"."""
    prose = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("|")]
    joined = " ".join(prose)
    return joined if len(joined) <= limit else joined[:limit] + "…"


def sqlite_checkpointer(path: Path) -> Any:
    """A SQLite checkpointer in the workspace, so conversations survive a restart."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver

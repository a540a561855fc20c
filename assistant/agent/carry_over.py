"""Carry-over: fill a tool's missing arguments from the turn's earlier steps (hooks: `tools.base.Tool.carry_over`)."""

from __future__ import annotations

from typing import Any

from assistant.agent.state import StepRecord
from tools.base import PriorStep, Tool


def carry_over(tool: Tool[Any], args: dict[str, Any], steps: list[StepRecord]) -> dict[str, Any]:
    """Fill the tool's missing arguments from earlier successful steps of the same request (tools/base.py)."""
    previous = [PriorStep(tool=s["tool"], args=s["args"], result=s.get("result") or {}) for s in steps if s["ok"]]
    return tool.carry_over(args, previous) if tool.carry_over and previous else args

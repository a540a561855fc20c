"""The one list of tool families. Each family is a module or package under tools/ exporting `TOOLS: list[Tool]`
and, if it builds something at ingest, `build_step(ctx: BuildContext) -> dict` (a JSON-able summary for the
build's manifest). The agent's registry and the ingest pipeline both read this list.

The order is the order tools are listed to the routing model; build steps run in it too, except that a step runs
after the steps it is declared to need.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from assistant.core.workspace import BuildContext
from tools.base import Tool

BuildStep = Callable[[BuildContext], dict[str, Any]]


@dataclass(frozen=True)
class Family:
    module: str
    build: str | None = None  # the name of its ingest build step (`mka ingest --skip NAME`), if it has one
    build_after: tuple[str, ...] = ()  # build steps whose tables this one reads


FAMILIES: tuple[Family, ...] = (
    Family("tools.segments", build="segments"),
    Family("tools.recommend", build="recommender"),
    Family("tools.sentiment", build="sentiment"),
    Family("tools.search", build="index", build_after=("sentiment",)),  # review metadata carries the sentiment label
    Family("tools.predict", build="predict", build_after=("segments",)),  # reuses the stored RFM table
    Family("tools.copywriter"),
    Family("tools.analysis"),  # experiments, budget allocation, cohorts: nothing built at ingest
    Family("tools.metrics"),
)


def _module(family: Family) -> ModuleType:
    return importlib.import_module(family.module)


def load_tools(families: tuple[Family, ...] = FAMILIES) -> dict[str, Tool[Any]]:
    """Every family's tools by name, in family order."""
    tools: dict[str, Tool[Any]] = {}
    for family in families:
        for tool in _module(family).TOOLS:
            if tool.name in tools:
                raise ValueError(f"tool {tool.name!r} is registered twice")
            tools[tool.name] = tool
    return tools


def build_order(families: tuple[Family, ...] = FAMILIES) -> list[Family]:
    """Families that build something, each after the steps it needs (otherwise in list order)."""
    pending = [f for f in families if f.build]
    names = {f.build for f in pending}
    done: list[Family] = []
    built: set[str] = set()
    while pending:
        ready = next((f for f in pending if all(n in built or n not in names for n in f.build_after)), None)
        if ready is None:
            raise ValueError(f"build steps need each other: {[f.build for f in pending]}")
        assert ready.build is not None
        done.append(ready)
        built.add(ready.build)
        pending.remove(ready)
    return done


def build_steps(families: tuple[Family, ...] = FAMILIES) -> list[tuple[str, BuildStep]]:
    """(name, step) pairs in the order ingest runs them; the family modules are imported here, not before."""
    steps: list[tuple[str, BuildStep]] = []
    for family in build_order(families):
        assert family.build is not None
        steps.append((family.build, _module(family).build_step))
    return steps

"""Attack cases for chart text: product names, review words and segment labels come from data, so matplotlib's
mathtext (`$…$`) and its "_hidden" legend convention must never act on them. A chart that raised would cost the
UI turn its chart; one that hid a series would misreport."""

from __future__ import annotations

import pytest

from assistant.agent.events import StepFinished
from assistant.render.charts import chart_figure, render_png
from assistant.ui.turn import TurnView
from tools.base import ChartSpec, Series

LABELS = [
    r"$\frac{$",
    "$$",
    r"$\undefinedcommand$",
    r"$x^{2$",
    r"\$\frac{$",
    "$5 off $10",
    r"$\mathdefault{$",
    "50% off _sale_",
]


def spec(label: str, kind: str = "bar") -> ChartSpec:
    return ChartSpec(
        kind=kind,
        title=f"Top products: {label}",
        x=[label, "plain"],
        series=[Series(name=label, values=[3.0, 1.0]), Series(name="_returns_", values=[1.0, 2.0])],
        x_label=label,
        y_label=label,
    )


@pytest.mark.parametrize("label", LABELS)
def test_a_ui_turn_draws_the_chart_of_a_mathtext_label(label: str) -> None:
    turn = TurnView(clock=lambda: 0.0)
    turn.apply(StepFinished(tool="top_products", args={}, ok=True, ms=5.0, markdown="| a |", charts=[spec(label)]))
    (step,) = turn.steps
    assert len(step.charts) == 1 and step.charts[0][1].startswith("data:image/png;base64,")
    assert turn.problem is None


@pytest.mark.parametrize("kind", ["bar", "barh", "line"])
def test_every_series_keeps_its_legend_entry_whatever_its_name(kind: str) -> None:
    chart = spec(r"$\frac{$", kind)
    assert render_png(chart).startswith(b"\x89PNG")
    legend = chart_figure(chart).axes[0].get_legend()
    assert legend is not None
    names = [t.get_text().replace("\u200b", "").replace(r"\$", "$") for t in legend.get_texts()]
    assert names == [r"$\frac{$", "_returns_"]

"""A tool's ChartSpec as a PNG, for uploading into the Slack thread beside the answer.

Uses matplotlib's object API (Figure + Agg canvas), not pyplot: no global figure state, safe from Bolt's
listener threads, no display needed. matplotlib is imported on first use so `mka --help` stays fast.
"""

from __future__ import annotations

import io
import re

from tools.base import ChartSpec

LABEL_CHARS = 28
MAX_CATEGORIES = 30


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def chart_filename(spec: ChartSpec, index: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", spec.title.lower()).strip("-")[:40] or "chart"
    return f"{index:02d}-{slug}.png"


def render_png(spec: ChartSpec, dpi: int = 110) -> bytes:
    """Draw the chart (bar, barh, line or pie) and return PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not spec.series or not spec.x:
        raise ValueError(f"chart {spec.title!r}: needs categories (x) and at least one series")
    for s in spec.series:
        if len(s.values) != len(spec.x):
            raise ValueError(f"chart {spec.title!r}: series {s.name!r} has {len(s.values)} values for {len(spec.x)} x")
    x = [_short(str(v)) for v in spec.x[:MAX_CATEGORIES]]
    series = [(s.name, list(s.values[:MAX_CATEGORIES])) for s in spec.series]

    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = list(range(len(x)))
    if spec.kind == "pie":
        name, values = series[0]
        ax.pie(values, labels=x, autopct="%1.0f%%", startangle=90, counterclock=False)
        ax.set_aspect("equal")
    elif spec.kind == "line":
        for name, values in series:
            ax.plot(positions, values, marker="o", label=name)
        ax.set_xticks(positions, x, rotation=30 if len(x) > 6 else 0, ha="right" if len(x) > 6 else "center")
    else:
        width = 0.8 / len(series)
        for i, (name, values) in enumerate(series):
            offsets = [p - 0.4 + width * (i + 0.5) for p in positions]
            if spec.kind == "barh":
                ax.barh(offsets, values, height=width, label=name)
            else:
                ax.bar(offsets, values, width=width, label=name)
        if spec.kind == "barh":
            ax.set_yticks(positions, x)
            ax.invert_yaxis()  # first category on top, as in the table
        else:
            ax.set_xticks(positions, x, rotation=30 if len(x) > 6 else 0, ha="right" if len(x) > 6 else "center")
    if spec.kind != "pie":
        ax.grid(axis="x" if spec.kind == "barh" else "y", alpha=0.3)
        if spec.x_label:
            (ax.set_ylabel if spec.kind == "barh" else ax.set_xlabel)(spec.x_label)
        if spec.y_label:
            (ax.set_xlabel if spec.kind == "barh" else ax.set_ylabel)(spec.y_label)
        if len(series) > 1:
            ax.legend()
    ax.set_title(spec.title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()

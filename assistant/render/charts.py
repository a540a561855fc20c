"""A tool's ChartSpec as a PNG: the one chart renderer of every channel, so the UI and Slack show the same image.

`render_png` draws a bar, horizontal bar, line, pie chart or heat map; `chart_data_uri` (the UI's Gradio Plot) and
`chart_filename` (the Slack upload) are the thin channel-specific wrappers around it.

Thread-safe and headless: each chart is its own `Figure` on its own Agg canvas, drawn with matplotlib's object
API. No pyplot, no backend switch and no rcParams change, so nothing is shared between the UI's and the bot's
concurrent turns and no display is needed. matplotlib is imported on first use so `mka --help` stays fast.

Every text comes from data (product names, review words, segment labels) and is drawn literally: a `$` never
starts matplotlib mathtext, so `$\\frac{$` is a label like any other instead of a parse error.
"""

from __future__ import annotations

import base64
import io
import math
import re
import textwrap
import unicodedata
from typing import TYPE_CHECKING

from tools.base import ChartSpec

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 6.4, 3.4, 100  # 640 x 340 px; horizontal bars grow taller with their rows
BARH_ROW_IN = 0.28
MAX_LABEL_CHARS = 28  # a category or series name longer than this is cut with an ellipsis
TITLE_CHARS, TITLE_LINES = 72, 2
MAX_BARS = 30  # bar and barh charts show the first 30 categories (the table beside the chart has them all)
MAX_SLICES = 8  # a pie shows 7 slices and folds the rest into "other": one palette colour per slice
LINE_TICKS = 12  # a longer line chart labels only every k-th point (its points are all drawn)
PALETTE = ["#4f46e5", "#f59e0b", "#10b981", "#ef4444", "#0ea5e9", "#a855f7", "#64748b", "#84cc16"]


class ChartError(ValueError):
    """The spec cannot be drawn honestly (no data, series of the wrong length, impossible values).

    Channels skip such a chart and keep the answer: the table beside it still has the numbers.
    """


def literal(text: str) -> str:
    """`text` as matplotlib draws it verbatim: `\\$` is a plain dollar sign and never opens mathtext."""
    return text.replace("$", r"\$")


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(text: str) -> str:
    return literal(_short(text))


def _legend_label(text: str) -> str:
    """A series name for the legend; matplotlib leaves out labels starting with "_", so one gets a zero-width
    space in front (a review word such as "_new_" is still a series)."""
    label = _label(text)
    return "\u200b" + label if label.startswith("_") else label


def _title(text: str) -> str:
    lines = textwrap.wrap(text, TITLE_CHARS, max_lines=TITLE_LINES, placeholder=" …")
    return literal("\n".join(lines))


def _thousands(value: float, _pos: int | None = None) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def check(spec: ChartSpec) -> None:
    """Raise ChartError, naming the chart and the series, for a spec that would draw a wrong or empty chart."""
    if not spec.x or not spec.series:
        raise ChartError(f"chart {spec.title!r}: needs categories (x) and at least one series")
    for s in spec.series:
        if len(s.values) != len(spec.x):
            raise ChartError(f"chart {spec.title!r}: series {s.name!r} has {len(s.values)} values for {len(spec.x)} x")
        if any(math.isinf(v) for v in s.values):
            raise ChartError(f"chart {spec.title!r}: series {s.name!r} has infinite values")
    if spec.kind == "pie":
        values = spec.series[0].values
        if any(math.isnan(v) or v < 0 for v in values):
            raise ChartError(f"chart {spec.title!r}: a pie needs values >= 0, series {spec.series[0].name!r} has not")
        if not any(values):
            raise ChartError(f"chart {spec.title!r}: a pie of zeros")


def chart_figure(spec: ChartSpec) -> Figure:
    """The chart as a matplotlib Figure on its own Agg canvas (not yet drawn). Raises ChartError."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    check(spec)
    title = spec.title
    n = len(spec.x)
    keep = MAX_BARS if spec.kind in ("bar", "barh") else n
    if n > keep:
        title = f"{title} (first {keep} of {n})"
    x = [_label(v) for v in spec.x[:keep]]
    rows = len(spec.series) if spec.kind == "heatmap" else len(x)
    height = max(HEIGHT_IN, 0.9 + BARH_ROW_IN * rows) if spec.kind in ("barh", "heatmap") else HEIGHT_IN
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if spec.kind == "pie":
        _pie(ax, spec, x)
    elif spec.kind == "heatmap":
        _heatmap(fig, ax, spec, x)
    elif spec.kind == "line":
        _lines(ax, spec, x)
    else:
        _bars(ax, spec, x)
    if spec.kind == "heatmap":
        if spec.x_label:
            ax.set_xlabel(literal(spec.x_label))
        if spec.y_label:
            ax.set_ylabel(literal(spec.y_label))
    elif spec.kind != "pie":
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x" if spec.kind == "barh" else "y", alpha=0.3)
        x_label, y_label = spec.x_label, spec.y_label
        if spec.kind == "barh":  # categories on the vertical axis, values along the horizontal one
            x_label, y_label = y_label, x_label
        if x_label:
            ax.set_xlabel(literal(x_label))
        if y_label:
            ax.set_ylabel(literal(y_label))
        if len(spec.series) > 1 and spec.kind != "heatmap":
            ax.legend(frameon=False)
    ax.set_title(_title(title), fontsize=11)
    return fig


def _pie(ax: Axes, spec: ChartSpec, x: list[str]) -> None:
    """The first series; zero slices are left out (no "0%" labels piled up), a long tail becomes "other"."""
    slices = [(label, v) for label, v in zip(x, spec.series[0].values, strict=True) if v > 0]
    if len(slices) > MAX_SLICES:
        rest = sum(v for _, v in slices[MAX_SLICES - 1 :])
        slices = [*slices[: MAX_SLICES - 1], ("other", rest)]
    ax.pie(
        [v for _, v in slices],
        labels=[label for label, _ in slices],
        colors=PALETTE[: len(slices)],
        autopct="%1.0f%%",
        startangle=90,
        counterclock=False,  # clockwise from twelve o'clock: the order of the table
    )
    ax.set_aspect("equal")


def _heatmap(fig: Figure, ax: Axes, spec: ChartSpec, x: list[str]) -> None:
    """One row per series, one column per x, a colour scale beside it; NaN cells (not observed) stay blank."""
    import numpy as np

    grid = np.array([s.values for s in spec.series], dtype=float)
    image = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap="Blues", interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    ax.set_yticks(list(range(len(spec.series))), [_label(s.name) for s in spec.series])
    _category_ticks(ax, x, step=-(-len(x) // LINE_TICKS) if len(x) > 16 else 1)


def _lines(ax: Axes, spec: ChartSpec, x: list[str]) -> None:
    """Every point of every series (a NaN is a gap: a forecast's future, a month without data)."""
    from matplotlib.ticker import FuncFormatter

    positions = list(range(len(x)))
    for i, s in enumerate(spec.series):
        color = PALETTE[i % len(PALETTE)]
        ax.plot(positions, s.values, marker="o", markersize=3, color=color, label=_legend_label(s.name))
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    # Only every k-th point labelled on a long time series, so month labels stay readable.
    _category_ticks(ax, x, step=-(-len(x) // LINE_TICKS) if len(x) > 16 else 1)


def _bars(ax: Axes, spec: ChartSpec, x: list[str]) -> None:
    """Grouped bars, one colour per series; horizontal ones list the first category on top, as the table does."""
    from matplotlib.ticker import FuncFormatter

    positions = list(range(len(x)))
    each = 0.8 / len(spec.series)
    for i, s in enumerate(spec.series):
        offsets = [p - 0.4 + each * (i + 0.5) for p in positions]
        values = s.values[: len(x)]
        color = PALETTE[i % len(PALETTE)]
        if spec.kind == "barh":
            ax.barh(offsets, values, height=each, color=color, label=_legend_label(s.name))
        else:
            ax.bar(offsets, values, width=each, color=color, label=_legend_label(s.name))
    if spec.kind == "barh":
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_yticks(positions, x)
        ax.invert_yaxis()
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        _category_ticks(ax, x)


def _category_ticks(ax: Axes, x: list[str], step: int = 1) -> None:
    """Every `step`-th category under the x axis, slanted when there are many or any is long (no overlaps)."""
    positions, labels = list(range(len(x)))[::step], x[::step]
    if len(labels) > 6 or any(len(v) > 10 for v in labels):
        ax.set_xticks(positions, labels, rotation=45, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(positions, labels)


def render_png(spec: ChartSpec) -> bytes:
    """The chart as PNG bytes; the same spec gives the same bytes in every channel. Raises ChartError."""
    buffer = io.BytesIO()
    chart_figure(spec).savefig(buffer, format="png")
    return buffer.getvalue()


def chart_data_uri(spec: ChartSpec) -> str:
    """For the UI: the PNG as a data URI, what a Gradio Plot of type "matplotlib" shows."""
    return "data:image/png;base64," + base64.b64encode(render_png(spec)).decode("ascii")


def chart_filename(spec: ChartSpec, index: int) -> str:
    """For Slack: the upload's file name, numbered in answer order: "02-top-10-products.png"."""
    ascii_title = unicodedata.normalize("NFKD", spec.title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40].strip("-") or "chart"
    return f"{index:02d}-{slug}.png"

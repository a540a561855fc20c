"""ChartSpec -> a PNG image, drawn once per chart with matplotlib's object API (thread-safe, no pyplot state)."""

from __future__ import annotations

import base64
import io

from tools.base import ChartSpec

MAX_LABEL_CHARS = 28
PALETTE = ["#4f46e5", "#f59e0b", "#10b981", "#ef4444", "#0ea5e9", "#a855f7", "#64748b", "#84cc16"]


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def _thousands(value: float, _pos: int | None = None) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def chart_png(spec: ChartSpec, width: float = 6.4, height: float = 3.4, dpi: int = 100) -> bytes:
    """Draw one chart: bars, horizontal bars, lines or a pie; one colour per series, a legend when several."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    labels = [_label(x) for x in spec.x]
    rows = max(len(labels), 1)
    if spec.kind == "barh":
        height = max(height, 0.9 + 0.28 * rows)
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    n = max(len(spec.series), 1)
    positions = list(range(len(labels)))
    if spec.kind == "pie":
        values = spec.series[0].values if spec.series else []
        ax.pie(values, labels=labels, colors=PALETTE * (len(values) // len(PALETTE) + 1), autopct="%1.0f%%")
        ax.axis("equal")
    elif spec.kind == "line":
        for i, series in enumerate(spec.series):
            ax.plot(
                positions, series.values, marker="o", markersize=3, color=PALETTE[i % len(PALETTE)], label=series.name
            )
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    else:
        width_each = 0.8 / n
        for i, series in enumerate(spec.series):
            offsets = [p - 0.4 + width_each * (i + 0.5) for p in positions]
            draw = ax.barh if spec.kind == "barh" else ax.bar
            draw(offsets, series.values, width_each, color=PALETTE[i % len(PALETTE)], label=series.name)
        value_axis = ax.xaxis if spec.kind == "barh" else ax.yaxis
        value_axis.set_major_formatter(FuncFormatter(_thousands))
    if spec.kind == "barh":
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()  # first item on top, as in the table
    elif spec.kind != "pie":
        ax.set_xticks(positions, labels)
        long_labels = len(labels) > 6 or any(len(x) > 10 for x in labels)
        if long_labels:
            ax.tick_params(axis="x", labelrotation=45)
            for tick in ax.get_xticklabels():
                tick.set_horizontalalignment("right")
        # Only every k-th label on long time series, so month labels stay readable.
        if spec.kind == "line" and len(labels) > 16:
            step = -(-len(labels) // 12)
            for i, tick in enumerate(ax.get_xticklabels()):
                tick.set_visible(i % step == 0)
    if spec.kind != "pie":
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x" if spec.kind == "barh" else "y", alpha=0.3)
        x_label, y_label = spec.x_label, spec.y_label
        if spec.kind == "barh":
            x_label, y_label = y_label, x_label
        if x_label:
            ax.set_xlabel(x_label)
        if y_label:
            ax.set_ylabel(y_label)
        if len(spec.series) > 1:
            ax.legend(frameon=False)
    ax.set_title(spec.title, fontsize=11)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_data_uri(spec: ChartSpec) -> str:
    return "data:image/png;base64," + base64.b64encode(chart_png(spec)).decode("ascii")

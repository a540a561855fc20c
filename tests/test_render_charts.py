"""The one chart renderer (assistant.render.charts) that the UI and the Slack bot share: a ChartSpec -> PNG bytes.

No server, no agent: each test draws a chart and looks at the PNG or at the matplotlib Figure behind it.
"""

from __future__ import annotations

import base64
import io
import threading
from typing import Any, cast

import pytest
from matplotlib.text import Text
from PIL import Image

from assistant.agent.events import StepFinished
from assistant.render.charts import (
    MAX_BARS,
    MAX_LABEL_CHARS,
    MAX_SLICES,
    ChartError,
    chart_data_uri,
    chart_figure,
    chart_filename,
    render_png,
)
from assistant.slack.incoming import SlackQuestion
from assistant.slack.responder import AgentProvider, Responder
from assistant.ui.turn import TurnView
from tools.base import ChartSpec, Series

KINDS = ["bar", "barh", "line", "pie", "heatmap"]
MATH = r"$\frac{$"  # unbalanced mathtext: matplotlib raises a ParseSyntaxException if it tries to parse it


def spec(kind: str = "bar", n: int = 3, *, title: str = "Revenue by segment", series: int = 1) -> ChartSpec:
    return ChartSpec(
        kind=kind,  # type: ignore[arg-type]
        title=title,
        x=[f"segment {i}" for i in range(n)],
        series=[Series(name=f"series {s}", values=[float(10 * (i + 1) + s) for i in range(n)]) for s in range(series)],
        x_label="segment",
        y_label="GBP",
    )


def decoded(png: bytes) -> Image.Image:
    """The PNG decoded by Pillow: its signature, chunks and CRCs checked, its pixels read."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    Image.open(io.BytesIO(png)).verify()  # structure and checksums
    image = Image.open(io.BytesIO(png))
    image.load()  # every pixel decompresses
    return image


def texts(spec: ChartSpec) -> list[Text]:
    """Every visible, non-empty text of the drawn chart: title, axis labels, tick labels, legend, pie labels."""
    fig = chart_figure(spec)
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


# ---------------------------------------------------------------- a valid PNG of a sane size


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("series", [1, 2])
def test_every_kind_renders_a_valid_png_of_a_sane_size(kind: str, series: int) -> None:
    png = render_png(spec(kind, n=5, series=series))
    image = decoded(png)
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.size == (640, 340)
    assert 5_000 < len(png) < 200_000
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 10  # something was drawn, not a blank canvas


def test_horizontal_bars_grow_taller_with_their_rows_and_stay_sane() -> None:
    heights = [decoded(render_png(spec("barh", n=n))).size[1] for n in (3, 12, MAX_BARS, 200)]
    assert heights[0] == 340 and heights[0] < heights[1] < heights[2]
    assert heights[3] == heights[2] < 1_000  # 200 categories draw the first MAX_BARS only


def test_the_same_spec_always_gives_the_same_bytes_and_a_different_spec_others() -> None:
    assert render_png(spec()) == render_png(spec())
    assert render_png(spec(series=2)) != render_png(spec())


# ---------------------------------------------------------------- mathtext in data is drawn literally


@pytest.mark.parametrize("kind", KINDS)
def test_a_mathtext_label_renders_literally_instead_of_raising(kind: str) -> None:
    chart = ChartSpec(
        kind=kind,  # type: ignore[arg-type]
        title=f"Mentions of {MATH} and $x^2$",
        x=[MATH, "$5 off", r"a\$b", "$x^2$"],
        series=[Series(name=f"{MATH} reviews", values=[4.0, 3.0, 2.0, 1.0]), Series(name="$y$", values=[1, 2, 3, 4])],
        x_label=MATH,
        y_label="$ spent",
    )
    decoded(render_png(chart))
    shown = texts(chart)
    dollars = [t for t in shown if "$" in t.get_text()]
    assert len(dollars) >= (5 if kind == "pie" else 8)  # title, the labels, axis labels, legend (not on a pie)
    fig = chart_figure(chart)
    renderer = cast(Any, fig.canvas).get_renderer()
    for text in dollars:
        # As wide as the same characters laid out with math parsing off: nothing was typeset as math.
        raw = text.get_text().replace(r"\$", "$")
        plain = fig.text(
            0, 0, raw, parse_math=False, fontproperties=text.get_fontproperties(), rotation=text.get_rotation()
        )
        assert text.get_window_extent(renderer).width == pytest.approx(plain.get_window_extent(renderer).width)
    assert any(t.get_text().replace(r"\$", "$") == r"a\$b" for t in shown)  # a backslash in data stays too


# ---------------------------------------------------------------- one renderer, identical bytes in every channel


class FakeSlackClient:
    def __init__(self) -> None:
        self.uploads: list[dict[str, Any]] = []

    def files_upload_v2(self, **kwargs: Any) -> dict[str, Any]:
        self.uploads.extend(kwargs["file_uploads"])
        return {"ok": True}


@pytest.mark.parametrize("kind", KINDS)
def test_the_ui_and_slack_get_identical_bytes(kind: str) -> None:
    chart = spec(kind, n=4, series=2)
    png = render_png(chart)

    assert base64.b64decode(chart_data_uri(chart).removeprefix("data:image/png;base64,")) == png
    turn = TurnView()
    turn.apply(StepFinished(tool="t", args={}, ok=True, ms=1.0, markdown="", charts=[chart]))
    ((title, uri),) = turn.steps[0].charts
    assert title == chart.title and base64.b64decode(uri.split(",", 1)[1]) == png

    client = FakeSlackClient()
    question = SlackQuestion(team="T1", channel="C1", ts="1.0", thread_ts="1.0", text="q")
    Responder(cast(AgentProvider, None))._upload_charts(cast(Any, client), question, [chart])
    (upload,) = client.uploads
    assert upload["file"] == png and upload["filename"] == "01-revenue-by-segment.png"


def test_concurrent_turns_draw_the_same_bytes_as_one_at_a_time() -> None:
    """The UI and the bot draw on several threads at once: no figure or pyplot state shared between them."""
    charts = [spec(kind, n=6, series=s, title=f"{kind} {s}") for kind in KINDS for s in (1, 2)]
    expected = [render_png(c) for c in charts]
    results: dict[int, list[bytes]] = {}
    barrier = threading.Barrier(4)

    def draw(worker: int) -> None:
        barrier.wait()
        order = charts[worker:] + charts[:worker]  # each thread draws a different chart at the same moment
        drawn = [render_png(c) for c in order]
        results[worker] = [drawn[(i - worker) % len(charts)] for i in range(len(charts))]  # back in spec order

    threads = [threading.Thread(target=draw, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert sorted(results) == [0, 1, 2, 3]
    assert all(drawn == expected for drawn in results.values())


def test_a_chart_that_cannot_be_drawn_is_skipped_by_both_channels() -> None:
    bad = ChartSpec(title="Bad", x=["a", "b"], series=[Series(name="units", values=[1.0])])
    turn = TurnView()
    turn.apply(StepFinished(tool="t", args={}, ok=True, ms=1.0, markdown="", charts=[bad, spec()]))
    assert [title for title, _ in turn.steps[0].charts] == [spec().title]
    client = FakeSlackClient()
    question = SlackQuestion(team="T1", channel="C1", ts="1.0", thread_ts="1.0", text="q")
    Responder(cast(AgentProvider, None))._upload_charts(cast(Any, client), question, [bad, spec()])
    assert [u["filename"] for u in client.uploads] == ["02-revenue-by-segment.png"]  # numbered in answer order


# ---------------------------------------------------------------- what the renderer refuses, cuts and folds


@pytest.mark.parametrize(
    ("chart", "message"),
    [
        (ChartSpec(title="No series", x=["a"], series=[]), "at least one series"),
        (ChartSpec(title="No x", x=[], series=[Series(name="s", values=[])]), "needs categories"),
        (ChartSpec(title="Short", x=["a", "b"], series=[Series(name="units", values=[1.0])]), "'units' has 1 values"),
        (ChartSpec(title="Inf", x=["a"], series=[Series(name="units", values=[float("inf")])]), "infinite"),
        (ChartSpec(kind="pie", title="Neg", x=["a", "b"], series=[Series(name="s", values=[1, -1])]), ">= 0"),
        (ChartSpec(kind="pie", title="NaN", x=["a", "b"], series=[Series(name="s", values=[1, float("nan")])]), ">= 0"),
        (ChartSpec(kind="pie", title="Zero", x=["a", "b"], series=[Series(name="s", values=[0, 0])]), "zeros"),
    ],
)
def test_specs_that_would_draw_a_wrong_chart_are_refused_by_name(chart: ChartSpec, message: str) -> None:
    with pytest.raises(ChartError, match=message) as raised:
        render_png(chart)
    assert chart.title in str(raised.value) and isinstance(raised.value, ValueError)


def test_a_forecast_line_with_gaps_and_many_points_keeps_every_point() -> None:
    n = 60
    history = [float(i) for i in range(50)] + [float("nan")] * 10
    future = [float("nan")] * 50 + [50.0 + i for i in range(10)]
    chart = ChartSpec(
        kind="line", title="Orders per week: history and forecast", x=[f"2024-W{i:02d}" for i in range(n)],
        series=[Series(name="actual", values=history), Series(name="forecast", values=future)],
    )  # fmt: skip
    decoded(render_png(chart))
    ax = chart_figure(chart).axes[0]
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [n, n]  # not cut at MAX_BARS: the forecast is last
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert 6 <= len(labels) <= 12 and labels[0] == "2024-W00"  # every k-th label, readable


def test_long_labels_are_cut_and_many_bars_capped_with_a_note_in_the_title() -> None:
    chart = spec("bar", n=45)
    chart.x[0] = "A product name far longer than any axis has room for"
    ax = chart_figure(chart).axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == MAX_BARS and labels[0] == chart.x[0][: MAX_LABEL_CHARS - 1] + "…"
    assert f"(first {MAX_BARS} of 45)" in ax.get_title()


def test_a_pie_leaves_out_zero_slices_and_folds_a_long_tail_into_other() -> None:
    three = ChartSpec(kind="pie", title="Review sentiment", x=["positive", "neutral", "negative"],
                      series=[Series(name="reviews", values=[0.7, 0.0, 0.3])])  # fmt: skip
    assert {t.get_text() for t in texts(three)} >= {"positive", "negative", "70%", "30%"}
    assert "neutral" not in {t.get_text() for t in texts(three)}
    many = spec("pie", n=12)
    slices = [t.get_text() for t in texts(many) if t.get_text().startswith("segment") or t.get_text() == "other"]
    assert slices == [f"segment {i}" for i in range(MAX_SLICES - 1)] + ["other"]


def test_slack_file_names_are_numbered_ascii_slugs() -> None:
    assert chart_filename(ChartSpec(title="Top 10 / products!", x=["a"], series=[]), 2) == "02-top-10-products.png"
    assert chart_filename(ChartSpec(title="Café & crème brûlée", x=[], series=[]), 1) == "01-cafe-creme-brulee.png"
    assert chart_filename(ChartSpec(title="$$$", x=[], series=[]), 3) == "03-chart.png"
    assert len(chart_filename(ChartSpec(title="word " * 40, x=[], series=[]), 1)) <= len("01-.png") + 40

"""Charts of monthly series (e.g. the count and value of open opportunities by close month, raw and
weighted), drawn with reportlab.graphics: bars, lines, or bars with lines on a second scale. The
same drawing renders as SVG (`to_svg`) and goes into a PDF as it is (a Drawing is a flowable).

Nothing is formatted here: the caller gives the month and value labels in the reader's language
(Babel), as callbacks. A chart with nothing to show says so (`no_data`) instead of failing.
reportlab is heavy: import this module inside the function that draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.graphics.renderSVG import drawToString
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.colors import Color

from crm.platform.pdf.fonts import BOLD, REGULAR, SVG_FAMILY, printable
from crm.platform.pdf.typeset import measure

Number = int | float | Decimal

# opaque colours only (PDF/A): a qualitative palette readable by most colour-blind readers
PALETTE = [colors.HexColor(c) for c in ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")]
_INK, _MUTED, _GRID = colors.HexColor("#1f2933"), colors.HexColor("#52606d"), colors.HexColor("#d9dde3")
_TITLE_SIZE, _LABEL_SIZE = 10, 7
_PAD = 6


@dataclass(frozen=True)
class Series:
    label: str  # the legend's, in the reader's language
    values: Sequence[Number | None]  # one per month; None: no value that month


@dataclass(frozen=True)
class ValueAxis:
    format: Callable[[float], str]  # a tick's label: money or a count in the reader's locale


def _nice_ticks(low: float, high: float, whole: bool, count: int = 5) -> list[float]:
    """Round tick values spanning [low, high], about `count` intervals; whole numbers only if `whole`."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if whole or magnitude < 1 else (1, 2, 2.5, 5, 10)
    step = next(s * magnitude for s in steps if s * magnitude >= raw)
    if whole:
        step = max(1, round(step))
    first, last = math.floor(low / step), math.ceil(high / step)
    return [i * step for i in range(first, last + 1)]


class _Scale:
    def __init__(self, series: Sequence[Series], bottom: float, top: float) -> None:
        given = [v for s in series for v in s.values if v is not None]
        values = [float(v) for v in given]
        self.ticks = _nice_ticks(min(0, *values), max(0, *values), all(isinstance(v, int) for v in given)) if values else [0.0, 1.0]
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.bottom, self.top = bottom, top

    def y(self, value: Number) -> float:
        return self.bottom + (float(value) - self.low) / (self.high - self.low) * (self.top - self.bottom)


def _text(
    x: float, y: float, text: str, size: float = _LABEL_SIZE, anchor: str = "start", bold: bool = False, color: Color = _MUTED
) -> String:
    return String(x, y, printable(text), fontName=BOLD if bold else REGULAR, fontSize=size, fillColor=color, textAnchor=anchor)


def _width(text: str, size: float = _LABEL_SIZE) -> float:
    return measure(printable(text), REGULAR, size)


def _has_data(series: Sequence[Series]) -> bool:
    return any(v is not None and v != 0 for s in series for v in s.values)


def monthly_chart(
    months: Sequence[date],
    *,
    month_label: Callable[[date], str],
    value_axis: ValueAxis,
    no_data: str,
    bars: Sequence[Series] = (),
    lines: Sequence[Series] = (),
    line_axis: ValueAxis | None = None,
    title: str = "",
    width: float = 480,
    height: float = 240,
) -> Drawing:
    """Bars (grouped by month) and/or lines over `months`. Bars use `value_axis` (left); lines use
    `line_axis` (right) when given, for a second unit such as a count beside an amount, else the
    left one. An empty chart (no month, no series, nothing but zeros) shows `no_data`."""
    for s in (*bars, *lines):
        if len(s.values) != len(months):
            raise ValueError(f"series {s.label!r} has {len(s.values)} values for {len(months)} months")
    drawing = Drawing(width, height, initialFontName=REGULAR)  # not reportlab's default, Helvetica: never embedded
    top = height
    if title:
        top -= _TITLE_SIZE + 2
        drawing.add(_text(0, top, title, _TITLE_SIZE, bold=True, color=_INK))
    if not months or not _has_data((*bars, *lines)):
        drawing.add(_text(width / 2, top / 2, no_data, _TITLE_SIZE, anchor="middle"))
        return drawing

    colours = {id(s): PALETTE[i % len(PALETTE)] for i, s in enumerate((*bars, *lines))}
    top = _legend(drawing, bars, lines, colours, top - _PAD - _LABEL_SIZE) - _PAD - _LABEL_SIZE / 2  # room for the top tick's label
    labels = [month_label(m) for m in months]
    left_series, right_series = ((*bars, *lines), ()) if line_axis is None else (bars, lines)
    # a first pass with a provisional scale measures the tick labels, which set the plot's edges
    left_width = max(_width(value_axis.format(t)) for t in _Scale(left_series, 0, 1).ticks)
    right_width = max(_width(line_axis.format(t)) for t in _Scale(right_series, 0, 1).ticks) if line_axis else 0
    plot_left, plot_right = left_width + _PAD, width - (right_width + _PAD if line_axis else _PAD)
    band = (plot_right - plot_left) / len(months)
    widest = max(_width(label) for label in labels)
    slanted = widest > band - 2
    bottom = (widest * 0.71 + _LABEL_SIZE if slanted else _LABEL_SIZE) + _PAD
    left = _Scale(left_series, bottom, top)
    right = _Scale(right_series, bottom, top) if line_axis else left

    for tick in left.ticks:
        y = left.y(tick)
        drawing.add(Line(plot_left, y, plot_right, y, strokeColor=_MUTED if tick == 0 else _GRID, strokeWidth=0.5))
        drawing.add(_text(plot_left - 3, y - _LABEL_SIZE / 3, value_axis.format(tick), anchor="end"))
    if line_axis:
        for tick in right.ticks:
            drawing.add(_text(plot_right + 3, right.y(tick) - _LABEL_SIZE / 3, line_axis.format(tick)))
    for i, label in enumerate(labels):
        x = plot_left + band * (i + 0.5)
        if slanted:
            drawing.add(Group(_text(0, 0, label, anchor="end"), transform=(0.71, 0.71, -0.71, 0.71, x, bottom - _PAD)))
        else:
            drawing.add(_text(x, bottom - _PAD - _LABEL_SIZE, label, anchor="middle"))

    group = band * 0.7
    for j, s in enumerate(bars):
        bar = group / len(bars)
        for i, value in enumerate(s.values):
            if value is not None:
                x = plot_left + band * i + (band - group) / 2 + j * bar
                y0, y1 = sorted((left.y(0), left.y(value)))
                drawing.add(Rect(x, y0, bar, y1 - y0, fillColor=colours[id(s)], strokeColor=None))
    for s in lines:
        points = [(plot_left + band * (i + 0.5), right.y(v)) if v is not None else None for i, v in enumerate(s.values)]
        run: list[float] = []
        for point in [*points, None]:  # a month without a value breaks the line
            if point is None:
                if len(run) > 2:
                    drawing.add(PolyLine(run, strokeColor=colours[id(s)], strokeWidth=1.5))
                run = []
            else:
                run += point
                drawing.add(Circle(*point, 2.2, fillColor=colours[id(s)], strokeColor=None))
    return drawing


def _legend(drawing: Drawing, bars: Sequence[Series], lines: Sequence[Series], colours: dict[int, Color], baseline: float) -> float:
    """Draws the legend from `baseline` down, wrapping to the drawing's width; returns the lowest y used."""
    x, y = 0.0, baseline
    for s, is_bar in [*((s, True) for s in bars), *((s, False) for s in lines)]:
        entry = 14 + _width(s.label) + 10
        if x and x + entry > drawing.width:
            x, y = 0.0, y - _LABEL_SIZE - 4
        colour = colours[id(s)]
        if is_bar:
            drawing.add(Rect(x, y, 9, 7, fillColor=colour, strokeColor=None))
        else:
            drawing.add(Line(x, y + 3.5, x + 9, y + 3.5, strokeColor=colour, strokeWidth=1.5))
            drawing.add(Circle(x + 4.5, y + 3.5, 2.2, fillColor=colour, strokeColor=None))
        drawing.add(_text(x + 13, y, s.label))
        x += entry
    return y


def to_svg(drawing: Drawing) -> str:
    """The drawing as a standalone SVG document (text as text, in a sans-serif the reader has)."""
    families = {REGULAR: {"family": SVG_FAMILY}, BOLD: {"family": SVG_FAMILY, "weight": "bold"}}
    return drawToString(drawing, fontHacks=families)

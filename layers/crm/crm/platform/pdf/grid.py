"""Every tabular block (lines, label/value pairs, totals, addresses side by side) is a grid: fixed
columns, rows of cells whose lines are already wrapped and styled, optional fills and rules, a
header row repeated at the top of each page the grid continues on, split between rows only.

Drawn with direct canvas calls: reportlab's general Table (spans, per-cell style commands, cells
holding flowables) cost about three times what the text itself costs for an invoice's lines, and
left to its defaults it draws in Helvetica, which is never embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.platypus import Flowable

from crm.platform.pdf.typeset import Align, TextStyle, wrap

Line = tuple[TextStyle, str]
Cell = Sequence[Line]
Rule = tuple[float, Color]  # width, colour
_LONG_ROW, _MIN_LINES_LEFT = 6, 2  # a row of at least this many lines may be cut, leaving at least this many


def cell(style: TextStyle, text: str, width: float) -> list[Line]:
    """`text` in `style`, wrapped to a column `width` wide."""
    return [(style, line) for line in wrap(text, width, style.font, style.size)]


@dataclass(frozen=True)
class Row:
    cells: Sequence[Cell]
    fill: Color | None = None  # a header's background
    rule_above: Rule | None = None
    rule_below: Rule | None = None


class Grid(Flowable):
    def __init__(
        self,
        widths: Sequence[float],
        aligns: Sequence[Align],
        rows: Sequence[Row],
        *,
        header: Row | None = None,
        padding: tuple[float, float] = (0, 0),  # vertical, horizontal
        align: Align = "left",  # where the grid sits when narrower than the frame
    ) -> None:
        super().__init__()
        self.widths, self.aligns, self.rows, self.header, self.padding = list(widths), list(aligns), list(rows), header, padding
        self.hAlign = align.upper()
        self.heights = [self._height(row) for row in self.rows]
        self.header_height = self._height(header) if header else 0.0

    def _height(self, row: Row) -> float:
        return max((sum(style.leading for style, _ in c) for c in row.cells), default=0.0) + 2 * self.padding[0]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width, self.height = sum(self.widths), self.header_height + sum(self.heights)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        room, fitting = availHeight - self.header_height, 0
        for height in self.heights:
            if height > room:
                break
            room, fitting = room - height, fitting + 1
        head, tail = list(self.rows[:fitting]), list(self.rows[fitting:])
        if tail and (cut := self._cut(tail[0], room - 2 * self.padding[0])):
            head.append(cut[0])
            tail[0] = cut[1]
        if not head:  # not even one row (under the header): all of it on the next page
            return []
        return [self._part(head), self._part(tail)]

    def _part(self, rows: Sequence[Row]) -> Grid:
        return Grid(self.widths, self.aligns, rows, header=self.header, padding=self.padding, align=self.hAlign.lower())  # type: ignore[arg-type]

    @staticmethod
    def _cut(row: Row, room: float) -> tuple[Row, Row] | None:
        """A long row (a description of many lines) continues on the next page rather than
        leaving a gap, or failing when it is taller than a page; a short one moves whole."""
        kept = []
        for lines in row.cells:
            used, count = 0.0, 0
            for style, _ in lines:
                if used + style.leading > room:
                    break
                used, count = used + style.leading, count + 1
            kept.append(count)
        longest = max((len(lines) for lines in row.cells), default=0)
        overflowing = [n for lines, n in zip(row.cells, kept, strict=True) if n < len(lines)]
        if longest < _LONG_ROW or not overflowing or min(overflowing) < _MIN_LINES_LEFT:
            return None
        first = Row([lines[:n] for lines, n in zip(row.cells, kept, strict=True)], row.fill, row.rule_above, None)
        rest = Row([lines[n:] for lines, n in zip(row.cells, kept, strict=True)], row.fill, None, row.rule_below)
        return first, rest

    def draw(self) -> None:
        top = self.height
        if self.header:
            self._row(self.header, top, self.header_height)
            top -= self.header_height
        for row, height in zip(self.rows, self.heights, strict=True):
            self._row(row, top, height)
            top -= height

    def _row(self, row: Row, top: float, height: float) -> None:
        canvas = self.canv
        if row.fill is not None:
            canvas.setFillColor(row.fill)
            canvas.rect(0, top - height, self.width, height, stroke=0, fill=1)
        for rule, y in ((row.rule_above, top), (row.rule_below, top - height)):
            if rule is not None:
                canvas.setLineWidth(rule[0])
                canvas.setStrokeColor(rule[1])
                canvas.line(0, y, self.width, y)
        vertical, horizontal = self.padding
        x, current = 0.0, None
        for lines, width, align in zip(row.cells, self.widths, self.aligns, strict=True):
            y = top - vertical
            for style, line in lines:
                if style is not current:
                    canvas.setFont(style.font, style.size)
                    canvas.setFillColor(style.color)
                    current = style
                baseline = y - style.baseline()
                if align == "right":
                    canvas.drawRightString(x + width - horizontal, baseline, line)
                elif align == "center":
                    canvas.drawCentredString(x + width / 2, baseline, line)
                else:
                    canvas.drawString(x + horizontal, baseline, line)
                y -= style.leading
            x += width

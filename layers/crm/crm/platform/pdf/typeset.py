"""Plain text on the page: measured, wrapped at plain spaces (never at a no-break space: an amount
such as `1 944,44 €` stays whole), drawn line by line as real text.

Everything the documents print is plain text already formatted by the caller, so no markup parser
(reportlab's Paragraph) stands between it and the page: that is faster, and the text layer keeps
every character as written (Paragraph would break lines at Babel's narrow no-break space and join
words again with plain spaces).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal

from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

from crm.platform.pdf.fonts import printable

Align = Literal["left", "right", "center"]


@functools.cache
def _face(font: str) -> Any:
    return pdfmetrics.getFont(font).face


def measure(text: str, font: str, size: float) -> float:
    """The width of `text` in points: reportlab's own arithmetic for a TrueType font, in one pass."""
    face = _face(font)
    return 0.001 * size * sum(map(face.charWidths.get, map(ord, text), repeat(face.defaultWidth)))


def wrap(text: str, width: float, font: str, size: float) -> list[str]:
    """`text` as lines no wider than `width`, broken at its plain spaces and line breaks; a word
    longer than a line is cut where it fills one."""
    space = measure(" ", font, size)
    lines: list[str] = []
    for paragraph in printable(text).replace("\r\n", "\n").split("\n"):
        if measure(paragraph, font, size) <= width:  # most cells and lines: as they are
            lines.append(paragraph)
            continue
        line, used = "", 0.0
        for word in paragraph.split(" "):
            needed = measure(word, font, size)
            if line and used + space + needed <= width:
                line, used = f"{line} {word}", used + space + needed
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and needed > width:
                cut = next((i for i in range(len(word) - 1, 0, -1) if measure(word[:i], font, size) <= width), 1)
                lines.append(word[:cut])
                word = word[cut:]  # noqa: PLW2901 (what is left of it)
                needed = measure(word, font, size)
            line, used = word, needed
        lines.append(line)
    return lines


@dataclass(frozen=True)
class TextStyle:
    font: str
    size: float
    leading: float
    color: Color
    align: Align = "left"

    def baseline(self) -> float:
        """From the top of a line to its baseline: the glyphs centred in the line's leading."""
        return (self.leading - self.size) / 2 + 0.8 * self.size


class Text(Flowable):
    """Runs of plain text, each in its style, wrapped to the width it is given and split between
    lines across pages."""

    def __init__(self, runs: Sequence[tuple[TextStyle, str]], space_after: float = 0) -> None:
        super().__init__()
        self.runs = list(runs)
        self.spaceAfter = space_after
        self._lines: list[tuple[TextStyle, str]] = []

    def _lay(self, width: float) -> list[tuple[TextStyle, str]]:
        return [(style, line) for style, run in self.runs for line in wrap(run, width, style.font, style.size)]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._lines = self._lay(availWidth)
        self.width, self.height = availWidth, sum(style.leading for style, _ in self._lines)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        lines, used, fitting = self._lay(availWidth), 0.0, 0
        for style, _ in lines:
            if used + style.leading > availHeight:
                break
            used, fitting = used + style.leading, fitting + 1
        if fitting == 0:
            return []
        return [Text(lines[:fitting]), Text(lines[fitting:], self.spaceAfter)]  # each line a run that fits

    def draw(self) -> None:
        canvas, top, current = self.canv, self.height, None
        for style, line in self._lines:
            if style is not current:
                canvas.setFont(style.font, style.size)
                canvas.setFillColor(style.color)
                current = style
            y = top - style.baseline()
            if style.align == "right":
                canvas.drawRightString(self.width, y, line)
            elif style.align == "center":
                canvas.drawCentredString(self.width / 2, y, line)
            else:
                canvas.drawString(0, y, line)
            top -= style.leading

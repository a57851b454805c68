"""The blocks a document is made of: a title, addresses side by side, label/value pairs, a lines
table that continues on the next pages under its repeated header row, a totals block, free text.

Every text is plain text, already in the reader's language, with numbers and amounts already
formatted (Babel, by the caller): nothing here is markup, nothing is formatted again. Each block is
real text in the PDF, so that a reader (or pypdf) finds every word of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from crm.platform.pdf.fonts import printable
from crm.platform.pdf.grid import Grid, Row, cell
from crm.platform.pdf.style import (
    CELL,
    CELL_LABEL,
    CELL_PADDING,
    CELL_STRONG,
    CONTENT_WIDTH,
    HEADER_FILL,
    INK,
    LABEL,
    RULE,
    SMALL,
    SMALL_STRONG,
    STRONG,
    TEXT,
    TITLE,
)
from crm.platform.pdf.typeset import Align, Text, measure


def title(text: str) -> Flowable:
    """The document's heading: "Facture INV-000123"."""
    return Text([(TITLE, text)], space_after=2 * mm)


def text(body: str, *, small: bool = False, bold: bool = False) -> Flowable:
    """Free text (terms, legal mentions, notes): its line breaks kept, wrapped to the width, split
    across pages when long."""
    style = (SMALL_STRONG if bold else SMALL) if small else (STRONG if bold else TEXT)
    return Text([(style, body)])


def spacer(height_mm: float) -> Flowable:
    return Spacer(0, height_mm * mm)


def keep_together(*blocks: Flowable) -> Flowable:
    """`blocks` on one page (the next one if they do not fit on this one)."""
    return KeepTogether(list(blocks))


@dataclass(frozen=True)
class Address:
    heading: str  # "Adresse de facturation"
    lines: Sequence[str]  # the first (the addressee) in bold


def addresses(*blocks: Address) -> Flowable:
    """Address blocks side by side, sharing the width."""
    width = CONTENT_WIDTH / max(1, len(blocks))
    room = width - 6 * mm
    cells = [
        [
            *cell(LABEL, block.heading, room),
            *(line for i, written in enumerate(block.lines) for line in cell(STRONG if i == 0 else TEXT, written, room)),
        ]
        for block in blocks
    ]
    return Grid([width] * len(blocks), ["left"] * len(blocks), [Row(cells)])


def key_values(pairs: Sequence[tuple[str, str]]) -> Flowable:
    """Label / value lines: the document's number, dates, references."""
    label_width = max((measure(printable(label), CELL_LABEL.font, CELL_LABEL.size) for label, _ in pairs), default=0) + 4 * mm
    value_width = CONTENT_WIDTH - label_width
    rows = [Row([cell(CELL_LABEL, label, label_width), cell(CELL, value, value_width)]) for label, value in pairs]
    return Grid([label_width, value_width], ["left", "left"], rows, padding=(1, 0))


@dataclass(frozen=True)
class TableColumn:
    label: str
    weight: float = 1.0  # its share of the width
    align: Align = "left"  # amounts and quantities: right


def lines_table(columns: Sequence[TableColumn], rows: Iterable[Sequence[str]]) -> Flowable:
    """A table of lines (a document's lines, a report's rows): split between rows across pages,
    its header row repeated on each; cell text wraps within its column."""
    total = sum(column.weight for column in columns)
    widths = [CONTENT_WIDTH * column.weight / total for column in columns]
    room = [width - 2 * CELL_PADDING for width in widths]
    header = Row(
        [cell(CELL_STRONG, column.label, space) for column, space in zip(columns, room, strict=True)],
        fill=HEADER_FILL,
        rule_below=(0.8, INK),
    )
    body = [Row([cell(CELL, value, space) for value, space in zip(row, room, strict=True)], rule_below=(0.25, RULE)) for row in rows]
    return Grid(widths, [column.align for column in columns], body, header=header, padding=(CELL_PADDING, CELL_PADDING))


@dataclass(frozen=True)
class Total:
    label: str  # "Total HT", "TVA 20 %", "Total TTC"
    amount: str  # formatted by the caller
    emphasis: bool = False  # the total due: bold, a rule above


def totals(rows: Sequence[Total], *, width_mm: float = 85) -> Flowable:
    """The totals, right-aligned against the right margin, kept on one page."""
    widths = [width_mm * mm - 35 * mm, 35 * mm]
    lines = [
        Row(
            [
                cell(STRONG if row.emphasis else TEXT, written, width - 2 * CELL_PADDING)
                for written, width in zip((row.label, row.amount), widths, strict=True)
            ],
            rule_above=(0.8, INK) if row.emphasis else None,
        )
        for row in rows
    ]
    return KeepTogether([Spacer(0, 2 * mm), Grid(widths, ["right", "right"], lines, padding=(2, CELL_PADDING), align="right")])

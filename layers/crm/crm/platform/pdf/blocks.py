"""The blocks a document is made of: a title, addresses side by side, label/value pairs, a lines
table that continues on the next pages under its repeated header row, a totals block, free text.

Every text is plain text, already in the reader's language, with numbers and amounts already
formatted (Babel, by the caller): nothing here is markup, nothing is formatted again. Each block is
real text in the PDF, so that a reader (or pypdf) finds every word of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, LongTable, Paragraph, Spacer, Table, TableStyle

from crm.platform.pdf.fonts import BOLD, REGULAR, printable
from crm.platform.pdf.style import (
    CELL_LEADING,
    CELL_PADDING,
    CELL_SIZE,
    CONTENT_WIDTH,
    HEADER_FILL,
    INK,
    LABEL,
    MUTED,
    RULE,
    SIZE,
    SMALL,
    TEXT,
    TITLE,
    markup,
)

Align = Literal["left", "right", "center"]
_ALL = ((0, 0), (-1, -1))


def _table_style(*commands: tuple, size: float = CELL_SIZE) -> TableStyle:
    """A table's style on top of the embedded font: a table left to its defaults would draw with
    Helvetica, a standard-14 font that is never embedded (and makes the file non-PDF/A)."""
    return TableStyle([("FONTNAME", *_ALL, REGULAR), ("FONTSIZE", *_ALL, size), ("TEXTCOLOR", *_ALL, INK), *commands])


def title(text: str) -> Flowable:
    """The document's heading: "Facture INV-000123"."""
    return Paragraph(markup(text), TITLE)


def text(body: str, *, small: bool = False, bold: bool = False) -> Flowable:
    """Free text (terms, legal mentions, notes): its line breaks kept, wrapped to the width, split
    across pages when long."""
    style = SMALL if small else TEXT
    return Paragraph(f"<b>{markup(body)}</b>" if bold else markup(body), style)


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
    cells = []
    for block in blocks:
        body = "<br/>".join(f"<b>{markup(line)}</b>" if i == 0 else markup(line) for i, line in enumerate(block.lines))
        cells.append([Paragraph(markup(block.heading), LABEL), Paragraph(body, TEXT)])
    table = Table([cells], colWidths=[CONTENT_WIDTH / max(1, len(blocks))] * len(blocks), hAlign="LEFT")
    table.setStyle(_table_style(("VALIGN", *_ALL, "TOP"), ("LEFTPADDING", *_ALL, 0), ("RIGHTPADDING", *_ALL, 6 * mm)))
    return table


def key_values(pairs: Sequence[tuple[str, str]]) -> Flowable:
    """Label / value lines: the document's number, dates, references."""
    labels = [printable(label) for label, _ in pairs]
    width = max((stringWidth(label, BOLD, CELL_SIZE) for label in labels), default=0) + 4 * mm
    rows = [[label, printable(value)] for label, (_, value) in zip(labels, pairs, strict=True)]
    table = Table(rows, colWidths=[width, None], hAlign="LEFT")
    table.setStyle(
        _table_style(
            ("FONTNAME", (0, 0), (0, -1), BOLD),
            ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
            ("LEFTPADDING", *_ALL, 0),
            ("TOPPADDING", *_ALL, 1),
            ("BOTTOMPADDING", *_ALL, 1),
        )
    )
    return table


@dataclass(frozen=True)
class TableColumn:
    label: str
    weight: float = 1.0  # its share of the width
    align: Align = "left"  # amounts and quantities: right


def wrap(text: str, width: float, font: str = REGULAR, size: float = CELL_SIZE) -> str:
    """`text` broken into lines no wider than `width` at its plain spaces (a no-break space, as in
    `1 944,44 €`, never breaks); a word longer than a line is cut. Plain lines are what a table
    lays out fastest."""

    def fits(candidate: str) -> bool:
        return stringWidth(candidate, font, size) <= width

    lines: list[str] = []
    for paragraph in printable(text).replace("\r\n", "\n").split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and fits(f"{line} {word}"):
                line = f"{line} {word}"
                continue
            if line:
                lines.append(line)
            rest = word
            while len(rest) > 1 and not fits(rest):  # longer than a line: cut where it fills one
                cut = next((i for i in range(len(rest) - 1, 0, -1) if fits(rest[:i])), 1)
                lines.append(rest[:cut])
                rest = rest[cut:]
            line = rest
        lines.append(line)
    return "\n".join(lines)


def lines_table(columns: Sequence[TableColumn], rows: Iterable[Sequence[str]]) -> Flowable:
    """A table of lines (a document's lines, a report's rows): split between rows across pages,
    its header row repeated on each; cell text wraps within its column."""
    total = sum(column.weight for column in columns)
    widths = [CONTENT_WIDTH * column.weight / total for column in columns]
    room = [width - 2 * CELL_PADDING for width in widths]
    header = [wrap(column.label, space, BOLD) for column, space in zip(columns, room, strict=True)]
    body = [[wrap(value, space) for value, space in zip(row, room, strict=True)] for row in rows]
    style = [
        ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("LEADING", *_ALL, CELL_LEADING),
        ("VALIGN", *_ALL, "TOP"),
        ("TOPPADDING", *_ALL, CELL_PADDING),
        ("BOTTOMPADDING", *_ALL, CELL_PADDING),
        ("LEFTPADDING", *_ALL, CELL_PADDING),
        ("RIGHTPADDING", *_ALL, CELL_PADDING),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
    ]
    style += [("ALIGN", (i, 0), (i, -1), column.align.upper()) for i, column in enumerate(columns) if column.align != "left"]
    return LongTable([header, *body], colWidths=widths, repeatRows=1, style=_table_style(*style), hAlign="LEFT")


@dataclass(frozen=True)
class Total:
    label: str  # "Total HT", "TVA 20 %", "Total TTC"
    amount: str  # formatted by the caller
    emphasis: bool = False  # the total due: bold, a rule above


def totals(rows: Sequence[Total], *, width_mm: float = 85) -> Flowable:
    """The totals, right-aligned against the right margin, kept on one page."""
    width = width_mm * mm
    table = Table([[printable(row.label), printable(row.amount)] for row in rows], colWidths=[width - 35 * mm, 35 * mm], hAlign="RIGHT")
    style: list[tuple] = [
        ("ALIGN", *_ALL, "RIGHT"),
        ("RIGHTPADDING", *_ALL, CELL_PADDING),
        ("TOPPADDING", *_ALL, 2),
        ("BOTTOMPADDING", *_ALL, 2),
    ]
    for i, row in enumerate(rows):
        if row.emphasis:
            style += [("FONTNAME", (0, i), (-1, i), BOLD), ("LINEABOVE", (0, i), (-1, i), 0.8, INK)]
    table.setStyle(_table_style(*style, size=SIZE))
    return KeepTogether([Spacer(0, 2 * mm), table])

"""The documents' one look: A4 geometry, colours, and the text styles."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from crm.platform.pdf.fonts import BOLD, REGULAR
from crm.platform.pdf.typeset import TextStyle

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN  # what a block may span (tables, charts)

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e4e7eb")

SIZE = 9
CELL_SIZE, CELL_LEADING, CELL_PADDING = 8.5, 10, 2

TEXT = TextStyle(REGULAR, SIZE, 12, INK)
STRONG = TextStyle(BOLD, SIZE, 12, INK)
SMALL = TextStyle(REGULAR, 7.5, 9.5, MUTED)
SMALL_STRONG = TextStyle(BOLD, 7.5, 9.5, MUTED)
LABEL = TextStyle(BOLD, 7.5, 10, MUTED)
TITLE = TextStyle(BOLD, 16, 20, INK)
COMPANY = TextStyle(BOLD, 13, 16, INK)
COMPANY_LINE = TextStyle(REGULAR, 8.5, 11, MUTED)
FOOTER = TextStyle(REGULAR, 7, 9, MUTED, align="center")
CELL = TextStyle(REGULAR, CELL_SIZE, CELL_LEADING, INK)
CELL_STRONG = TextStyle(BOLD, CELL_SIZE, CELL_LEADING, INK)
CELL_LABEL = TextStyle(BOLD, CELL_SIZE, CELL_LEADING, MUTED)

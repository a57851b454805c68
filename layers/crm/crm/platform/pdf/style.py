"""The documents' one look: A4 geometry, colours, type sizes and paragraph styles, and how plain
text becomes a reportlab paragraph."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from crm.platform.pdf.fonts import BOLD, REGULAR, printable

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN  # what a block may span (tables, charts)

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e4e7eb")

SIZE, LEADING = 9, 12
CELL_SIZE, CELL_LEADING, CELL_PADDING = 8.5, 10, 2

TEXT = ParagraphStyle("crm-text", fontName=REGULAR, fontSize=SIZE, leading=LEADING, textColor=INK)
SMALL = ParagraphStyle("crm-small", TEXT, fontSize=7.5, leading=9.5, textColor=MUTED)
FOOTER = ParagraphStyle("crm-footer", SMALL, fontSize=7, leading=9, alignment=TA_CENTER)
TITLE = ParagraphStyle("crm-title", TEXT, fontName=BOLD, fontSize=16, leading=20, spaceAfter=2 * mm)
LABEL = ParagraphStyle("crm-label", TEXT, fontName=BOLD, fontSize=7.5, leading=10, textColor=MUTED)
# reportlab's Paragraph breaks lines at these (and joins words with a plain space): an amount such
# as `1 944,44 €` must stay on one line, so they become no-break spaces inside paragraphs
_UNBREAKABLE = str.maketrans({"\u202f": "\u00a0", "\u2007": "\u00a0"})


def markup(text: str) -> str:
    """Plain text as paragraph markup: escaped, drawable, its line breaks kept."""
    return escape(printable(text).translate(_UNBREAKABLE)).replace("\r\n", "\n").replace("\n", "<br/>")

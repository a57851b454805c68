"""The page every document is laid out on: A4, its margins, the company's letterhead at the top
(whole on the first page, one line on the next ones), and a footer with the legal identity lines and
"page N of M". `render` flows a story of blocks (`blocks`) through it into an archival PDF.

The footer's page count is known only once the last page is laid out: the canvas holds each page
until then (one layout pass), and draws the header and footer of every page at the end.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from crm.platform.pdf.archival import DocumentInfo, make_archival
from crm.platform.pdf.fonts import BOLD, REGULAR, printable
from crm.platform.pdf.style import COMPANY, COMPANY_LINE, CONTENT_WIDTH, FOOTER, MARGIN, MUTED, PAGE_HEIGHT, PAGE_WIDTH, RULE
from crm.platform.pdf.typeset import Text

_RUNNING_SIZE = 8.5
_LOGO_BOX = (45 * mm, 20 * mm)  # the most a logo takes: width, height
_RUNNING_HEADER = 9 * mm  # pages after the first: the company's name and the document's title
_GAP = 5 * mm  # between the header or footer and the content


def _page_of(number: int, total: int) -> str:
    return f"{number} / {total}"


@dataclass(frozen=True)
class Letterhead:
    name: str
    lines: Sequence[str] = ()  # address, phone, email, website: as the caller writes them
    logo: bytes | None = None  # PNG or JPEG; flattened onto white (PDF/A-3 documents here carry no transparency)


@dataclass(frozen=True)
class PageSetup:
    letterhead: Letterhead
    footer_lines: Sequence[str] = ()  # e.g. legal form, share capital, SIREN, RCS, VAT number
    page_label: Callable[[int, int], str] = _page_of  # (page, pages) -> "Page 2 sur 3", in the reader's language


@functools.lru_cache(maxsize=16)
def _logo(data: bytes) -> ImageReader:
    """The logo as an opaque RGB image no larger than it is ever drawn (at 300 dpi)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
        rgba = image.convert("RGBA") if has_alpha else None
        opaque = Image.new("RGB", image.size, "white")
        if rgba is not None:
            opaque.paste(rgba, mask=rgba.getchannel("A"))
        else:
            opaque.paste(image.convert("RGB"))
    most = (round(_LOGO_BOX[0] / 72 * 300), round(_LOGO_BOX[1] / 72 * 300))
    opaque.thumbnail(most)
    return ImageReader(opaque)


def _logo_size(logo: ImageReader) -> tuple[float, float]:
    width, height = logo.getSize()
    scale = min(_LOGO_BOX[0] / width, _LOGO_BOX[1] / height)
    return width * scale, height * scale


class _Layout:
    """The geometry of one document's pages, worked out before any content is laid."""

    def __init__(self, info: DocumentInfo, setup: PageSetup) -> None:
        self.info, self.setup = info, setup
        head = setup.letterhead
        self.logo = _logo(head.logo) if head.logo else None
        logo_width, logo_height = _logo_size(self.logo) if self.logo else (0.0, 0.0)
        self.text_x = MARGIN + (logo_width + 5 * mm if self.logo else 0)
        self.letterhead = Text([(COMPANY, head.name), *((COMPANY_LINE, line) for line in head.lines)])
        text_height = self.letterhead.wrap(PAGE_WIDTH - MARGIN - self.text_x, PAGE_HEIGHT)[1]
        self.first_header = max(logo_height, text_height)
        self.footer_lines = Text([(FOOTER, line) for line in setup.footer_lines])
        self.footer_height = self.footer_lines.wrap(CONTENT_WIDTH, PAGE_HEIGHT)[1]
        self.footer = self.footer_height + FOOTER.leading + 3 * mm  # the lines, the page label, a rule

    def frame(self, header: float, frame_id: str) -> Frame:
        bottom = MARGIN + self.footer + _GAP
        top = PAGE_HEIGHT - MARGIN - header - _GAP
        return Frame(MARGIN, bottom, CONTENT_WIDTH, top - bottom, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id=frame_id)

    def decorate(self, canvas: Canvas, number: int, total: int) -> None:
        canvas.saveState()
        if number == 1:
            self._letterhead(canvas)
        else:
            self._running_header(canvas)
        self._footer(canvas, number, total)
        canvas.restoreState()

    def _letterhead(self, canvas: Canvas) -> None:
        top = PAGE_HEIGHT - MARGIN
        if self.logo:
            width, height = _logo_size(self.logo)
            canvas.drawImage(self.logo, MARGIN, top - height, width, height)
        self.letterhead.drawOn(canvas, self.text_x, top - self.letterhead.height)

    def _running_header(self, canvas: Canvas) -> None:
        y = PAGE_HEIGHT - MARGIN - _RUNNING_SIZE
        canvas.setFillColor(MUTED)
        canvas.setFont(BOLD, _RUNNING_SIZE)
        canvas.drawString(MARGIN, y, printable(self.setup.letterhead.name))
        canvas.setFont(REGULAR, _RUNNING_SIZE)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, y, printable(self.info.title))
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, y - 2 * mm, PAGE_WIDTH - MARGIN, y - 2 * mm)

    def _footer(self, canvas: Canvas, number: int, total: int) -> None:
        y = MARGIN + self.footer_height + 3 * mm
        canvas.setFillColor(MUTED)
        canvas.setFont(REGULAR, FOOTER.size + 1)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, y, printable(self.setup.page_label(number, total)))
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, y - 1.5 * mm, PAGE_WIDTH - MARGIN, y - 1.5 * mm)
        self.footer_lines.drawOn(canvas, MARGIN, MARGIN)


class _ArchivalCanvas(Canvas):
    """Holds every page until the document ends, then decorates each knowing the page count, and
    saves the file as PDF/A-3b."""

    def __init__(self, *args, info: DocumentInfo, decorate: Callable[[Canvas, int, int], None], **kwargs) -> None:
        super().__init__(*args, pdfVersion=(1, 7), **kwargs)  # PDF/A-3 is ISO 32000-1, i.e. PDF 1.7
        self._info, self._decorate = info, decorate
        self._held: list[dict] = []

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        held = self._held
        for number, page in enumerate(held, start=1):
            self.__dict__.update(page)
            self._decorate(self, number, len(held))
            super().showPage()
        make_archival(self, self._info)
        super().save()


def render(info: DocumentInfo, setup: PageSetup, story: Sequence[Flowable]) -> bytes:
    """The PDF of `story` (blocks from `crm.platform.pdf.blocks`, built afresh for each render: a
    table remembers how it was split) on A4 pages. The same arguments give the same bytes."""
    layout = _Layout(info, setup)
    first = PageTemplate("first", [layout.frame(layout.first_header, "first")], autoNextPageTemplate="next")
    later = PageTemplate("next", [layout.frame(_RUNNING_HEADER, "next")])
    out = io.BytesIO()
    document = BaseDocTemplate(
        out,
        pagesize=A4,
        pageTemplates=[first, later],
        invariant=1,
        pageCompression=1,
        lang=info.lang,
        initialFontName=REGULAR,
        title=info.title,
        author=info.author,
        subject=info.subject,
        keywords=info.keywords,
    )
    document.build(list(story), canvasmaker=functools.partial(_ArchivalCanvas, info=info, decorate=layout.decorate))
    return out.getvalue()

"""Reading back the PDFs the documents toolkit writes, as a reader or a validator would: the text
of each page, the fonts and whether they are embedded, and the characters drawn with no glyph; and
an invoice-like document to render."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

import pikepdf
from pypdf import PdfReader

INVOICE_COLUMNS = [
    ("Désignation", 4, "left"),
    ("Qté", 0.7, "right"),
    ("Prix unitaire HT", 1.5, "right"),
    ("TVA", 0.8, "right"),
    ("Total HT", 1.5, "right"),
]
LEGAL_MENTIONS = (
    "Pénalités de retard : trois fois le taux d'intérêt légal.\n"
    "Indemnité forfaitaire pour frais de recouvrement : 40\u00a0€.\n"
    "Escompte pour paiement anticipé : néant."
)
FOOTER = "SAS au capital de 10\u202f000\u00a0€ – SIREN 123\u202f456\u202f789 – RCS Paris – TVA FR12123456789"


def png(size: tuple[int, int] = (400, 160), colour: tuple[int, int, int, int] = (0, 114, 178, 255), mode: str = "RGBA") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, colour[: len(mode)]).save(out, "PNG")
    return out.getvalue()


def invoice(lines: int = 12, *, created: datetime = datetime(2026, 1, 15, 9, 30, tzinfo=UTC), logo: bytes | None = None, extra: tuple = ()):
    """(info, setup, story) of an invoice with `lines` lines; a new story each call (a rendered
    table cannot be laid out twice)."""
    from crm.platform import pdf

    info = pdf.DocumentInfo(
        title="Facture INV-000123",
        author="Plomberie Dupont SAS",
        created=created,
        subject="Facture INV-000123 du 15 janvier 2026",
        keywords="facture, INV-000123",
    )
    setup = pdf.PageSetup(
        pdf.Letterhead("Plomberie Dupont SAS", ["12 rue des Lilas", "75011 Paris"], logo=logo if logo is not None else png()),
        footer_lines=[FOOTER],
        page_label=lambda n, m: f"Page {n} sur {m}",
    )
    rows = [
        [f"Ligne {i:03d} : joint de robinet", "2", "1\u202f944,44\u00a0€", "20\u202f%", "3\u202f888,88\u00a0€"] for i in range(1, lines + 1)
    ]
    story = [
        pdf.title("Facture INV-000123"),
        pdf.key_values([("Date", "15 janvier 2026"), ("Échéance", "14 février 2026")]),
        pdf.spacer(4),
        pdf.addresses(
            pdf.Address("Facturé à", ["Société Générale d'Équipement", "3 rue de l'Église", "69003 Lyon"]),
            pdf.Address("Livré à", ["Chantier Foch", "75016 Paris"]),
        ),
        pdf.spacer(4),
        pdf.lines_table([pdf.TableColumn(*column) for column in INVOICE_COLUMNS], rows),
        pdf.totals([pdf.Total("Total HT", "23\u202f333,28\u00a0€"), pdf.Total("Total TTC", "27\u202f999,94\u00a0€", emphasis=True)]),
        pdf.text(LEGAL_MENTIONS, small=True),
        *extra,
    ]
    return info, setup, story


STANDARD_14 = {
    "Courier",
    "Courier-Bold",
    "Courier-BoldOblique",
    "Courier-Oblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-BoldOblique",
    "Helvetica-Oblique",
    "Symbol",
    "Times-Roman",
    "Times-Bold",
    "Times-BoldItalic",
    "Times-Italic",
    "ZapfDingbats",
}


def normalised(text: str) -> str:
    """Every run of white space (line breaks, no-break and narrow no-break spaces) as one space:
    what a mention must match whichever way the PDF wrapped or spaced it."""
    return " ".join(text.split())


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text as pypdf extracts it, normalised."""
    return [normalised(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def raw_page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@dataclass(frozen=True)
class Font:
    subtype: str
    program: bytes | None  # the embedded font program (FontFile2), if any


def fonts(pdf: bytes) -> dict[str, Font]:
    """Every font of the file by its base font name."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        found = {}
        for obj in document.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
                descriptor = obj.get("/FontDescriptor")
                program = descriptor.get("/FontFile2") if descriptor is not None else None
                found[str(obj.BaseFont)[1:]] = Font(str(obj.Subtype), program.read_bytes() if program is not None else None)
        return found


def _cmap(font_program: bytes) -> dict[int, int]:
    """Character code -> glyph id of a TrueType font program's first cmap subtable (format 0, 4 or 6)."""
    tables = struct.unpack_from(">H", font_program, 4)[0]
    directory = {font_program[12 + 16 * i : 16 + 16 * i]: struct.unpack_from(">LL", font_program, 20 + 16 * i) for i in range(tables)}
    start = directory[b"cmap"][0]
    offset = start + struct.unpack_from(">L", font_program, start + 8)[0]
    kind = struct.unpack_from(">H", font_program, offset)[0]
    if kind == 0:
        return dict(enumerate(font_program[offset + 6 : offset + 262]))
    if kind == 6:
        first, count = struct.unpack_from(">HH", font_program, offset + 6)
        return {first + i: struct.unpack_from(">H", font_program, offset + 10 + 2 * i)[0] for i in range(count)}
    raise AssertionError(f"cmap format {kind} not read here")


def notdef_codes(pdf: bytes) -> list[tuple[str, int]]:
    """(font, code) of each character the pages draw with glyph 0, .notdef: the empty box a reader
    sees for a character the font lacks (and that PDF/A forbids)."""
    document = pikepdf.open(io.BytesIO(pdf))
    missing = []
    for page in document.pages:
        cmaps = {name: _cmap(font.FontDescriptor.FontFile2.read_bytes()) for name, font in page.Resources.Font.items()}
        current = None
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "Tf":
                current = str(operands[0])
            elif str(operator) in ("Tj", "'", '"', "TJ"):
                strings = operands[-1] if str(operator) == "TJ" else [operands[-1]]
                for item in strings:
                    if isinstance(item, pikepdf.String):
                        missing += [(current or "", code) for code in bytes(item) if cmaps[current].get(code, 0) == 0]
    return missing

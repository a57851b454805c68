"""The documents toolkit against the libraries it stands on, in the same run:

- an invoice-like A4 page (letterhead with a logo, title, dates, two addresses, 12 lines of which a
  third wrap, totals, legal mentions, footer with "page 1 of 1") rendered by `crm.platform.pdf`
  (platypus layout, PDF/A-3b, byte-identical) against raw reportlab canvas calls drawing the same
  content with the same embedded fonts, the lines wrapped by reportlab's `simpleSplit`;
- an XLSX of 10,000 rows of seven typed columns written by `crm.platform.exports.write_xlsx`
  against XlsxWriter alone (constant_memory, the same cells, formats, widths and autofilter);
- a report page holding a 12-month bar + line chart: the chart's PDF, its SVG, and the same page
  without the chart.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bench.timing import interleaved, spread

PDF_WARM_UP, PDF_REPETITIONS = 10, 60
XLSX_ROWS, XLSX_WARM_UP, XLSX_REPETITIONS = 10_000, 1, 7
LINES = 12


def _logo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (480, 180), (255, 255, 255, 0))
    ImageDraw.Draw(image).rounded_rectangle((10, 10, 470, 170), 30, fill=(0, 114, 178, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _invoice() -> dict:
    lines = []
    for i in range(LINES):
        description = f"Remplacement du joint de robinet, pièce n° {i} – main-d'œuvre comprise"
        if i % 3 == 0:
            description += ", déplacement et mise en service de l'équipement"
        lines.append([description, "2", "1\u202f944,44\u00a0€", "20\u202f%", "3\u202f888,88\u00a0€"])
    return {
        "company": "Plomberie Dupont SAS",
        "company_lines": ["12 rue des Lilas", "75011 Paris", "01 23 45 67 89 · contact@dupont.example"],
        "logo": _logo(),
        "title": "Facture INV-000123",
        "dates": [("Date", "15 janvier 2026"), ("Échéance", "14 février 2026")],
        "billing": ("Facturé à", ["Société Générale d'Équipement", "3 rue de l'Église", "69003 Lyon"]),
        "delivery": ("Livré à", ["Chantier Foch", "12 avenue Foch", "75016 Paris"]),
        "columns": [
            ("Désignation", 4, "left"),
            ("Qté", 0.7, "right"),
            ("Prix unitaire HT", 1.5, "right"),
            ("TVA", 0.8, "right"),
            ("Total HT", 1.5, "right"),
        ],
        "lines": lines,
        "totals": [
            ("Total HT", "58\u202f333,20\u00a0€", False),
            ("TVA 20\u202f%", "11\u202f666,64\u00a0€", False),
            ("Total TTC", "69\u202f999,84\u00a0€", True),
        ],
        "mentions": "Pénalités de retard : trois fois le taux d'intérêt légal. Indemnité forfaitaire pour frais de recouvrement : 40\u00a0€. Pas d'escompte pour paiement anticipé.",
        "footer": "SAS au capital de 10\u202f000\u00a0€ – SIREN 123\u202f456\u202f789 – RCS Paris – TVA FR12123456789",
    }


def _toolkit_invoice(doc: dict) -> bytes:
    from crm.platform import pdf

    info = pdf.DocumentInfo(title=doc["title"], author=doc["company"], created=datetime(2026, 1, 15, 9, 30, tzinfo=UTC))
    setup = pdf.PageSetup(
        pdf.Letterhead(doc["company"], doc["company_lines"], logo=doc["logo"]),
        footer_lines=[doc["footer"]],
        page_label=lambda n, m: f"Page {n} sur {m}",
    )
    return pdf.render(
        info,
        setup,
        [
            pdf.title(doc["title"]),
            pdf.key_values(doc["dates"]),
            pdf.spacer(5),
            pdf.addresses(pdf.Address(*doc["billing"]), pdf.Address(*doc["delivery"])),
            pdf.spacer(5),
            pdf.lines_table([pdf.TableColumn(*c) for c in doc["columns"]], doc["lines"]),
            pdf.spacer(4),
            pdf.totals([pdf.Total(*t) for t in doc["totals"]]),
            pdf.spacer(4),
            pdf.text(doc["mentions"], small=True),
        ],
    )


def _raw_invoice(doc: dict) -> bytes:
    """The same page by hand on a reportlab canvas, the way one would without a layout engine."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    from crm.platform.pdf.fonts import BOLD, REGULAR
    from crm.platform.pdf.page import _logo

    out = io.BytesIO()
    c = Canvas(out, pagesize=A4)
    width, height = A4
    left, right = 18 * mm, width - 18 * mm
    logo = _logo(doc["logo"])
    c.drawImage(logo, left, height - 18 * mm - 16.9 * mm, 45 * mm, 16.9 * mm)
    y = height - 18 * mm - 13
    c.setFont(BOLD, 13)
    c.drawString(left + 50 * mm, y, doc["company"])
    c.setFont(REGULAR, 8.5)
    for line in doc["company_lines"]:
        y -= 11
        c.drawString(left + 50 * mm, y, line)
    y -= 30
    c.setFont(BOLD, 16)
    c.drawString(left, y, doc["title"])
    for label, value in doc["dates"]:
        y -= 12
        c.setFont(BOLD, 8.5)
        c.drawString(left, y, label)
        c.setFont(REGULAR, 8.5)
        c.drawString(left + 25 * mm, y, value)
    y -= 25
    for x, (heading, lines) in ((left, doc["billing"]), ((left + right) / 2, doc["delivery"])):
        c.setFont(BOLD, 7.5)
        c.drawString(x, y, heading)
        line_y = y
        for i, line in enumerate(lines):
            line_y -= 12
            c.setFont(BOLD if i == 0 else REGULAR, 9)
            c.drawString(x, line_y, line)
    y -= 60
    weights = [w for _, w, _ in doc["columns"]]
    widths = [(right - left) * w / sum(weights) for w in weights]
    c.setFillColor(colors.HexColor("#e4e7eb"))
    c.rect(left, y - 4, right - left, 15, stroke=0, fill=1)
    c.setFillColor(colors.black)
    c.setFont(BOLD, 8.5)
    x = left
    for (label, _, align), w in zip(doc["columns"], widths, strict=True):
        if align == "right":
            c.drawRightString(x + w - 3, y, label)
        else:
            c.drawString(x + 3, y, label)
        x += w
    c.setFont(REGULAR, 8.5)
    y -= 16
    for row in doc["lines"]:
        description = simpleSplit(row[0], REGULAR, 8.5, widths[0] - 6)
        for i, text in enumerate(description):
            c.drawString(left + 3, y - i * 10.5, text)
        x = left + widths[0]
        for text, w in zip(row[1:], widths[1:], strict=True):
            c.drawRightString(x + w - 3, y, text)
            x += w
        y -= 10.5 * len(description) + 5
        c.setLineWidth(0.25)
        c.line(left, y + 8, right, y + 8)
    y -= 10
    for label, amount, emphasis in doc["totals"]:
        c.setFont(BOLD if emphasis else REGULAR, 9)
        c.drawRightString(right - 40 * mm, y, label)
        c.drawRightString(right - 3, y, amount)
        y -= 13
    y -= 6
    c.setFont(REGULAR, 7.5)
    for line in simpleSplit(doc["mentions"], REGULAR, 7.5, right - left):
        c.drawString(left, y, line)
        y -= 9.5
    c.setFont(REGULAR, 8)
    c.drawRightString(right, 18 * mm + 14, "Page 1 sur 1")
    c.line(left, 18 * mm + 10, right, 18 * mm + 10)
    c.setFont(REGULAR, 7)
    c.drawCentredString(width / 2, 18 * mm, doc["footer"])
    c.showPage()
    c.save()
    return out.getvalue()


def _chart():
    from babel.dates import format_date
    from babel.numbers import format_currency

    from crm.platform.charts import Series, ValueAxis, monthly_chart

    months = [date(2026, m, 1) for m in range(1, 13)]
    value = [1_200_000, 0, 450_000, 90_000, 300_000, 800_000, 0, 40_000, 120_000, 5_000_000, 200_000, 700_000]
    count = [3, 0, 2, 1, 1, 4, 0, 1, 1, 7, 2, 3]
    return monthly_chart(
        months,
        month_label=lambda m: format_date(m, "MMM y", locale="fr"),
        value_axis=ValueAxis(lambda v: format_currency(v / 100, "EUR", format="#,##0\u00a0¤", locale="fr", currency_digits=False)),
        line_axis=ValueAxis(lambda v: f"{v:g}"),
        bars=[Series("Valeur", value), Series("Valeur pondérée", [v // 2 for v in value])],
        lines=[Series("Nombre", count)],
        title="Opportunités ouvertes par mois de clôture",
        no_data="Aucune donnée",
    )


def _report(with_chart: bool) -> bytes:
    from crm.platform import pdf

    info = pdf.DocumentInfo(title="Projection des opportunités", author="Plomberie Dupont SAS", created=datetime(2026, 1, 1, tzinfo=UTC))
    rows = [[f"{m:02d}/2026", "3", "12\u202f000,00\u00a0€", "6\u202f000,00\u00a0€"] for m in range(1, 13)]
    story = [pdf.title("Projection des opportunités")]
    if with_chart:
        story.append(_chart())
    story.append(
        pdf.lines_table(
            [
                pdf.TableColumn("Mois", 2),
                pdf.TableColumn("Nombre", 1, "right"),
                pdf.TableColumn("Valeur", 2, "right"),
                pdf.TableColumn("Pondérée", 2, "right"),
            ],
            rows,
        )
    )
    return pdf.render(info, pdf.PageSetup(pdf.Letterhead("Plomberie Dupont SAS")), story)


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


# --- XLSX -----------------------------------------------------------------------------------------


def _rows() -> list[dict]:
    start = datetime(2025, 1, 1, 8, tzinfo=UTC)
    return [
        {
            "reference": f"INV-{i:06d}",
            "contact": f"Société Dupont & fils n° {i % 997}",
            "lines": i % 17 + 1,
            "total": 10_000 + i * 37 % 900_000,
            "tax_rate": Decimal("20.0") if i % 5 else Decimal("5.5"),
            "due": (start + timedelta(days=i % 365)).date(),
            "issued_at": start + timedelta(hours=i),
        }
        for i in range(XLSX_ROWS)
    ]


def _columns():
    from crm.platform.exports import Column, Kind

    return [
        Column("reference", "Référence"),
        Column("contact", "Contact"),
        Column("lines", "Lignes", Kind.INTEGER),
        Column("total", "Total TTC", Kind.MONEY, currency="EUR"),
        Column("tax_rate", "TVA", Kind.PERCENTAGE, decimals=1),
        Column("due", "Échéance", Kind.DATE),
        Column("issued_at", "Émise le", Kind.DATETIME),
    ]


def _toolkit_xlsx(rows: list[dict]) -> bytes:
    from crm.platform.exports import write_xlsx

    out = io.BytesIO()
    write_xlsx(out, _columns(), rows, locale="fr_FR", time_zone="Europe/Paris", max_rows=XLSX_ROWS)
    return out.getvalue()


def _bare_xlsx(rows: list[dict]) -> bytes:
    """XlsxWriter alone: the same typed cells, formats, widths, frozen header and autofilter, the
    values converted inline (minor units, percentages, the reader's time zone)."""
    import tempfile
    from zoneinfo import ZoneInfo

    import xlsxwriter

    paris = ZoneInfo("Europe/Paris")
    out = io.BytesIO()
    with tempfile.TemporaryDirectory() as scratch:
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": scratch})
        sheet = book.add_worksheet("Export")
        bold = book.add_format({"bold": True, "bottom": 1})
        money = book.add_format({"num_format": '#,##0.00" €";"-"#,##0.00" €"'})
        integer = book.add_format({"num_format": "#,##0"})
        percent = book.add_format({"num_format": "0.0%"})
        day = book.add_format({"num_format": "dd\\/mm\\/yyyy"})
        moment = book.add_format({"num_format": "dd\\/mm\\/yyyy\\ hh\\:mm"})
        for i, (label, width) in enumerate(
            [("Référence", 14), ("Contact", 28), ("Lignes", 10), ("Total TTC", 14), ("TVA", 9), ("Échéance", 12), ("Émise le", 21)]
        ):
            sheet.set_column(i, i, width)
            sheet.write_string(0, i, label, bold)
        sheet.freeze_panes(1, 0)
        for r, row in enumerate(rows, start=1):
            sheet.write_string(r, 0, row["reference"])
            sheet.write_string(r, 1, row["contact"])
            sheet.write_number(r, 2, row["lines"], integer)
            sheet.write_number(r, 3, row["total"] / 100, money)
            sheet.write_number(r, 4, float(row["tax_rate"]) / 100, percent)
            sheet.write_datetime(r, 5, row["due"], day)
            sheet.write_datetime(r, 6, row["issued_at"].astimezone(paris).replace(tzinfo=None), moment)
        sheet.autofilter(0, 0, len(rows), 6)
        book.close()
    return out.getvalue()


def measure() -> list[dict]:
    from crm.platform.charts import to_svg

    doc = _invoice()
    if _toolkit_invoice(doc) != _toolkit_invoice(doc):
        raise RuntimeError("two renders of the same invoice differ")
    if [_pages(_toolkit_invoice(doc)), _pages(_raw_invoice(doc))] != [1, 1]:
        raise RuntimeError("the invoice does not fit one page in both renderings: they would not be compared page for page")
    pdf_samples = interleaved({"raw": lambda: _raw_invoice(doc), "toolkit": lambda: _toolkit_invoice(doc)}, PDF_WARM_UP, PDF_REPETITIONS)
    chart_samples = interleaved(
        {
            "report": lambda: _report(with_chart=False),
            "report+chart": lambda: _report(with_chart=True),
            "svg": lambda: to_svg(_chart()),
        },
        PDF_WARM_UP,
        PDF_REPETITIONS // 2,
    )
    rows = _rows()
    xlsx_samples = interleaved(
        {"xlsxwriter": lambda: _bare_xlsx(rows), "toolkit": lambda: _toolkit_xlsx(rows)}, XLSX_WARM_UP, XLSX_REPETITIONS
    )

    raw_ms, raw_spread = spread(pdf_samples["raw"])
    kit_ms, kit_spread = spread(pdf_samples["toolkit"])
    bare_ms, bare_spread = spread(xlsx_samples["xlsxwriter"])
    xlsx_ms, xlsx_spread = spread(xlsx_samples["toolkit"])
    report_ms, report_spread = spread(chart_samples["report"])
    chart_ms, chart_spread = spread(chart_samples["report+chart"])
    svg_ms, svg_spread = spread(chart_samples["svg"])
    return [
        {
            "Measure": "invoice page, raw reportlab canvas (floor)",
            "Median ms": f"{raw_ms:.2f}",
            "p90/median": f"{raw_spread:.2f}",
            "Rate": f"{1000 / raw_ms:.0f} pages/s",
            "× floor rate": "1.00",
        },
        {
            "Measure": "invoice page, crm.platform.pdf (PDF/A-3b)",
            "Median ms": f"{kit_ms:.2f}",
            "p90/median": f"{kit_spread:.2f}",
            "Rate": f"{1000 / kit_ms:.0f} pages/s",
            "× floor rate": f"{raw_ms / kit_ms:.2f}",
        },
        {
            "Measure": f"XLSX {XLSX_ROWS:,} rows, XlsxWriter alone (floor)",
            "Median ms": f"{bare_ms:.0f}",
            "p90/median": f"{bare_spread:.2f}",
            "Rate": f"{XLSX_ROWS / bare_ms * 1000:,.0f} rows/s",
            "× floor rate": "1.00",
        },
        {
            "Measure": f"XLSX {XLSX_ROWS:,} rows, crm.platform.exports",
            "Median ms": f"{xlsx_ms:.0f}",
            "p90/median": f"{xlsx_spread:.2f}",
            "Rate": f"{XLSX_ROWS / xlsx_ms * 1000:,.0f} rows/s",
            "× floor rate": f"{bare_ms / xlsx_ms:.2f}",
        },
        {
            "Measure": "report page without its chart (floor)",
            "Median ms": f"{report_ms:.2f}",
            "p90/median": f"{report_spread:.2f}",
            "Rate": "",
            "× floor rate": "1.00",
        },
        {
            "Measure": "report page with a 12-month bar + line chart",
            "Median ms": f"{chart_ms:.2f}",
            "p90/median": f"{chart_spread:.2f}",
            "Rate": f"chart: +{chart_ms - report_ms:.2f} ms",
            "× floor rate": f"{report_ms / chart_ms:.2f}",
        },
        {
            "Measure": "the same chart as SVG",
            "Median ms": f"{svg_ms:.2f}",
            "p90/median": f"{svg_spread:.2f}",
            "Rate": "",
            "× floor rate": "",
        },
    ]

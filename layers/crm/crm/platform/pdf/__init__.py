"""Archival PDFs (PDF/A-3b, every font embedded, the same bytes for the same document) laid out
from blocks: the company's letterhead, addresses, a lines table across pages, totals, free text,
"page N of M". reportlab is heavy: import this package inside the function that renders.

    from crm.platform import pdf

    pdf.render(
        pdf.DocumentInfo(title="Facture INV-000123", author="Plomberie Dupont SAS", created=issued_at),
        pdf.PageSetup(pdf.Letterhead("Plomberie Dupont SAS", ["12 rue des Lilas", "75011 Paris"], logo=png),
                      footer_lines=["SAS au capital de 10 000 € - SIREN 123 456 789 - RCS Paris"],
                      page_label=lambda n, m: f"Page {n} sur {m}"),
        [pdf.title("Facture INV-000123"), pdf.addresses(...), pdf.lines_table(...), pdf.totals(...)],
    )
"""

from crm.platform.pdf.archival import DocumentInfo
from crm.platform.pdf.blocks import (
    Address,
    TableColumn,
    Total,
    addresses,
    keep_together,
    key_values,
    lines_table,
    spacer,
    text,
    title,
    totals,
)
from crm.platform.pdf.page import CONTENT_WIDTH, Letterhead, PageSetup, render

__all__ = [
    "CONTENT_WIDTH",
    "Address",
    "DocumentInfo",
    "Letterhead",
    "PageSetup",
    "TableColumn",
    "Total",
    "addresses",
    "keep_together",
    "key_values",
    "lines_table",
    "render",
    "spacer",
    "text",
    "title",
    "totals",
]

"""A report's table in a file: CSV and XLSX (crm.platform.exports), PDF with its chart (the
platform's archival PDFs and charts), or the chart alone as SVG. Everything a reader sees is in
their language and formats. reportlab and XlsxWriter load here, only when a file is made."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from crm.platform import clock
from crm.platform.exports import Column, Kind
from crm.platform.i18n import Reader, tr
from crm.reports.catalogue import Chart, Table, months_of

FILE_FORMATS = ("csv", "xlsx", "pdf", "svg")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "svg": "image/svg+xml",
}
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Rendered:
    filename: str
    content_type: str
    body: bytes


def _cell(column: Column, value: Any, reader: Reader) -> str:
    if value is None:
        return ""
    if column.key == "month":
        return reader.month(value)
    if column.kind is Kind.MONEY:
        return reader.money(int(value), column.currency)
    if column.kind is Kind.INTEGER:
        return reader.number(int(value))
    if column.kind is Kind.DECIMAL:
        return reader.decimal(str(value))
    if column.kind is Kind.DATE:
        return reader.date(value, "short")
    return str(value)


def _drawing(chart: Chart, title: str, reader: Reader):
    from crm.platform.charts import Series, ValueAxis, monthly_chart

    return monthly_chart(
        months_of(chart),
        month_label=lambda m: reader.month(m.strftime("%Y-%m")),
        value_axis=ValueAxis(lambda v: reader.money(int(v))),
        line_axis=ValueAxis(lambda v: reader.number(int(v))) if chart.lines else None,
        no_data=reader.text(tr("Nothing to show for this period")),
        bars=[Series(label, values) for label, values in chart.bars],
        lines=[Series(label, values) for label, values in chart.lines],
        title=title,
    )


def _pdf(table: Table, reader: Reader, company: str) -> bytes:
    from crm.platform import pdf

    story = [pdf.title(table.title), pdf.text(table.subtitle)]
    if table.chart is not None:
        story += [pdf.spacer(4), _drawing(table.chart, "", reader), pdf.spacer(6)]
    numeric = (Kind.MONEY, Kind.INTEGER, Kind.DECIMAL, Kind.PERCENTAGE)
    columns = [pdf.TableColumn(c.label, 1.0, "right" if c.kind in numeric else "left") for c in table.columns]
    story.append(pdf.lines_table(columns, [[_cell(c, row.get(c.key), reader) for c in table.columns] for row in table.rows]))
    info = pdf.DocumentInfo(title=table.title, author=company, created=clock.now(), lang=reader.locale)
    page = pdf.PageSetup(
        pdf.Letterhead(company),
        page_label=lambda n, m: reader.text(tr("Page {page} of {pages}", page=n, pages=m)),
    )
    return pdf.render(info, page, story)


def render(table: Table, file_format: str, reader: Reader, company: str, name: str) -> Rendered:
    from crm.platform import exports

    out = io.BytesIO()
    if file_format == "csv":
        exports.write_csv(out, table.columns, table.rows, locale=reader.locale, time_zone=reader.time_zone, max_rows=MAX_ROWS)
    elif file_format == "xlsx":
        exports.write_xlsx(
            out, table.columns, table.rows, locale=reader.locale, time_zone=reader.time_zone, max_rows=MAX_ROWS, sheet_name=table.title
        )
    elif file_format == "pdf":
        out.write(_pdf(table, reader, company))
    else:
        from crm.platform.charts import to_svg

        chart = table.chart or Chart(months=[], bars=[])
        out.write(to_svg(_drawing(chart, table.title, reader)).encode())
    return Rendered(f"{name}.{file_format}", CONTENT_TYPES[file_format], out.getvalue())

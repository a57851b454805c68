"""Running a report for a reader: its table as JSON, or as a file behind a download link."""

from __future__ import annotations

from pydantic import BaseModel

from crm.contacts import readers
from crm.platform import files
from crm.platform.auth import Principal
from crm.platform.i18n import Reader
from crm.reports.catalogue import REPORTS, Table
from crm.reports.models import ReportAnswer, ReportColumn


def build(tenant: str, name: str, filters: BaseModel, reader: Reader) -> Table:
    return REPORTS[name].build(tenant, filters, reader)


def answer(name: str, table: Table, file: files.FileLink | None = None) -> ReportAnswer:
    columns = [ReportColumn(key=c.key, label=c.label, kind=c.kind.value, currency=c.currency) for c in table.columns]
    return ReportAnswer(
        report=name, title=table.title, subtitle=table.subtitle, columns=columns, rows=table.rows, empty=table.empty, file=file
    )


def run(principal: Principal, name: str, filters: BaseModel, file_format: str) -> ReportAnswer:
    """The report as the caller reads it; with a file format, also the file (kept an hour)."""
    reader = readers.principal_reader(principal)
    table = build(principal.tenant, name, filters, reader)
    if file_format == "json":
        return answer(name, table)
    from crm.reports.render import render

    made = render(table, file_format, reader, principal.tenant, name)
    file = files.publish(
        principal,
        "reports",
        made.filename,
        made.content_type,
        made.body,
        action="report.exported",
        target_type="report",
        target_id=name,
        rows=len(table.rows),
        format=file_format,
    )
    return answer(name, table, file)

"""The reorder report: every make/model (the company's own stock, or one location's where it has
levels of its own) at or below its reorder point, with on hand, reserved, available and the
suggested quantity. One Query of a sparse index that the movements keep: its cost grows with the
items below their point, never with the catalogue."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from crm.contacts import readers
from crm.platform import files
from crm.platform.auth import Principal
from crm.platform.exports import Column, Kind
from crm.platform.i18n import Reader, tr
from crm.stock import rules
from crm.stock.repository import balances as balances_repo
from crm.stock.repository import records

MAX_ROWS = 10_000  # a whole report (an export, an alert) reads at most this many lines


def line(balance: dict) -> dict:
    on_hand, reserved = records.as_decimal(balance["on_hand"]), records.as_decimal(balance["reserved"])
    levels = balance["reorder"]
    return {
        "item_id": balance["item_id"],
        "location": balance.get("location"),
        "make": balance["make"],
        "model": balance["model"],
        "part_number": balance.get("part_number"),
        "unit": balance["unit"],
        "on_hand": rules.number(on_hand),
        "reserved": rules.number(reserved),
        "available": rules.number(rules.available(on_hand, reserved)),
        "reorder_point": rules.number(records.as_decimal(levels["point"])),
        "suggested_quantity": rules.number(rules.suggested(levels, on_hand, reserved)),
    }


def page(tenant: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    found, next_cursor = balances_repo.low(tenant, limit=limit, cursor=cursor, query={"reorder": True})
    return [line(b) for b in found], next_cursor


def reorder_report(tenant: str, filters: dict | None = None) -> list[dict]:
    """Every line of the report (for the reports context and exports); `filters`: `location`
    (one location's lines, or "company" for the company-wide ones)."""
    wanted = (filters or {}).get("location")
    return [r for r in every_line(tenant) if wanted is None or (r["location"] or "company") == wanted]


def every_line(tenant: str) -> Iterator[dict]:
    cursor, read = None, 0
    while True:
        rows, cursor = page(tenant, limit=200, cursor=cursor)
        yield from rows
        read += len(rows)
        if cursor is None or read >= MAX_ROWS:
            return


def columns(reader: Reader) -> list[Column]:
    """The report's columns, headed in the reader's language (CSV, XLSX, the reports context)."""
    return [
        Column("make", reader.text(tr("Make"))),
        Column("model", reader.text(tr("Model"))),
        Column("part_number", reader.text(tr("Part number"))),
        Column("location", reader.text(tr("Location"))),
        Column("unit", reader.text(tr("Unit"))),
        Column("on_hand", reader.text(tr("On hand")), Kind.DECIMAL),
        Column("reserved", reader.text(tr("Reserved")), Kind.DECIMAL),
        Column("available", reader.text(tr("Available")), Kind.DECIMAL),
        Column("reorder_point", reader.text(tr("Reorder point")), Kind.DECIMAL),
        Column("suggested_quantity", reader.text(tr("Suggested quantity")), Kind.DECIMAL),
    ]


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export(principal: Principal, reader: Reader, file_format: str) -> files.FileLink:
    """The whole report as a CSV or XLSX file in the reader's language, published as an export
    (crm.platform.files: kept under the tenant's exports, audited, behind a link that expires)."""
    from crm.platform.exports import write_csv, write_xlsx

    cols = columns(reader)
    rows = ({**r, "location": r["location"] or reader.text(tr("company stock"))} for r in every_line(principal.tenant))
    with tempfile.TemporaryFile() as out:
        if file_format == "csv":
            count = write_csv(out, cols, rows, locale=reader.locale, max_rows=MAX_ROWS, time_zone=reader.time_zone)
        else:
            count = write_xlsx(out, cols, rows, locale=reader.locale, max_rows=MAX_ROWS, time_zone=reader.time_zone, sheet_name="Reorder")
        out.seek(0)
        data = out.read()
    name = f"reorder-report.{file_format}"
    return files.publish(
        principal,
        "stock",
        name,
        CONTENT_TYPES[file_format],
        data,
        action="report.exported",
        target_type="report",
        target_id="reorder",
        rows=count,
        format=file_format,
    )


def export_for(principal: Principal, file_format: str) -> files.FileLink:
    """The report's file in the caller's own language and time zone."""
    who = principal.email or principal.user_id
    return export(principal, readers.readers_at(principal.tenant, [who])[who], file_format)

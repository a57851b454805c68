"""CSV and XLSX files of a documents list (any of GET /documents' filters), in the reader's
language, published as every export is (crm.platform.files: kept under the tenant's exports, an
audit record, then a link that expires).

A file holds at most MAX_ROWS documents: past it, 422 (narrow the period or the filters); the rows
are read page by page, never the whole table."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal

from crm.contacts import readers
from crm.finance import lists
from crm.platform import files
from crm.platform.auth import Principal
from crm.platform.exports import Column, Kind
from crm.platform.files import FileLink
from crm.platform.i18n import Reader, tr

MAX_ROWS = 10_000
PAGE = 200
CONTENT_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def columns(reader: Reader) -> list[Column]:
    """Amounts in major units with their currency beside them: a list may span a change of the
    account's currency, and a money column has one."""
    t = reader.text
    return [
        Column("number", t(tr("Number"))),
        Column("type", t(tr("Type"))),
        Column("status", t(tr("Status"))),
        Column("issue_date", t(tr("Date")), Kind.DATE),
        Column("due_date", t(tr("Due date")), Kind.DATE),
        Column("contact_id", t(tr("Contact"))),
        Column("customer", t(tr("Billed to"))),
        Column("reference", t(tr("Your reference"))),
        Column("currency", t(tr("Currency"))),
        Column("net", t(tr("Total net")), Kind.DECIMAL),
        Column("tax", t(tr("VAT")), Kind.DECIMAL),
        Column("gross", t(tr("Total")), Kind.DECIMAL),
        Column("paid", t(tr("Paid")), Kind.DECIMAL),
        Column("payment_status", t(tr("Payment status"))),
    ]


AMOUNTS = ("net", "tax", "gross", "paid")


def major(minor: int | None, currency: str) -> Decimal | None:
    from babel.numbers import get_currency_precision

    return None if minor is None else Decimal(minor).scaleb(-get_currency_precision(currency))


def _rows(principal: Principal, filters: dict) -> Iterator[dict]:
    cursor = None
    read = 0
    while True:
        items, cursor = lists.find(principal, **filters, limit=PAGE, cursor=cursor)
        for d in items:
            yield {**d, **{k: major(d.get(k), d["currency"]) for k in AMOUNTS}, "customer": (d.get("customer") or {}).get("name")}
        read += len(items)
        if cursor is None or read > MAX_ROWS:
            return


def export(principal: Principal, file_format: str, filters: dict) -> FileLink:
    """The file of the documents `filters` select, and a link to download it."""
    from crm.platform.exports import write_csv, write_xlsx

    reader = readers.principal_reader(principal)
    cols, rows = columns(reader), _rows(principal, filters)
    out = io.BytesIO()
    if file_format == "csv":
        count = write_csv(out, cols, rows, locale=reader.locale, max_rows=MAX_ROWS, time_zone=reader.time_zone)
    else:
        count = write_xlsx(out, cols, rows, locale=reader.locale, max_rows=MAX_ROWS, time_zone=reader.time_zone, sheet_name="Documents")
    return files.publish(
        principal,
        "documents",
        f"documents.{file_format}",
        CONTENT_TYPES[file_format],
        out.getvalue(),
        action="documents.exported",
        target_type="document_selection",
        target_id=principal.tenant,
        rows=count,
        format=file_format,
    )

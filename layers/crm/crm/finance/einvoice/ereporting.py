"""The monthly e-reporting file: what the reform has reported to the tax administration for the
sales that go to no platform (B2C, and businesses outside France): the month's invoices and credit
notes to them, and the payments received that month for services to them (services' VAT is due
when paid). A CSV in the reader's language, published through platform/files.
"""

from __future__ import annotations

import calendar
import io
from collections.abc import Iterator
from datetime import date

from crm.contacts import readers
from crm.contacts import service as contacts
from crm.finance import lists
from crm.finance import repository as finance_repo
from crm.finance import service as documents
from crm.finance.einvoice.submissions import goes_to_platform, is_services
from crm.finance.exports import major
from crm.platform import files
from crm.platform.auth import Principal
from crm.platform.exports import Column, Kind
from crm.platform.i18n import Reader, tr

MAX_ROWS = 50_000
PAGE = 200
REPORTED_TYPES = ("invoice", "credit_note")


def columns(reader: Reader) -> list[Column]:
    t = reader.text
    return [
        Column("operation", t(tr("Operation"))),
        Column("date", t(tr("Date")), Kind.DATE),
        Column("number", t(tr("Number"))),
        Column("customer_kind", t(tr("Customer"))),
        Column("nature", t(tr("Nature"))),
        Column("currency", t(tr("Currency"))),
        Column("net", t(tr("Total net")), Kind.DECIMAL),
        Column("tax", t(tr("VAT")), Kind.DECIMAL),
        Column("gross", t(tr("Total")), Kind.DECIMAL),
        Column("paid", t(tr("Received")), Kind.DECIMAL),
    ]


def nature(document: dict) -> str:
    kinds = {line.get("kind") == "stock" for line in document["lines"]}
    return "both" if len(kinds) > 1 else ("goods" if kinds == {True} else "services")


class _Buyers:
    """Whether a contact's documents go to a platform, each contact read once."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.known: dict[str, str | None] = {}

    def kind(self, contact_id: str) -> str | None:
        """None when the buyer's documents go to a platform; else how it is e-reported."""
        if contact_id not in self.known:
            contact = contacts.lookup(self.tenant, contact_id) or {}
            b2b = contact.get("kind") == "business"
            self.known[contact_id] = None if goes_to_platform(contact) else ("international_b2b" if b2b else "b2c")
        return self.known[contact_id]


def _sales(principal: Principal, first: date, last: date, buyers: _Buyers) -> Iterator[dict]:
    for doc_type in REPORTED_TYPES:
        cursor = None
        while True:
            items, cursor = lists.find(principal, type=doc_type, since=first, until=last, limit=PAGE, cursor=cursor)
            for d in items:
                kind = buyers.kind(d["contact_id"]) if d["status"] != "draft" else None
                if kind:
                    amounts = {k: major(d[k], d["currency"]) for k in ("net", "tax", "gross")}
                    yield {
                        "operation": doc_type,
                        "date": d["issue_date"],
                        "number": d["number"],
                        "customer_kind": kind,
                        "nature": nature(d),
                    } | {
                        "currency": d["currency"],
                        **amounts,
                    }
            if cursor is None:
                return


def _payments(tenant: str, first: date, last: date, buyers: _Buyers) -> Iterator[dict]:
    invoices: dict[str, dict] = {}
    for payment in finance_repo.payments_between(tenant, first.isoformat(), last.isoformat()):
        invoice = invoices.setdefault(payment["document_id"], documents.get(tenant, payment["document_id"]))
        kind = buyers.kind(invoice["contact_id"])
        if kind and is_services(invoice):
            yield {
                "operation": "payment",
                "date": payment["date"],
                "number": invoice["number"],
                "customer_kind": kind,
                "nature": nature(invoice),
                "currency": payment["currency"],
                "paid": major(payment["amount"], payment["currency"]),
            }


def export(principal: Principal, month: str) -> files.FileLink:
    """The e-reporting CSV of `month` (YYYY-MM)."""
    from crm.platform.exports import write_csv

    year, number = (int(p) for p in month.split("-"))
    first, last = date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])
    tenant = principal.tenant
    who = principal.email or principal.user_id
    reader = readers.readers_at(tenant, [who])[who]
    buyers = _Buyers(tenant)
    out = io.BytesIO()
    rows = write_csv(
        out,
        columns(reader),
        (_shown(row, reader) for row in _all(principal, first, last, buyers)),
        locale=reader.locale,
        max_rows=MAX_ROWS,
        time_zone=reader.time_zone,
    )
    name = f"e-reporting-{month}.csv"
    return files.publish(
        principal,
        "e-reporting",
        name,
        "text/csv",
        out.getvalue(),
        action="ereporting.exported",
        target_type="ereporting",
        target_id=month,
        rows=rows,
    )


def _all(principal: Principal, first: date, last: date, buyers: _Buyers) -> Iterator[dict]:
    yield from _sales(principal, first, last, buyers)
    yield from _payments(principal.tenant, first, last, buyers)


OPERATIONS = {"invoice": tr("Sale"), "credit_note": tr("Credit note"), "payment": tr("Payment received")}
CUSTOMERS = {"b2c": tr("Individual (B2C)"), "international_b2b": tr("Business outside France")}
NATURES = {"goods": tr("Goods"), "services": tr("Services"), "both": tr("Goods and services")}


def _shown(row: dict, reader: Reader) -> dict:
    """The row's codes in the reader's words."""
    words = {"operation": OPERATIONS, "customer_kind": CUSTOMERS, "nature": NATURES}
    return row | {key: reader.text(names[row[key]]) for key, names in words.items()}

"""The per-contact ledger: what issuing an invoice or a credit note and recording a payment add to
it, as steps of their own transactions (crm.finance.issuing, crm.finance.payments.record).

An entry's `delta` is what it moves the contact's balance by: an invoice's gross up, a credit
note's and a payment's amount down. Payments and credit notes name the invoice they settle (its
number, issue and due dates), so a statement ages invoices as of its end without reading them.
"""

from __future__ import annotations

from crm.finance import ledger_repository as repo
from crm.platform import dynamo

LEDGER_TYPES = frozenset({"invoice", "credit_note"})


def _job_of(invoice: dict) -> str | None:
    origin = invoice.get("origin") or {}
    return origin.get("id") if origin.get("kind") == "job" else None


def _settles(invoice: dict) -> dict:
    fields = {
        "invoice_id": invoice["id"],
        "invoice_number": invoice.get("number"),
        "invoice_issue_date": invoice.get("issue_date"),
        "invoice_due_date": invoice.get("due_date"),
        "job_id": _job_of(invoice),
    }
    return {k: v for k, v in fields.items() if v is not None}


def issued(tenant: str, document: dict, settled_invoice: dict | None = None) -> list[dynamo.Step]:
    """For an invoice or a credit note being issued (numbered, dated): its entry, the balance, and
    the invoice's open item (a credit note's invoice as `settled_invoice`, settled by it). Nothing
    for the other types."""
    if document["type"] not in LEDGER_TYPES:
        return []
    entry = {
        "id": document["id"],
        "kind": document["type"],
        "contact_id": document["contact_id"],
        "date": document["issue_date"],
        "document_id": document["id"],
        "number": document["number"],
        "reference": document.get("reference"),
        "currency": document["currency"],
        "amount": document["gross"],
        "net": document["net"],
    }
    if document["type"] == "invoice":
        entry |= {"delta": document["gross"], "due_date": document.get("due_date"), "job_id": _job_of(document)}
        opened = document
    else:
        assert settled_invoice is not None, "a credit note settles its invoice"
        entry |= {"delta": -document["gross"], **_settles(settled_invoice)}
        opened = settled_invoice
    entry = {k: v for k, v in entry.items() if v is not None}
    return [*repo.entry_steps(tenant, entry), repo.open_step(tenant, opened)]


def paid(tenant: str, settled_invoice: dict, payment: dict) -> list[dynamo.Step]:
    """For a payment being recorded against `settled_invoice` (as the payment leaves it)."""
    entry = {
        "id": payment["id"],
        "kind": "payment",
        "contact_id": settled_invoice["contact_id"],
        "date": payment["date"],
        "payment_id": payment["id"],
        "method": payment["method"],
        "reference": payment.get("reference"),
        "currency": payment["currency"],
        "amount": payment["amount"],
        "delta": -payment["amount"],
        **_settles(settled_invoice),
    }
    entry = {k: v for k, v in entry.items() if v is not None}
    return [*repo.entry_steps(tenant, entry), repo.open_step(tenant, settled_invoice)]
